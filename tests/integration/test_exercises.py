"""Every exercise task, on the real engine: the untouched learner copy fails its check,
the reference solution passes, and a plausible wrong answer fails with the intended hint."""
import pytest

import coursekit as ck
from coursekit import exercises as ex


@pytest.fixture
def fresh(tmp_path, monkeypatch, client):
    monkeypatch.setenv("COURSEKIT_PROGRESS", str(tmp_path / "progress.json"))
    before = {c.id for c in client.containers.list(all=True)}
    yield
    ex.cleanup()
    # Nothing else may be left behind either, e.g. a build's intermediate containers.
    left = [c.name for c in client.containers.list(all=True) if c.id not in before]
    assert not left, f"left behind: {left}"


def _answer(task, code, client):
    ns = {"client": client, "ck": ck, "ex": ex, "P": ex.show(task.id)}
    exec(compile(code, f"<{task.id}>", "exec"), ns)
    return ns.get("answer")


@pytest.mark.parametrize("task", ex.TASKS, ids=[t.id for t in ex.TASKS])
def test_task(client, fresh, task):
    ex.cleanup(task.id)
    ex.show(task.id)
    untouched = ex.check(task.id)
    assert not untouched.ok, f"the untouched copy passes {task.id}"
    assert "Traceback" not in repr(untouched)

    answer = _answer(task, task.solution, client)
    good = ex.check(task.id, answer)
    assert good.ok, repr(good)
    assert ex.progress()[task.lesson][0] >= 1

    ex.cleanup(task.id)
    wrong_answer = _answer(task, task.wrong, client)
    wrong = ex.check(task.id, wrong_answer)
    assert not wrong.ok, f"the wrong answer passes {task.id}"
    assert task.wrong_hint in repr(wrong), repr(wrong)
    assert wrong.hint, "a failed check shows the hint"


def test_at_least_twenty_tasks_across_the_lessons():
    assert len(ex.TASKS) >= 20
    assert len({t.lesson for t in ex.TASKS}) >= 8
    assert {t.level for t in ex.TASKS} == {"easy", "medium", "hard"}


def test_bad_input_never_raises(fresh):
    assert "no task" in repr(ex.check("no-such-task"))
    r = ex.check("vm-hostpid", answer="not a pid")
    assert not r.ok and "Traceback" not in repr(r)


def test_stopped_engine_is_a_cross_not_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEKIT_PROGRESS", str(tmp_path / "progress.json"))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    r = ex.check("run-port")
    assert not r.ok
    assert "no Docker engine socket" in repr(r) and "fix:" in repr(r)


def test_values_differ_between_sessions(monkeypatch):
    import coursekit.labelling as L
    seen = []
    for sid in ("learner-a", "learner-b"):
        monkeypatch.setattr(L, "_session", sid)
        seen.append(ex._values(ex.TASKS_BY_ID["run-port"]))
    assert seen[0]["name"] != seen[1]["name"]
    assert seen[0]["port"] != seen[1]["port"]


def test_progress_records_and_resets(fresh):
    ex._record("hello-run")
    assert ex.progress()["01_hello_container"] == (1, 2)
    ex.reset_progress()
    assert ex.progress()["01_hello_container"] == (0, 2)
