"""The contributor's habits are written down and wired up: CONTRIBUTING.md (adding a
lesson, an exercise task, a test host; how stored outputs are recorded, which must stay
what scripts/execute.sh does), CHANGELOG.md, ruff configured in pyproject.toml and run
by pre-commit, and the code clean under it."""
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LINT_PATHS = "coursekit tests bench scripts"


def test_contributing_covers_the_habits():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    for heading in ("## Add a lesson", "## Add an exercise task", "## Add a test host",
                    "## Stored outputs"):
        assert heading in text, heading
    for must in ("_toc.yml", "book/timings.yml", "book/claims.yml", "coursekit/exercises/lessons/",
                 "python -m coursekit.exercises", "tests/hosts/", "make execute", "ck-learner",
                 "`docker` group", f"ruff check {LINT_PATHS}"):
        assert must in text, must


def test_contributing_describes_make_execute_as_it_is():
    """CONTRIBUTING.md says outputs are recorded on the reference VM (v2vm) as the
    docker-group learner, with COURSEKIT_RECORD_HOST=native as the alternative."""
    script = (ROOT / "scripts" / "execute.sh").read_text()
    assert "host=${COURSEKIT_RECORD_HOST:-v2vm}" in script
    assert "tests/hosts/learner.sh run" in script and "nbconvert --to notebook --execute" in script
    assert re.search(r"^execute: setup\n\t@bash scripts/execute.sh$", (ROOT / "Makefile").read_text(), re.M)
    text = (ROOT / "CONTRIBUTING.md").read_text()
    assert "tests/hosts/v2vm.sh" in text and "COURSEKIT_RECORD_HOST=native make execute" in text


def test_changelog_has_an_unreleased_section():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog") and "\n## Unreleased\n" in text


def test_ruff_is_configured_with_pyflakes_and_syntax_errors():
    ruff = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    select = ruff.get("lint", {}).get("select", ruff.get("select", []))
    assert "F" in select and ("E9" in select or "E" in select), select


def test_pre_commit_runs_ruff_check():
    cfg = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [(repo["repo"], repo.get("rev"), h) for repo in cfg["repos"] for h in repo["hooks"]]
    ruff = [(repo, rev, h) for repo, rev, h in hooks if h["id"].startswith("ruff")]
    assert ruff, "no ruff hook"
    repo, rev, hook = ruff[0]
    if repo == "local":
        assert hook["language"] == "system"
        assert re.search(r"\bruff(@[\d.]+)? check\b", hook["entry"]), hook["entry"]
    else:
        assert "ruff-pre-commit" in repo and rev, "pin the ruff-pre-commit repo's rev"


def _uv():
    for cand in (ROOT / ".venv" / "bin" / "uv", shutil.which("uv")):
        if cand and Path(cand).exists():
            return str(cand)
    return None


def test_the_code_is_clean_under_ruff():
    uv = _uv()
    if uv is None:
        pytest.skip("no uv here (make venv installs it) to run ruff")
    entry = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"][0]["entry"]
    ruff = re.search(r"(ruff(@[\d.]+)?) check", entry).group(1)
    r = subprocess.run([uv, "tool", "run", ruff, "check", "--no-cache", *LINT_PATHS.split()],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
