"""The room view's pure part: facts (plain dicts) -> rows, the "stuck" order, CSV, HTML,
and reading a learner's progress file without following their links.  The service itself
(hub OAuth, 403 for learners, reset) is tested on a real hub: tests/workshop/."""
import csv
import io
import json
import os

from coursekit.instructor import roomview as rv

TASKS = [("hello-run", "01_hello_container"), ("hello-logs", "01_hello_container"),
         ("run-port", "05_docker_run")]
NOW = 1_800_000_000.0


def iso(t: float) -> str:
    from datetime import datetime, timezone
    return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")


def progress(passed=(), failed=None, hint="try uname -r"):
    data = {t: "2026-11-29 10:00" for t in passed}
    checks = {}
    for t in passed:
        checks[t] = {"failed": 0, "passed": iso(NOW - 600), "last": {"at": iso(NOW - 600), "ok": True,
                                                                      "problems": [], "hint": ""}}
    for t, n in (failed or {}).items():
        checks.setdefault(t, {"failed": 0})["failed"] = n
        if t not in passed:
            checks[t]["last"] = {"at": iso(NOW - 300), "ok": False, "problems": [f"{t} is wrong"], "hint": hint}
    data["_checks"] = checks
    return data


def fact(name, prog=None, idle=60, **kw):
    return {"name": name, "progress": prog, "hub_activity": iso(NOW - idle), "server": "running",
            "sessions": [], "containers": 1, "mem_bytes": 300 * 2**20, "mem_limit": 2**30, **kw}


def test_cells_say_passed_failed_with_count_or_not_tried():
    rows = rv.build_rows([fact("ada", progress(passed=["hello-run"], failed={"hello-run": 2, "run-port": 1}))],
                         TASKS, NOW)
    cells = rows[0]["tasks"]
    assert cells["hello-run"]["text"] == "✅" and cells["hello-run"]["failed"] == 2
    assert cells["run-port"]["text"] == "❌ 1" and cells["run-port"]["hint"] == "try uname -r"
    assert cells["run-port"]["problems"] == ["run-port is wrong"]
    assert cells["hello-logs"] == {**cells["hello-logs"], "state": "untried", "text": ""}
    assert rows[0]["passed"] == 1 and rows[0]["failed_checks"] == 3 and rows[0]["unfinished"] == ["run-port"]
    assert rows[0]["mem_mib"] == 300 and rows[0]["limit_mib"] == 1024 and rows[0]["mem_pct"] == 29


def test_a_progress_file_from_before_the_checks_or_none_at_all():
    rows = rv.build_rows([fact("old", {"hello-run": "2026-01-01 10:00"}), fact("new", None),
                          fact("odd", {"_checks": {"run-port": {"failed": "x", "last": "y"}}})], TASKS, NOW)
    by = {r["name"]: r for r in rows}
    assert by["old"]["tasks"]["hello-run"]["text"] == "✅"
    assert all(c["state"] == "untried" for c in by["new"]["tasks"].values())
    assert by["odd"]["tasks"]["run-port"]["state"] == "untried"


def test_most_failed_checks_on_one_task_first_then_longest_idle_with_an_unfinished_task():
    facts = [
        fact("done", progress(passed=["hello-run", "hello-logs", "run-port"]), idle=5000),
        fact("idle-unfinished", progress(failed={"hello-run": 1}), idle=1200),
        fact("busy-unfinished", progress(failed={"hello-logs": 1}), idle=30),
        fact("many-fails", progress(failed={"run-port": 4, "hello-run": 1}), idle=10),
        fact("spread-fails", progress(failed={"run-port": 2, "hello-run": 2, "hello-logs": 2}), idle=10),
        fact("fresh", None, idle=9000),
    ]
    names = [r["name"] for r in rv.build_rows(facts, TASKS, NOW)]
    assert names == ["many-fails", "spread-fails", "idle-unfinished", "busy-unfinished", "done", "fresh"]


def test_a_failed_task_that_was_passed_later_is_not_stuck():
    rows = rv.build_rows([fact("a", progress(passed=["hello-run"], failed={"hello-run": 5}))], TASKS, NOW)
    assert rows[0]["stuck_failed"] == 0 and rows[0]["unfinished"] == []


