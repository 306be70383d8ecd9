"""The GitHub Actions workflows are valid (SchemaStore's schema, offline): test.yml runs
the same test command as .ci/run and the README, pages.yml builds the book and deploys
it to GitHub Pages.  The dev container (.devcontainer/devcontainer.json) is checked here
too: Python at the course's floor, Docker in Docker, `make setup`."""
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def load(path):
    data = yaml.safe_load(path.read_text())
    if True in data:   # YAML 1.1 reads the key `on` as a boolean; GitHub reads it as "on"
        data["on"] = data.pop(True)
    return data


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_schema(path):
    schema = json.loads((ROOT / "tests" / "schemas" / "github-workflows.json").read_text())
    jsonschema.validate(load(path), schema)


def test_workflow_runs_make_test():
    assert WORKFLOWS, "no workflow in .github/workflows"
    steps = load(ROOT / ".github" / "workflows" / "test.yml")["jobs"]["make-test"]["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "make test" in runs
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def test_schema_rejects_a_broken_workflow():
    schema = json.loads((ROOT / "tests" / "schemas" / "github-workflows.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"on": "push", "jobs": {"x": {"steps": [{"run": "true"}]}}}, schema)


def _uses(job) -> dict[str, dict]:
    """action name (without @ref) -> its step, for the steps of ``job``"""
    return {s["uses"].split("@")[0]: s for s in job["steps"] if "uses" in s}


def check_pages(wf) -> None:
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    runs = " ".join(s.get("run", "") for s in build["steps"])
    assert "make book" in runs or "jupyter-book build" in runs, "the book is not built"
    artifact = _uses(build)["actions/upload-pages-artifact"]
    assert artifact["with"]["path"].rstrip("/") == "_build/html"      # where `make book` writes
    assert "actions/checkout" in _uses(build)
    assert deploy["needs"] in ("build", ["build"])
    assert "actions/deploy-pages" in _uses(deploy)
    assert deploy["environment"]["name"] == "github-pages"
    assert wf["permissions"]["pages"] == "write" and wf["permissions"]["id-token"] == "write"
    for job in (build, deploy):
        for step in job["steps"]:
            if "uses" in step:
                assert "@" in step["uses"], f"{step['uses']}: pin the action's version"


def test_pages_workflow_builds_and_deploys_the_book():
    wf = load(ROOT / ".github" / "workflows" / "pages.yml")
    check_pages(wf)
    assert "_build/html" in (ROOT / "Makefile").read_text() or "jupyter-book build ." in (
        ROOT / "Makefile").read_text()
    # the check is real: a workflow that uploads but never deploys is refused
    broken = load(ROOT / ".github" / "workflows" / "pages.yml")
    broken["jobs"]["deploy"]["steps"] = [{"run": "true"}]
    with pytest.raises((AssertionError, KeyError)):
        check_pages(broken)


DIND = "ghcr.io/devcontainers/features/docker-in-docker"


def check_devcontainer(dc: dict, floor: str) -> None:
    for key in ("name", "image", "features", "postCreateCommand"):
        assert key in dc, f"devcontainer.json has no {key!r}"
    image = dc["image"]
    assert "python" in image and (f"-{floor}" in image or f":{floor}" in image), image
    assert [f for f in dc["features"] if f.split(":")[0] == DIND], "no docker-in-docker feature"
    assert dc["postCreateCommand"] == "make setup"


def test_devcontainer_has_python_docker_in_docker_and_make_setup():
    import tomllib
    dc = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    check_devcontainer(dc, spec.lstrip(">= "))
    with pytest.raises(AssertionError):
        check_devcontainer({**dc, "features": {"ghcr.io/devcontainers/features/node:1": {}}}, "3.11")
