"""The wheel (the workshop's learner image, `pip install coursekit`) holds every package
of coursekit: `coursekit.exercises` was left out of pyproject.toml's list once, and on the
hub `from coursekit import exercises` failed in every learner's kernel."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_of_coursekit_is_in_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "coursekit").rglob("__init__.py")}
    assert found == listed, f"pyproject.toml [tool.setuptools] packages: add {sorted(found - listed)}"
