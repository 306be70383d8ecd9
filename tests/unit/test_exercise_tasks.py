"""The tasks as code (coursekit/exercises/lessons/): one module per lesson in the
course's order, each task with one reference answer and at least two wrong answers that
are self-contained notebook code (the integration tests run them all on an engine)."""
import ast
import builtins
import importlib
from pathlib import Path

import pytest
import yaml

from coursekit import exercises as ex
from coursekit.exercises import lessons
from coursekit.errors import TaskDefinitionError
from coursekit.exercises.model import Task, answer_code

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_NAMES = {"client", "P", "ck", "ex"}     # what an exercise notebook defines


def _toc_lessons() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"].split("/")[-1] for part in toc["parts"] for c in part["chapters"]
            if c["file"].startswith("notebooks/")]


def test_the_lesson_modules_follow_the_toc():
    order = [importlib.import_module(f"coursekit.exercises.lessons.{m}").LESSON for m in lessons.MODULES]
    assert order == [n for n in _toc_lessons() if n in order], "lessons.MODULES must follow _toc.yml"
    assert list(ex.progress()) == order       # the progress table reads in the course's order


def test_every_lesson_module_is_listed():
    on_disk = {p.stem for p in (ROOT / "coursekit/exercises/lessons").glob("l*.py")}
    assert on_disk == set(lessons.MODULES)


def _free_names(code: str) -> set[str]:
    tree = ast.parse(code)
    bound = set(NOTEBOOK_NAMES) | set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


@pytest.mark.parametrize("task", ex.TASKS, ids=[t.id for t in ex.TASKS])
def test_answers_are_self_contained_code(task):
    assert len(task.answers) == 1, f"{task.id}: one reference answer"
    assert len(task.wrong_answers) >= 2, f"{task.id}: at least two wrong answers"
    module = f"coursekit.exercises.lessons.l{task.lesson}"
    for fn in task.answers + [fn for fn, _ in task.wrong_answers]:
        assert fn.__module__ == module, f"{task.id}: its answers live beside it, in {module}"
    for code in [task.solution] + [c for c, _ in task.wrong]:
        compile(code, task.id, "exec")
        assert not _free_names(code), (f"{task.id}: the notebook would not define "
                                       f"{_free_names(code)} (import it inside the answer)")
    assert all(phrase.strip() for _, phrase in task.wrong)
    assert ("answer" in task.solution) == task.takes_answer, f"{task.id}: takes_answer and `answer`"


def test_answer_code_is_the_body_the_notebook_shows():
    t = Task(id="demo", lesson="00", level="easy", text="", check=lambda *a: [], hint="")

    @t.answer
    def _(client, P):
        c = client.containers.get(P["name"])
        if c:
            answer = c.attrs["State"]["Pid"]
        return answer

    assert answer_code(t.answers[0]) == ('c = client.containers.get(P["name"])\nif c:\n'
                                         '    answer = c.attrs["State"]["Pid"]')
    assert t.solution == answer_code(t.answers[0])


def test_a_task_without_exactly_one_answer_says_so():
    t = Task(id="demo", lesson="00", level="easy", text="", check=lambda *a: [], hint="")
    with pytest.raises(TaskDefinitionError, match="demo has 0 answers"):
        t.solution
