"""The GitHub Actions workflow is valid (SchemaStore's schema, offline) and runs the
same test command as .ci/run and the README."""
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
    steps = load(WORKFLOWS[0])["jobs"]["make-test"]["steps"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "make test" in runs
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def test_schema_rejects_a_broken_workflow():
    schema = json.loads((ROOT / "tests" / "schemas" / "github-workflows.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"on": "push", "jobs": {"x": {"steps": [{"run": "true"}]}}}, schema)
