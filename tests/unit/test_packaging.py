"""The wheel (the workshop's learner image, `pip install coursekit`) holds every package
of coursekit: `coursekit.exercises` was left out of pyproject.toml's package list once,
and on the hub `from coursekit import exercises` failed in every learner's kernel."""
import tomllib
from fnmatch import fnmatchcase
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_of_coursekit_is_in_the_wheel():
    """setuptools' packages.find takes a folder with __init__.py whose dotted name
    matches an ``include`` pattern (fnmatch): every coursekit package must match."""
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "coursekit").rglob("__init__.py")}
    left_out = sorted(p for p in found if not any(fnmatchcase(p, pat) for pat in include))
    assert {"coursekit", "coursekit.exercises", "coursekit.exercises.lessons"} <= found
    assert not left_out, f"not in the wheel: {left_out}"
