"""The course's timings come from one file (book/timings.yml): each lesson's header,
the learning path, the instructor's schedule and the introduction agree with it."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_place_agrees_with_book_timings_yml():
    r = subprocess.run([sys.executable, "scripts/timings.py", "--check"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_lesson_has_a_timing_line():
    sys.path.insert(0, str(ROOT / "scripts"))
    import timings
    assert set(timings.T["lessons"]) == {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
