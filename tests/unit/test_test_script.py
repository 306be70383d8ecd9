"""scripts/test.sh runs the notebooks in two halves on the emulated host: together the
halves must cover every lesson and the solutions, once."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_two_halves_cover_every_notebook_once():
    script = (ROOT / "scripts" / "test.sh").read_text()
    halves = [re.search(rf'^{h}="([^"]*)"', script, re.M).group(1).split() for h in ("HALF_A", "HALF_B")]
    paths = halves[0] + halves[1]
    assert len(paths) == len(set(paths))
    lessons = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert set(paths) == lessons | {"exercises/solutions"}