def test_the_lesson_is_the_newest_open_notebook_else_the_one_seen_else_the_last_checked():
    open_ = [{"path": "notebooks/01_hello_container.ipynb", "last_activity": iso(NOW - 500)},
             {"path": "notebooks/05_docker_run.ipynb", "last_activity": iso(NOW - 20)}]
    rows = rv.build_rows([fact("a", sessions=open_), fact("b", remembered="03_namespaces"),
                          fact("c", progress(failed={"run-port": 1})), fact("d")], TASKS, NOW)
    by = {r["name"]: (r["lesson"], r["lesson_how"]) for r in rows}
    assert by == {"a": ("05_docker_run", "open"), "b": ("03_namespaces", "seen"),
                  "c": ("05_docker_run", "checked"), "d": ("", "")}


def test_idle_is_from_the_newest_of_hub_activity_kernel_activity_and_the_last_check():
    s = [{"path": "n.ipynb", "last_activity": iso(NOW - 40)}]
    rows = rv.build_rows([fact("a", idle=4000, sessions=s), fact("b", progress(failed={"run-port": 1}), idle=4000),
                          fact("c", idle=4000, hub_activity=None)], TASKS, NOW)
    by = {r["name"]: r["idle_s"] for r in rows}
    assert by == {"a": 40, "b": 300, "c": None}
    assert [rv.idle_text(x) for x in (None, 40, 300, 4000)] == ["–", "40 s", "5 min", "1 h 6 min"]


def test_csv_has_one_row_per_learner_and_one_column_per_task_and_runs_no_formula():
    rows = rv.build_rows([fact("ada", progress(passed=["hello-run"], failed={"run-port": 1})),
                          fact("bob", None, sessions=[{"path": "=cmd|calc.ipynb"}])], TASKS, NOW)
    table = list(csv.DictReader(io.StringIO(rv.to_csv(rows, TASKS))))
    assert [r["learner"] for r in table] == ["ada", "bob"]
    assert (table[0]["hello-run"], table[0]["hello-logs"], table[0]["run-port"]) == ("passed", "", "failed 1")
    assert table[0]["failed_checks"] == "1" and table[0]["stuck_task"] == "run-port"
    assert table[1]["lesson"] == "'=cmd|calc"


def test_the_html_escapes_everything_a_learner_wrote():
    evil = "<script>alert(1)</script>"
    prog = progress(failed={"run-port": 1}, hint=evil)
    prog["_checks"]["run-port"]["last"]["problems"] = [evil]
    rows = rv.build_rows([fact("ada", prog, sessions=[{"path": f"{evil}.ipynb"}])], TASKS, NOW)
    page = rv.render_room(rows, TASKS, "/services/roomview/", message=evil, updated="11:00:00 UTC")
    detail = rv.render_learner(rows[0], TASKS, "/services/roomview/", "<input name='_xsrf'>")
    for text in (page, detail):
        assert evil not in text and "&lt;script&gt;" in text
    assert "data-learner='ada'" in page and ">❌ 1<" in page and "room.csv" in page
    assert "http-equiv='refresh'" in page and "(read at 11:00:00 UTC)" in page
    assert "Hint:" in detail and "method='post'" in detail and "name='_xsrf'" in detail


def test_the_progress_file_is_read_without_following_a_learners_links(tmp_path):
    home = tmp_path / "home"
    (home / ".coursekit").mkdir(parents=True)
    f = home / ".coursekit" / "progress.json"
    f.write_text(json.dumps({"hello-run": "t"}))
    assert rv.read_progress(home) == {"hello-run": "t"}
    secret = tmp_path / "secret.json"
    secret.write_text('{"host": "secret"}')
    f.unlink()
    f.symlink_to(secret)                                   # a link to a host file
    assert rv.read_progress(home) is None
    f.unlink()
    os.mkfifo(f)                                           # would block a plain open()
    assert rv.read_progress(home) is None
    f.unlink()
    (home / ".coursekit").rmdir()
    (home / ".coursekit").symlink_to(tmp_path)             # the folder a link
    (tmp_path / "progress.json").write_text("{}")
    assert rv.read_progress(home) is None
    (home / ".coursekit").unlink()
    assert rv.read_progress(home) is None                  # nothing there
    (home / ".coursekit").mkdir()
    f.write_text("[1, 2]")                                 # not a dict
    assert rv.read_progress(home) is None


