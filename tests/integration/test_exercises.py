"""Every exercise task, on the real engine: the untouched learner copy fails its check,
the reference solution passes (also without the course labels, and ``ex.cleanup()``
still removes it), and every plausible wrong answer fails with the intended hint."""
import json
import os
import re
import socket
import subprocess
import sys

import docker
import pytest

import coursekit as ck
from coursekit import exercises as ex
from coursekit.exercises import api, identity, notebooks, record
from coursekit.cgroups import oom_event, oom_killed
from coursekit.images import image_summaries

UNLABELLED = ", labels=ck.labels()"


@pytest.fixture(autouse=True)
def pinned_session(monkeypatch):
    """The tests are one session: exercise names are ck-<session>-ex-... (as in the parallel
    notebook runs, which set COURSEKIT_SESSION), so they never meet a learner's."""
    monkeypatch.setenv("COURSEKIT_SESSION", ck.session())


def _mine(client, task_id=None):
    """Everything on the engine named by the exercises (or by one task), labelled or not."""
    pre = ck.name("ex-" + (task_id or ""))
    regs = tuple(f"{p['address']}/" for t in ex.TASKS if "address" in (p := api._params(t)))
    return ([c.name for c in client.containers.list(all=True, ignore_removed=True, filters={"name": pre})
             if c.name.startswith(pre)]
            + [t for i in image_summaries(client) for t in i.get("RepoTags") or []
               if t.startswith(pre) or (task_id in (None, "reg-push") and t.startswith(regs))]
            + [v.name for v in client.volumes.list(filters={"name": pre}) if v.name.startswith(pre)]
            + [n.name for n in client.networks.list(filters={"name": pre}) if n.name.startswith(pre)])


@pytest.fixture
def fresh(tmp_path, monkeypatch, client):
    monkeypatch.setenv("COURSEKIT_PROGRESS", str(tmp_path / "progress.json"))
    before = {c["Id"] for c in client.api.containers(all=True)}
    yield
    ex.cleanup()
    # Nothing else of this session may be left behind either (checks' helpers, a task's
    # companions), labelled or only named by it. Only what this session could have made
    # is looked at: other test runs may share the engine meanwhile.
    sid = ck.session()
    left = [c["Names"][0].lstrip("/") for c in client.api.containers(all=True) if c["Id"] not in before
            and ((c.get("Labels") or {}).get("coursekit.session") == sid
                 or c["Names"][0].lstrip("/").startswith(f"ck-{sid}-"))]
    assert not left, f"left behind: {left}"
    assert not _mine(client), f"exercise objects left behind: {_mine(client)}"


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


@pytest.mark.parametrize("task", ex.TASKS, ids=[t.id for t in ex.TASKS])
def test_wrong_answers_are_rejected(client, fresh, task):
    assert len(task.wrong) >= 2, f"{task.id}: at least two wrong answers"
    accepted, unexplained = [], []
    for code, phrase in task.wrong:
        ex.cleanup(task.id)
        try:
            answer = _answer(task, code, client)
        except (docker.errors.APIError, docker.errors.ContainerError) as err:
            answer = None   # a learner's cell can fail too (e.g. joining a private IPC namespace)
            print(f"{task.id}: the wrong answer raised {type(err).__name__}")
        res = ex.check(task.id, answer)
        if res.ok:
            accepted.append(code)
        elif phrase not in repr(res) or not res.hint:
            unexplained.append(f"{phrase!r} not in {res!r}")
    assert not accepted, f"{task.id} accepts wrong answers:\n" + "\n---\n".join(accepted)
    assert not unexplained, "\n".join(unexplained)


@pytest.mark.parametrize("task", ex.TASKS, ids=[t.id for t in ex.TASKS])
def test_unlabelled_answer_passes_and_cleanup_removes_it(client, fresh, task):
    """Labels are the course's business, not the learner's."""
    ex.cleanup(task.id)
    code = task.solution.replace(UNLABELLED, "").replace("**ck.labels(), ", "")   # sudo-engine's labels are its answer
    assert "ck.labels()" not in code
    answer = _answer(task, code, client)
    made = _mine(client, task.id)
    assert made, "the answer made nothing the task names"
    res = ex.check(task.id, answer)
    assert res.ok, repr(res)
    ex.cleanup(task.id)
    assert not _mine(client, task.id), f"ex.cleanup() left {_mine(client, task.id)}"


def test_every_check_states_what_it_requires():
    for t in ex.TASKS:
        assert t.requires, t.id
        text = ex.Shown(t, identity._values(t)).text()
        assert "The check requires:" in text and "{" not in text, text


def test_each_task_has_its_own_variable_in_the_notebooks():
    for rel, nb in notebooks.build_notebooks().items():
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        shows = [re.match(r"(\w+) = ex\.show\(\"([\w-]+)\"\)", s) for s in code if "ex.show(" in s]
        names = [m.group(1) for m in shows]
        assert len(names) == len(set(names)), rel
        assert all(m.group(1) == ex.TASKS_BY_ID[m.group(2)].var for m in shows)
        if "/solutions/" in rel:
            assert not any(re.search(r"\bP\[", s) for s in code), rel


def test_run_all_out_of_order_keeps_each_task_on_its_values(client, fresh):
    """Every show cell first, then the answers, then the checks (as Run All after jumping
    ahead does): each answer uses its own task's values."""
    tasks = [t for t in ex.TASKS if t.lesson == "04_cgroups"]
    ns = {"client": client, "ck": ck, "ex": ex}
    for t in tasks:
        exec(f'{t.var} = ex.show("{t.id}")', ns)
    for t in reversed(tasks):
        exec(notebooks.notebook_code(t, t.solution), ns)
    for t in tasks:
        assert ex.check(t.id).ok, repr(ex.check(t.id))


