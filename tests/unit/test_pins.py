"""The Python pins live in pyproject.toml; environment.yml must carry the same; each pin
is the version installed, and every third-party module the course's code imports is one
of them."""
import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _pins(reqs):
    out = {}
    for r in reqs:
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^\s;]+)$", r.strip())
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def test_every_dependency_is_pinned_exactly():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert deps and all("==" in d for d in deps), [d for d in deps if "==" not in d]


def _lock() -> list[tuple[str, str, str]]:
    """(name, version, marker) of each line of requirements.lock."""
    out = []
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            req, _, marker = line.partition(";")
            name, version = req.strip().split("==")
            out.append((_norm(name), version, marker.strip()))
    return out


def test_environment_yml_installs_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert pip == ["-r requirements.lock", "-e ."]
    assert "python=3.11" in env["dependencies"]


def test_the_lock_carries_every_pin():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    locked = {name: version for name, version, _ in _lock()}
    assert {_norm(n): v for n, v in _pins(deps).items()}.items() <= locked.items(), \
        "a pin changed in pyproject.toml: run `make lock`"


def test_this_environment_is_the_lock():
    """`make venv` installs the lock: every package of it (for this platform) at its version."""
    from packaging.markers import Marker
    wrong = []
    for name, version, marker in _lock():
        if marker and not Marker(marker).evaluate():
            continue
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = None
        if have != version:
            wrong.append(f"{name}: {have} installed, {version} locked")
    assert not wrong, "run `make venv`:\n" + "\n".join(wrong)


def test_required_majors():
    pins = _pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    assert pins["jupyterlab"].startswith("4.")
    assert pins["docker"].startswith("7.")
    assert pins["ipywidgets"].startswith("8.")
    assert pins["jupyter-book"].startswith("1.")
    for name in ("nbval", "pytest", "matplotlib", "playwright"):
        assert name in pins


# --- every third-party import is a declared, exactly pinned, installed dependency ---------
CODE_DIRS = ("coursekit", "tests", "bench", "scripts")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules(root: Path, dirs=CODE_DIRS) -> dict[str, set[str]]:
    """top-level module -> the files importing it (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for d in dirs:
        for path in sorted((root / d).rglob("*.py")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for n in names:
                    found.setdefault(n.split(".")[0], set()).add(str(path.relative_to(root)))
    return found


def _local(root: Path, module: str) -> bool:
    """The course's own code: a package or module of this repository (tests put
    scripts/ and book/_ext/ on sys.path for their helpers)."""
    if module in ("coursekit", "tests"):
        return True
    return any((root / d / f"{module}.py").exists() or (root / d / module / "__init__.py").exists()
               for d in ("", *CODE_DIRS, "book/_ext"))


def undeclared_imports(root: Path, deps: list[str]) -> dict[str, list[str]]:
    """third-party modules imported by the course's code whose distribution is not one
    of ``deps`` -> the files importing each (a module no installed distribution
    provides is reported too)."""
    declared = {_norm(d.split("==")[0].split("[")[0]) for d in deps}
    dists = metadata.packages_distributions()
    bad = {}
    for module, files in imported_modules(root).items():
        if module in sys.stdlib_module_names or _local(root, module):
            continue
        provided = {_norm(d) for d in dists.get(module, [])}
        if not provided & declared:
            bad[f"{module} ({', '.join(sorted(provided)) or 'not installed'})"] = sorted(files)
    return bad


def test_every_third_party_import_is_a_declared_dependency():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert undeclared_imports(ROOT, deps) == {}


def test_every_pin_is_the_version_installed():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    wrong = {}
    for name, pinned in _pins(deps).items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            have = None
        if have != pinned:
            wrong[name] = (pinned, have)
    assert not wrong, f"pinned vs installed (run `make venv`): {wrong}"


def test_the_import_check_sees_an_undeclared_module(tmp_path):
    (tmp_path / "coursekit").mkdir()
    (tmp_path / "coursekit" / "m.py").write_text(
        "import os, requests\nfrom websocket import create_connection\nfrom . import x\n"
        "import coursekit.cli\nimport docker\n")
    bad = undeclared_imports(tmp_path, ["docker==7.2.0"])
    assert set(bad) == {"requests (requests)", "websocket (websocket-client)"}
