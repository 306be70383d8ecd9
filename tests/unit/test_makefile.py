"""Every .PHONY target of the Makefile does something: it has a recipe or
prerequisites (a target named only in .PHONY makes `make TARGET` exit 0 doing nothing).

Read from make's own database (`make -pRrq` of a target that does not exist): no recipe
runs, and make, not a regular expression, decides what the rules are."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def rules(makefile: Path) -> dict[str, dict]:
    """target -> {"prereqs": [...], "recipe": bool, "phony": bool}, as make reads it."""
    out = subprocess.run(["make", "-pRrq", "-f", str(makefile), "-C", str(makefile.parent),
                          "__no_such_target__"], capture_output=True, text=True, timeout=60).stdout
    db = out.split("# Files", 1)[1]
    found = {}
    for block in re.split(r"\n\n+", db):
        lines = block.strip("\n").splitlines()
        if not lines or lines[0].startswith("#") or ":" not in lines[0]:
            continue
        head = lines[0]
        target, _, prereqs = head.partition(":")
        if prereqs.startswith("="):     # a variable, not a rule
            continue
        body = "\n".join(lines[1:])
        found[target.strip()] = {
            "prereqs": prereqs.replace(":", " ").split(),
            "recipe": "#  recipe to execute" in body,
            "phony": "#  Phony target" in body,
            "rule": "#  Not a target" not in body,
        }
    return found


def idle_phony_targets(makefile: Path) -> list[str]:
    db = rules(makefile)
    phony = db.get(".PHONY", {}).get("prereqs", [])
    return [t for t in phony if not db.get(t, {}).get("recipe") and not db.get(t, {}).get("prereqs")]


def test_every_phony_target_has_a_rule():
    db = rules(ROOT / "Makefile")
    assert {"test", "test-unit", "test-integration", "test-notebooks", "lab"} <= set(db[".PHONY"]["prereqs"])
    assert idle_phony_targets(ROOT / "Makefile") == []


def test_the_suite_targets_run_what_test_sh_runs():
    db = rules(ROOT / "Makefile")
    for t in ("test-unit", "test-integration", "test-notebooks"):
        assert db[t]["recipe"], t
    text = (ROOT / "Makefile").read_text()
    script = (ROOT / "scripts" / "test.sh").read_text()
    for cmd in ("-m pytest tests/unit -q -p no:cacheprovider",
                "-m pytest tests/integration -q -p no:cacheprovider",
                "-m pytest -p tests.nbval_hosts", "--nbval-sanitize-with tests/nbval_sanitize.cfg"):
        assert cmd in text and cmd in script, cmd


def test_the_check_finds_an_idle_target(tmp_path):
    (tmp_path / "Makefile").write_text(".PHONY: a b c\na:\n\t@true\nb: a\n")
    assert idle_phony_targets(tmp_path / "Makefile") == ["c"]
