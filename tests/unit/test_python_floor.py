"""One Python floor: pyproject's requires-python.  Every place that states which Python
the course needs (README, the book, environment.yml, the CI workflows, the dev
container) says the same version, and this interpreter satisfies it.  The code needs
3.11 (tomllib; and the pins: matplotlib, ipykernel, numpy)."""
import json
import re
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# prose that states a minimum: "Python 3.11+", "Python 3.11 or newer/later", "Python >= 3.11"
PROSE = re.compile(r"Python\s*(?:>=\s*)?(\d+\.\d+)(?:\+|\s+or\s+(?:newer|later|above))", re.I)
DOCS = ["README.md", "CONTRIBUTING.md", "book/*.md", "workshop/README.md", "tests/hosts/README*"]


def floor() -> tuple[int, int]:
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    m = re.fullmatch(r"\s*>=\s*(\d+)\.(\d+)\s*", spec)
    assert m, f"requires-python {spec!r}: expected a plain '>=X.Y' floor"
    return int(m.group(1)), int(m.group(2))


def stated_versions(root: Path = ROOT) -> dict[str, set[str]]:
    """file -> the Python versions it states as the one the course needs."""
    found: dict[str, set[str]] = {}

    def add(path, v):
        found.setdefault(str(path.relative_to(root)), set()).add(v)

    for pattern in DOCS:
        for path in root.glob(pattern):
            for v in PROSE.findall(path.read_text()):
                add(path, v)
    env = root / "environment.yml"
    if env.exists():
        for dep in yaml.safe_load(env.read_text())["dependencies"]:
            if isinstance(dep, str) and re.match(r"python\s*[=<>]", dep):
                add(env, re.search(r"(\d+\.\d+)", dep).group(1))
    for wf in (root / ".github" / "workflows").glob("*.yml"):
        for v in re.findall(r"python-version:\s*[\"']?(\d+\.\d+)", wf.read_text()):
            add(wf, v)
    dc = root / ".devcontainer" / "devcontainer.json"
    if dc.exists():
        image = json.loads(dc.read_text()).get("image", "")
        m = re.search(r"python:\d+-(\d+\.\d+)|python:(\d+\.\d+)", image)
        if m:
            add(dc, m.group(1) or m.group(2))
    return found


def test_requires_python_is_the_floor_the_code_needs():
    assert floor() >= (3, 11), "tomllib and the pinned packages need Python 3.11"


def test_every_statement_names_the_same_floor():
    want = "%d.%d" % floor()
    found = stated_versions()
    for must in ("README.md", "environment.yml", "book/setup.md"):
        assert must in found, f"{must} no longer states the Python it needs"
    wrong = {f: vs for f, vs in found.items() if vs != {want}}
    assert not wrong, f"requires-python is >={want}, but these say otherwise: {wrong}"


def test_this_interpreter_satisfies_it():
    assert sys.version_info[:2] >= floor()


def test_the_check_sees_a_stale_statement(tmp_path):
    (tmp_path / "README.md").write_text("On a fresh machine with Python 3.10+ and `make`:\n")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "setup.md").write_text("You need Python 3.11 or newer, `make`\n")
    assert stated_versions(tmp_path) == {"README.md": {"3.10"}, "book/setup.md": {"3.11"}}
