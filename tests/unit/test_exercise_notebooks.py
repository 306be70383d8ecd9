"""The exercise notebooks are generated from the tasks in coursekit/exercises/lessons/: the committed
copies must be current (regenerate with `python -m coursekit.exercises`)."""
from pathlib import Path

import nbformat

from coursekit.exercises.notebooks import ANSWER_PLACEHOLDER, build_notebooks, sources_of

ROOT = Path(__file__).resolve().parents[2]


def test_committed_copies_are_current():
    stale = []
    for rel, nb in build_notebooks().items():
        path = ROOT / rel
        if not path.exists() or sources_of(nbformat.read(path, as_version=4)) != sources_of(nb):
            stale.append(rel)
    assert not stale, f"regenerate with `python -m coursekit.exercises`: {stale}"


def test_learner_copies_have_no_solutions_and_no_outputs():
    for rel, nb in build_notebooks().items():
        if "/solutions/" in rel:
            continue
        on_disk = nbformat.read(ROOT / rel, as_version=4)
        answers = [c for c in on_disk.cells if "answer" in c.metadata.get("tags", [])]
        assert answers and all(c.source == ANSWER_PLACEHOLDER.rstrip("\n") or c.source == ANSWER_PLACEHOLDER
                               for c in answers)
        assert not any(c.get("outputs") for c in on_disk.cells if c.cell_type == "code")


def test_solutions_are_folded_in_the_book():
    for rel, nb in build_notebooks().items():
        if "/solutions/" in rel:
            for c in nb.cells:
                if "answer" in c.metadata.get("tags", []):
                    assert "hide-input" in c.metadata["tags"]


def test_hints_lead_to_the_answer_without_stating_it():
    """A hint names where to look (a lesson, `--help`, a concept), never the answer: none
    holds a keyword argument of the task's SDK solution with its value, nor the
    solution's flags with their values (e.g. `--user 65534`, `-m 64m`)."""
    import re
    from coursekit import exercises as ex
    norm = lambda t: t.replace("'", '"').replace(" ", "")
    for t in ex.TASKS:
        hint = norm(t.hint)
        for key, value in re.findall(r"\b(\w+)=(\"[^\"]*\"|'[^']*'|[\w.]+)", t.solution):
            if key in ("name", "labels", "detach", "remove") or value.startswith(("P[", "ck.")):
                continue   # the course's own set-up, not the answer
            assert norm(f"{key}={value}") not in hint, f"{t.id}: the hint states {key}={value}"
        for flag in ("--user 65534", "--pids-limit", "--hostname", "--network container:", "--pid=host",
                     "--ipc shareable", "-p 127.0.0.1:", ":ro", "docker tag ", "--memory-swap"):
            assert flag.replace(" ", "") not in hint, f"{t.id}: the hint states {flag!r}"
