"""scripts/test.sh runs the notebooks in parts on the emulated host (the cgroups lesson
alone, then two halves at once): together they must cover every lesson and the
solutions, once."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_two_halves_cover_every_notebook_once():
    script = (ROOT / "scripts" / "test.sh").read_text()
    parts = [re.search(rf'^{h}="([^"]*)"', script, re.M).group(1).split() for h in ("ALONE", "HALF_A", "HALF_B")]
    paths = parts[0] + parts[1] + parts[2]
    assert len(paths) == len(set(paths))
    lessons = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert set(paths) == lessons | {"exercises/solutions"}
