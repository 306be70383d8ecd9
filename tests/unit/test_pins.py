"""The Python pins live in pyproject.toml; environment.yml must carry the same."""
import re
import tomllib
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


def test_environment_yml_carries_the_same_pins():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert _pins(pip) == _pins(deps)


def test_required_majors():
    pins = _pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    assert pins["jupyterlab"].startswith("4.")
    assert pins["docker"].startswith("7.")
    assert pins["ipywidgets"].startswith("8.")
    assert pins["jupyter-book"].startswith("1.")
    for name in ("nbval", "pytest", "matplotlib", "playwright"):
        assert name in pins