class FakeResponse:
    def __init__(self, status, body):
        self.status_code, self._body = status, body

    def json(self):
        return self._body

    def raise_for_status(self):
        assert self.status_code < 400


class FakeHTTP:
    def __init__(self, answers):
        self.calls, self.answers, self.headers = [], answers, {}

    def get(self, url, **kw):
        self.calls.append(("GET", url, kw))
        return self.answers.pop(0)

    def post(self, url, **kw):
        self.calls.append(("POST", url, kw))
        return self.answers.pop(0)


class FakeBox:
    attrs = {"Config": {"Env": ["JUPYTERHUB_SERVICE_URL=http://0.0.0.0:8888/user/ada/", "X=1"]},
             "NetworkSettings": {"Networks": {"ck-ws-net-ada": {"IPAddress": "172.30.0.2"}}},
             "HostConfig": {"Memory": 2**30}}

    def __init__(self, output=b"", stats=None):
        self.output, self._stats = output, stats

    def exec_run(self, cmd, user, stream):
        assert user == "jovyan" and stream
        from types import SimpleNamespace
        return SimpleNamespace(exit_code=None, output=iter([self.output]))

    def stats(self, stream, one_shot):
        return self._stats


def test_the_open_notebooks_are_asked_with_the_learners_own_token_directly_and_untracked():
    """Never the service's token to a learner's server; never through the proxy; never
    counted as the learner's activity (the hub ignores tokens noted "Server at ...")."""
    c = rv.Collector({"settings": {"id": "ws"}}, "http://10.0.0.1:8081/hub/api/", "SERVICE")
    c.http = FakeHTTP([FakeResponse(201, {"token": "ADA"})])
    c.http_direct = FakeHTTP([FakeResponse(200, [{"path": "notebooks/01_hello_container.ipynb",
                                                   "kernel": {"last_activity": "2026-11-29T11:00:00Z"}}]),
                              FakeResponse(200, [])])
    assert c.sessions("ada", FakeBox()) == [{"path": "notebooks/01_hello_container.ipynb",
                                             "last_activity": "2026-11-29T11:00:00Z"}]
    method, url, kw = c.http.calls[0]
    assert (method, url) == ("POST", "http://10.0.0.1:8081/hub/api/users/ada/tokens")
    assert kw["json"]["scopes"] == ["access:servers!user=ada"] and kw["json"]["note"].startswith("Server at ")
    method, url, kw = c.http_direct.calls[0]
    assert url == "http://172.30.0.2:8888/user/ada/api/sessions" and kw["params"] == {"no_track_activity": "1"}
    assert kw["headers"] == {"Authorization": "token ADA"} and "SERVICE" not in str(c.http_direct.headers)
    c.sessions("ada", FakeBox())
    assert len(c.http.calls) == 1                       # the learner's token is reused


def test_engine_containers_and_memory_from_the_learners_container():
    ids = b"0123456789ab\nba9876543210\nck-rc=0\n"
    assert rv.Collector.engine_containers(FakeBox(ids)) == 2
    assert rv.Collector.engine_containers(FakeBox(b"permission denied\nck-rc=1\n")) is None
    assert rv.Collector.engine_containers(FakeBox(b"x" * 200_000)) is None
    v1 = {"memory_stats": {"usage": 400 * 2**20, "limit": 2**40, "stats": {"total_inactive_file": 100 * 2**20}}}
    assert rv.Collector.memory(FakeBox(stats=v1)) == (300 * 2**20, 2**30)
    v2 = {"memory_stats": {"usage": 200 * 2**20, "stats": {"inactive_file": 0}}}
    assert rv.Collector.memory(FakeBox(stats=v2)) == (200 * 2**20, 2**30)
    assert rv.Collector.memory(FakeBox(stats={})) == (None, 2**30)