def test_a_busy_port_is_replaced_when_shown_again(client, fresh):
    p = ex.show("run-port")
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # the earlier tests' probes: TIME_WAIT
        s.bind(("127.0.0.1", p["port"]))
        s.listen()
        again = ex.show("run-port")
        assert again["port"] != p["port"]
        assert ex.hint("run-port").endswith(f"Your port is {again['port']}.")
    # ... but not when the learner's own answer holds it
    _answer(ex.TASKS_BY_ID["run-port"], ex.TASKS_BY_ID["run-port"].solution, client)
    assert ex.show("run-port")["port"] == again["port"]
    assert ex.check("run-port").ok


RESTART = """
import json, types, IPython, coursekit as ck
from coursekit import exercises as ex
from coursekit.exercises import api, identity, notebooks, record
IPython.get_ipython = lambda: types.SimpleNamespace(kernel=object())   # as in a notebook kernel
client = ck.connect()
P = ex.show("run-env")
if {make}:
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, environment={{"GREETING": P["word"]}}, name=P["name"])
print(json.dumps({{"session": ck.session(), "ident": ex.ident(), "P": dict(P),
                   "ok": ex.check("run-env").ok, "cleanup": ex.cleanup() if {clean} else ""}}))
"""


def _kernel(tmp_path, make=False, clean=False, session=None):
    env = {k: v for k, v in os.environ.items() if k != "COURSEKIT_SESSION"}
    env["COURSEKIT_PROGRESS"] = str(tmp_path / "progress.json")
    if session:
        env["COURSEKIT_SESSION"] = session
    out = subprocess.run([sys.executable, "-c", RESTART.format(make=make, clean=clean)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_names_and_values_survive_a_kernel_restart(client, tmp_path):
    try:
        first = _kernel(tmp_path, make=True)
        assert first["ok"] and first["ident"] != first["session"]
        second = _kernel(tmp_path, clean=True)          # a new kernel: a new session id
        assert second["session"] != first["session"]
        assert second["P"] == first["P"] and second["ok"], second
        assert "removed 1 objects" in second["cleanup"]
        with pytest.raises(docker.errors.NotFound):
            client.containers.get(first["P"]["name"])
    finally:
        try:
            client.containers.get(f"ck-{first['ident']}-ex-run-env").remove(force=True)
        except (docker.errors.NotFound, NameError, UnboundLocalError):
            pass


def test_parallel_sessions_never_share_names(tmp_path):
    """Two copies of the notebooks at once (the test suite's, COURSEKIT_SESSION set) in
    kernels sharing one progress folder."""
    a = _kernel(tmp_path, session=f"{ck.session()}-pa")
    b = _kernel(tmp_path, session=f"{ck.session()}-pb")
    assert a["ident"] != b["ident"] and a["P"]["name"] != b["P"]["name"]
    assert not (tmp_path / "exercises.json").exists(), "a pinned session stores nothing"


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
        seen.append(identity._values(ex.TASKS_BY_ID["run-port"]))
    assert seen[0]["name"] != seen[1]["name"]
    assert seen[0]["port"] != seen[1]["port"]


def test_progress_records_and_resets(fresh):
    record._record("hello-run")
    assert ex.progress()["01_hello_container"] == (1, 2)
    ex.reset_progress()
    assert ex.progress()["01_hello_container"] == (0, 2)


def test_outside_a_kernel_the_session_is_used(tmp_path, monkeypatch):
    """Scripts and test processes never take a learner's id, so their ex.cleanup() can
    never touch a learner's exercises."""
    monkeypatch.delenv("COURSEKIT_SESSION")
    monkeypatch.setenv("COURSEKIT_PROGRESS", str(tmp_path / "progress.json"))
    assert ex.ident() == ck.session()
    assert not (tmp_path / "exercises.json").exists()


@pytest.mark.parametrize("task_id", sorted(ex.CLI), ids=sorted(ex.CLI))
def test_cli_solution_passes(client, fresh, task_id):
    """The CLI solution the solution notebooks show, with the task's values, run by a
    shell as a learner would paste it, passes the check."""
    task = ex.TASKS_BY_ID[task_id]
    ex.cleanup(task_id)
    script = ex.CLI[task_id].format(**ex.show(task_id))
    run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    answer = int(run.stdout.split()[-1]) if task.takes_answer else None
    res = ex.check(task_id, answer)
    assert res.ok, f"{script}\n{run.stdout[-500:]}{run.stderr[-500:]}\n{res!r}"


def test_every_task_has_a_cli_solution():
    assert set(ex.CLI) == set(ex.TASKS_BY_ID)


def test_oom_kill_is_seen_in_the_engine_events_not_a_docker_kill(client):
    """cg-oom's and the memory lab's fallback when the engine left State.OOMKilled false:
    its "oom" event.  A kernel OOM kill has one; a `docker kill` (also exit 137) has none."""
    made = []
    try:
        oom = client.containers.run(ck.BUSYBOX, ["sh", "-c", "tail /dev/zero"], detach=True,
                                    mem_limit="16m", memswap_limit="16m",
                                    name=ck.name("oom-event"), labels=ck.labels())
        made.append(oom)
        killed = client.containers.run(ck.BUSYBOX, "sleep 60", detach=True,
                                       name=ck.name("kill-event"), labels=ck.labels())
        made.append(killed)
        killed.kill()
        for c in made:
            assert c.wait(timeout=60)["StatusCode"] == 137
            c.reload()
        assert oom_event(client, oom), oom.attrs["State"]
        assert not oom_event(client, killed) and not oom_killed(client, killed), killed.attrs["State"]
    finally:
        for c in made:
            c.remove(force=True)
