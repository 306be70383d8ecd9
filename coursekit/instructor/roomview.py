"""The instructor's room view: who is stuck, without walking the room.

A JupyterHub service (started by the hub, ``workshop/jupyterhub_config.py``) at
``/services/roomview/``, behind the hub's own OAuth: only the instructor (the hub's
admin) gets in; a learner gets 403 from the hub before this code runs, and this code
refuses any non-admin again.  One row per learner, one column per exercise task
(✅ passed, ❌ N failed checks, blank: not tried), the lesson open (or last seen/checked),
the learner engine's running containers, memory against the limit, and time since the
last activity; sorted by "stuck": most failed checks on one unfinished task first, then
longest idle with an unfinished task.  A row opens that learner's last check results
(problems and hint) and a reset button (POST, with the hub's XSRF token); ``room.csv``
exports the table.

Where the facts come from, all read-only and all course-labelled:

- the hub's REST API (the service's own token): learners, servers, last activity;
- each learner's Jupyter server (``/api/sessions``, asked directly, not through the
  proxy, and not counted as activity) with a token of that learner's own, scoped to
  their server only: the notebooks open (the service's token never reaches a learner's
  server, which the learner controls);
- the learner's progress file, read on the host from their labelled home volume, every
  path component opened without following links (the learner owns that folder);
- the host's engine: the learner's labelled container (memory, limit), and ``docker ps``
  run inside it as the learner (their engine's running containers).

The pure part -- :func:`build_rows` (facts to sorted rows), :func:`to_csv`, the HTML --
takes plain dicts and is unit-tested (tests/unit/test_roomview.py); the tornado
handlers only collect and render.
"""
from __future__ import annotations

import csv
import html
import io
import json
import logging
import os
import re
import stat
import time
from datetime import datetime
from pathlib import Path, PurePosixPath

from ..paths import PROGRESS_NAME, STATE_NAME
from .settings import ADMIN_USER, LEARNER_LABEL, USERNAME_PATTERN, WORKSHOP_LABEL, learner_names

SERVICE_NAME = "roomview"
REFRESH_S = 10          # the page reloads itself this often
CACHE_S = 4             # facts younger than this are served again
MAX_PROGRESS_BYTES = 1 << 20
STATES = {"passed": "✅", "failed": "❌", "untried": ""}


# --- the pure part: facts -> rows ---------------------------------------------------------
def parse_time(value) -> float | None:
    """An ISO time from the hub or Jupyter (``...Z`` or ``+00:00``) -> epoch seconds."""
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def task_cell(progress: dict, task_id: str) -> dict:
    """One task of one learner: passed / failed (with the number of failed checks) /
    untried, from their progress file (``{task: first pass, "_checks": {...}}``)."""
    checks = progress.get("_checks") if isinstance(progress.get("_checks"), dict) else {}
    entry = checks.get(task_id) if isinstance(checks.get(task_id), dict) else {}
    try:
        failed = max(0, int(entry.get("failed") or 0))
    except (TypeError, ValueError):
        failed = 0
    last = entry.get("last") if isinstance(entry.get("last"), dict) else {}
    passed = task_id in progress
    state = "passed" if passed else "failed" if failed else "untried"
    text = STATES[state] + (f" {failed}" if state == "failed" else "")
    return {"state": state, "failed": failed, "text": text,
            "last_at": last.get("at") if isinstance(last.get("at"), str) else "",
            "last_ok": bool(last.get("ok")),
            "problems": [str(p) for p in last.get("problems") or [] if isinstance(p, (str, int, float))],
            "hint": str(last.get("hint") or "")}


def lesson_of(path: str) -> str:
    """``notebooks/01_hello_container.ipynb`` -> ``01_hello_container``."""
    return PurePosixPath(str(path)).stem


def build_rows(facts: list[dict], tasks: list[tuple[str, str]], now: float) -> list[dict]:
    """The room view's rows, most stuck first.

    ``facts``: one dict per learner -- ``name``; ``progress`` (their progress file, or
    None); ``hub_activity`` (ISO, the hub's last activity); ``server`` ("running",
    "starting", "stopped"); ``sessions`` (``[{"path", "last_activity"}]`` of their open
    notebooks); ``remembered`` (the lesson last seen open); ``containers`` (their
    engine's running containers, or None); ``mem_bytes`` / ``mem_limit`` (or None).
    ``tasks``: (task id, lesson) in course order.  Pure: no I/O."""
    rows = []
    for f in facts:
        progress = f.get("progress") if isinstance(f.get("progress"), dict) else {}
        cells = {tid: task_cell(progress, tid) for tid, _ in tasks}
        unfinished = {tid: c["failed"] for tid, c in cells.items() if c["state"] == "failed"}
        stuck_task = max(unfinished, key=lambda t: unfinished[t], default="")
        sessions = sorted((s for s in f.get("sessions") or [] if s.get("path")),
                          key=lambda s: parse_time(s.get("last_activity")) or 0, reverse=True)
        checked = sorted(((c["last_at"], tid) for tid, c in cells.items() if c["last_at"]), reverse=True)
        lesson_by_task = dict(tasks)
        if sessions:
            lesson, how = lesson_of(sessions[0]["path"]), "open"
        elif f.get("remembered"):
            lesson, how = f["remembered"], "seen"
        elif checked:
            lesson, how = lesson_by_task.get(checked[0][1], ""), "checked"
        else:
            lesson, how = "", ""
        times = [parse_time(f.get("hub_activity")), *(parse_time(s.get("last_activity")) for s in sessions),
                 *(parse_time(at) for at, _ in checked[:1])]
        times = [t for t in times if t]
        idle = max(0.0, now - max(times)) if times else None
        mem, limit = f.get("mem_bytes"), f.get("mem_limit")
        rows.append({
            "name": f["name"], "server": f.get("server") or "stopped",
            "tasks": cells, "passed": sum(c["state"] == "passed" for c in cells.values()),
            "failed_checks": sum(c["failed"] for c in cells.values()),
            "stuck_task": stuck_task, "stuck_failed": unfinished.get(stuck_task, 0),
            "unfinished": sorted(unfinished), "idle_s": None if idle is None else round(idle),
            "lesson": lesson, "lesson_how": how, "containers": f.get("containers"),
            "mem_mib": None if mem is None else round(mem / 2**20),
            "limit_mib": None if not limit else round(limit / 2**20),
            "mem_pct": None if mem is None or not limit else round(100 * mem / limit)})
    rows.sort(key=stuck_key)
    return rows


def stuck_key(row: dict) -> tuple:
    """Most failed checks on one unfinished task first; then the longest idle among
    those with an unfinished task; then by name."""
    idle = (row["idle_s"] or 0) if row["unfinished"] else 0
    return (-row["stuck_failed"], -idle, row["name"])


def _csv_safe(value) -> str:
    """A spreadsheet never runs a learner-written cell as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(rows: list[dict], tasks: list[tuple[str, str]]) -> str:
    """The table as CSV: one row per learner, one column per task (passed / failed N /
    empty), then the summary columns."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["learner", "server", "lesson", "lesson_how", "passed", "failed_checks", "stuck_task",
                "idle_s", "containers", "mem_mib", "limit_mib", *(tid for tid, _ in tasks)])
    for r in rows:
        cells = [("passed" if c["state"] == "passed" else f"failed {c['failed']}" if c["state"] == "failed"
                  else "") for c in (r["tasks"][tid] for tid, _ in tasks)]
        w.writerow([_csv_safe(v) for v in (r["name"], r["server"], r["lesson"], r["lesson_how"], r["passed"],
                                           r["failed_checks"], r["stuck_task"], r["idle_s"], r["containers"],
                                           r["mem_mib"], r["limit_mib"], *cells)])
    return out.getvalue()


def idle_text(seconds) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


_STYLE = """<style>
body{font-family:system-ui,sans-serif;margin:1em}table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ccc;padding:2px 5px;text-align:center}td.l{text-align:left}
th.t{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal;white-space:nowrap}
tr.stuck td.n{background:#fde2e2}td.failed{background:#fff1f0}td.passed{background:#f0fff0}
.muted{color:#777}.bar{display:inline-block;height:8px;background:#2a7ae2}
</style>"""


def render_room(rows: list[dict], tasks: list[tuple[str, str]], prefix: str, message: str = "",
                updated: str = "") -> str:
    """The room view's page (reloads itself every ``REFRESH_S`` seconds)."""
    e = html.escape
    lessons: list[tuple[str, int]] = []
    for _, lesson in tasks:
        if lessons and lessons[-1][0] == lesson:
            lessons[-1] = (lesson, lessons[-1][1] + 1)
        else:
            lessons.append((lesson, 1))
    head1 = "".join(f"<th colspan='{n}' title='{e(les)}'>{e(les[:2])}</th>" for les, n in lessons)
    head2 = "".join(f"<th class='t'>{e(tid)}</th>" for tid, _ in tasks)
    body = []
    for r in rows:
        cells = "".join(f"<td class='{c['state']}' data-task='{e(tid)}' title='{e(tid)}'>{e(c['text'])}</td>"
                        for tid, c in ((tid, r["tasks"][tid]) for tid, _ in tasks))
        mem = ("–" if r["mem_mib"] is None else
               f"{r['mem_mib']}/{r['limit_mib'] or '?'} MiB" + (
                   f" <span class='bar' style='width:{min(100, r['mem_pct']) // 4}px'></span>"
                   if r["mem_pct"] is not None else ""))
        lesson = e(r["lesson"]) + (f" <span class='muted'>({e(r['lesson_how'])})</span>"
                                   if r["lesson_how"] and r["lesson_how"] != "open" else "")
        stuck = " class='stuck'" if r["stuck_failed"] else ""
        body.append(
            f"<tr{stuck} data-learner='{e(r['name'])}'><td class='l n'><a href='{e(prefix)}learner/{e(r['name'])}'>"
            f"{e(r['name'])}</a></td><td>{e(r['server'])}</td><td class='l'>{lesson}</td>"
            f"<td>{r['passed']}/{len(tasks)}</td><td>{idle_text(r['idle_s'])}</td>"
            f"<td>{'–' if r['containers'] is None else r['containers']}</td><td class='l'>{mem}</td>{cells}</tr>")
    note = f"<p id='message'><b>{e(message)}</b></p>" if message else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Room view</title>"
            f"<meta http-equiv='refresh' content='{REFRESH_S};url={e(prefix)}'>{_STYLE}</head><body>"
            f"<h1>Room view</h1>{note}<p class='muted'>{len(rows)} learners, most stuck first "
            f"(failed checks on one unfinished task, then idle time). ✅ passed, ❌ N failed checks, "
            f"blank: not tried. Reloads every {REFRESH_S} s{' (read at ' + e(updated) + ')' if updated else ''}. "
            f"<a href='{e(prefix)}room.csv'>CSV</a></p>"
            f"<table id='room'><thead><tr><th rowspan='2'>learner</th><th rowspan='2'>server</th>"
            f"<th rowspan='2'>lesson</th><th rowspan='2'>passed</th><th rowspan='2'>idle</th>"
            f"<th rowspan='2'>containers</th><th rowspan='2'>memory</th>{head1}</tr><tr>{head2}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></body></html>")


def render_learner(row: dict, tasks: list[tuple[str, str]], prefix: str, xsrf_form: str) -> str:
    """One learner: each task they checked, with the last result (problems, hint), and
    the reset buttons."""
    e = html.escape
    items = []
    for tid, lesson in tasks:
        c = row["tasks"][tid]
        if c["state"] == "untried" and not c["last_at"]:
            continue
        problems = "".join(f"<li>{e(p)}</li>" for p in c["problems"])
        hint = f"<div class='hint'><b>Hint:</b> {e(c['hint'])}</div>" if c["hint"] and not c["last_ok"] else ""
        last = "passed" if c["last_ok"] else "not yet"
        items.append(f"<div class='task' data-task='{e(tid)}'><h3>{e(c['text'] or '·')} {e(tid)} "
                     f"<span class='muted'>({e(lesson)})</span></h3><p>{c['failed']} failed checks; "
                     f"last check {e(c['last_at'] or '–')}: {last}</p><ul>{problems}</ul>{hint}</div>")
    name = e(row["name"])
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{name}: room view</title>{_STYLE}"
            f"</head><body><p><a href='{e(prefix)}'>← room view</a></p><h1>{name}</h1>"
            f"<p>server {e(row['server'])}; lesson {e(row['lesson'] or '–')}; idle {idle_text(row['idle_s'])}</p>"
            f"{''.join(items) or '<p>No task checked yet.</p>'}"
            f"<h2>Reset</h2><form method='post' action='{e(prefix)}learner/{name}/reset' "
            f"onsubmit=\"return confirm('Reset {name}?')\">{xsrf_form}"
            f"<button name='what' value='engine'>Reset engine (keep home and progress)</button> "
            f"<button name='what' value='all'>Reset everything (engine, home, progress)</button></form>"
            f"</body></html>")


# --- reading a learner's progress file safely ----------------------------------------------
def read_progress(home: Path) -> dict | None:
    """``home/.coursekit/progress.json`` as a dict, or None.  The learner owns ``home``:
    no component is followed if it is a link, only a regular file is read, at most 1 MiB."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    fds = []
    try:
        fds.append(os.open(home, flags | os.O_DIRECTORY))
        fds.append(os.open(STATE_NAME, flags | os.O_DIRECTORY, dir_fd=fds[-1]))
        fd = os.open(PROGRESS_NAME, flags | os.O_NONBLOCK, dir_fd=fds[-1])
        fds.append(fd)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_PROGRESS_BYTES:
            return None
        data = os.read(fd, MAX_PROGRESS_BYTES)
        value = json.loads(data.decode("utf-8", errors="replace"))
        return value if isinstance(value, dict) else None
    except (OSError, ValueError):
        return None
    finally:
        for fd in fds:
            os.close(fd)


# --- collecting the facts (hub API, the host's engine) ----------------------------------------
class Collector:
    """Gathers the facts for :func:`build_rows` (blocking: run it in a thread)."""

    def __init__(self, state: dict, api_url: str, token: str, client=None):
        import requests
        self.state, self.api_url = state, api_url.rstrip("/")
        self.ws = state["settings"]["id"]
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"token {token}"
        self.http_direct = requests.Session()          # to learners' servers: no service token
        self._client = client
        self.remembered: dict[str, str] = {}
        self.learner_tokens: dict[str, tuple[str, float]] = {}

    @property
    def client(self):
        if self._client is None:
            from ..connect import connect
            self._client = connect()
        return self._client

    def users(self) -> list[dict]:
        r = self.http.get(self.api_url + "/users", timeout=15)
        r.raise_for_status()
        return [u for u in r.json() if u.get("name") != ADMIN_USER and not u.get("admin")]

    def learner_token(self, name: str) -> str:
        """A token of the learner's own, for their server only (expires in an hour):
        what this service shows their server, never its own.  Its note starts with
        "Server at", as the tokens of the learner's server do: the hub then does not
        count its use as the learner's activity (the idle time and culler stay true)."""
        tok, until = self.learner_tokens.get(name, ("", 0.0))
        if tok and until > time.time() + 60:
            return tok
        r = self.http.post(f"{self.api_url}/users/{name}/tokens", timeout=15,
                           json={"scopes": [f"access:servers!user={name}"], "expires_in": 3600,
                                 "note": f"Server at /user/{name}/: the instructor's room view "
                                         "reads the notebooks you have open"})
        r.raise_for_status()
        tok = r.json()["token"]
        self.learner_tokens[name] = (tok, time.time() + 3600)
        return tok

    def sessions(self, name: str, box) -> list[dict]:
        """The notebooks open on the learner's server, asked directly (not through the
        proxy, which would count it as activity) with ``no_track_activity``."""
        from urllib.parse import urlparse
        env = dict(e.split("=", 1) for e in box.attrs["Config"].get("Env") or [] if "=" in e)
        bind = urlparse(env.get("JUPYTERHUB_SERVICE_URL", ""))
        ips = [n.get("IPAddress") for n in (box.attrs["NetworkSettings"].get("Networks") or {}).values()
               if n.get("IPAddress")]
        if not (bind.port and ips):
            return []
        r = self.http_direct.get(f"http://{ips[0]}:{bind.port}{bind.path.rstrip('/')}/api/sessions",
                                 params={"no_track_activity": "1"}, timeout=5, allow_redirects=False,
                                 headers={"Authorization": f"token {self.learner_token(name)}"})
        if r.status_code != 200:
            return []
        return [{"path": str(s.get("path") or ""), "last_activity": (s.get("kernel") or {}).get("last_activity")}
                for s in r.json()[:50] if isinstance(s, dict)]

    def homes(self) -> dict[str, Path]:
        out = {}
        for v in self.client.volumes.list(filters={"label": [f"{WORKSHOP_LABEL}={self.ws}", LEARNER_LABEL]}):
            user = (v.attrs.get("Labels") or {}).get(LEARNER_LABEL)
            if user and v.name == learner_names(self.ws, user)["home_volume"]:
                out[user] = Path((v.attrs.get("Options") or {}).get("device") or v.attrs["Mountpoint"])
        return out

    def boxes(self) -> dict:
        flt = {"label": [f"{WORKSHOP_LABEL}={self.ws}", LEARNER_LABEL]}
        return {c.labels[LEARNER_LABEL]: c for c in self.client.containers.list(filters=flt, ignore_removed=True)}

    @staticmethod
    def memory(box) -> tuple[int | None, int | None]:
        limit = box.attrs.get("HostConfig", {}).get("Memory") or None
        try:
            s = box.stats(stream=False, one_shot=True).get("memory_stats") or {}
        except Exception:
            return None, limit
        usage = s.get("usage")
        if usage is None:
            return None, limit
        detail = s.get("stats") or {}
        usage -= detail.get("total_inactive_file", detail.get("inactive_file", 0))   # as `docker stats`
        return max(0, usage), limit or s.get("limit")

    @staticmethod
    def engine_containers(box) -> int | None:
        """``docker ps -q`` in the learner's container, as the learner (read at most 64 KiB)."""
        try:
            res = box.exec_run(["sh", "-c", "docker ps -q; echo ck-rc=$?"], user="jovyan", stream=True)
            out = b""
            for chunk in res.output:
                out += chunk
                if len(out) > 65536:
                    break
        except Exception:
            return None
        text = out.decode(errors="replace").split()
        if "ck-rc=0" not in text:
            return None
        return sum(bool(re.fullmatch(r"[0-9a-f]{12,64}", t)) for t in text)

    def one(self, user: dict, box, home: Path | None) -> dict:
        name = user["name"]
        server = (user.get("servers") or {}).get("") or {}
        running = bool(server.get("ready"))
        fact = {"name": name, "hub_activity": user.get("last_activity"),
                "server": "running" if running else "starting" if user.get("pending") or server else "stopped",
                "progress": read_progress(home) if home else None, "sessions": [],
                "containers": None, "mem_bytes": None, "mem_limit": None}
        if running and box is not None:
            try:
                fact["sessions"] = self.sessions(name, box)
            except Exception:
                pass
        if box is not None:
            fact["mem_bytes"], fact["mem_limit"] = self.memory(box)
            fact["containers"] = self.engine_containers(box)
        if fact["sessions"]:
            newest = max(fact["sessions"], key=lambda s: parse_time(s.get("last_activity")) or 0)
            self.remembered[name] = lesson_of(newest["path"])
        fact["remembered"] = self.remembered.get(name, "")
        return fact

    def facts(self) -> list[dict]:
        from concurrent.futures import ThreadPoolExecutor
        users = self.users()
        boxes, homes = self.boxes(), self.homes()
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda u: self.one(u, boxes.get(u["name"]), homes.get(u["name"])), users))


def course_tasks() -> list[tuple[str, str]]:
    from ..exercises import TASKS
    return [(t.id, t.lesson) for t in TASKS]


# --- the service --------------------------------------------------------------------------
def make_app(collector: Collector, prefix: str, reset=None):
    """The tornado application: thin handlers over :class:`Collector` and the renderers.
    ``reset(name, keep_home)`` resets a learner (default: :func:`.hub.reset_learner`)."""
    import asyncio

    from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated, UserNotAllowed
    from tornado import web

    log = logging.getLogger("roomview")
    tasks = course_tasks()
    cache: dict = {"at": 0.0, "wall": 0.0, "rows": []}
    lock = asyncio.Lock()
    if reset is None:
        from .hub import reset_learner

        def reset(name, keep_home):
            return reset_learner(name, quiet=True, keep_home=keep_home)

    async def rows(fresh: bool = False) -> list[dict]:
        async with lock:
            if fresh or time.monotonic() - cache["at"] > CACHE_S:
                facts = await asyncio.to_thread(collector.facts)
                cache["rows"], cache["at"], cache["wall"] = build_rows(facts, tasks, time.time()), time.monotonic(), time.time()
            return cache["rows"]

    class Base(HubOAuthenticated, web.RequestHandler):
        def check_hub_user(self, model):
            model = super().check_hub_user(model)
            if model and (model.get("kind", "user") != "user" or model.get("name") != ADMIN_USER):
                raise UserNotAllowed(model)      # the instructor only, whatever scopes a token has
            return model

        def set_default_headers(self):
            self.set_header("Cache-Control", "no-store")
            self.set_header("X-Frame-Options", "DENY")
            self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                            "script-src 'unsafe-inline'; form-action 'self'")

        async def learner_row(self, name: str) -> dict:
            if not re.fullmatch(USERNAME_PATTERN, name):
                raise web.HTTPError(404)
            for r in await rows():
                if r["name"] == name:
                    return r
            raise web.HTTPError(404, f"no learner {name}")

    class Room(Base):
        @web.authenticated
        async def get(self):
            table = await rows()
            self.write(render_room(table, tasks, prefix, self.get_argument("message", ""),
                                   time.strftime("%H:%M:%S UTC", time.gmtime(cache["wall"]))))

    class Rows(Base):
        @web.authenticated
        async def get(self):
            self.set_header("Content-Type", "application/json")
            self.write(json.dumps({"tasks": tasks, "rows": await rows()}))

    class Csv(Base):
        @web.authenticated
        async def get(self):
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition",
                            f"attachment; filename=room-{time.strftime('%Y-%m-%d-%H%M')}.csv")
            self.write(to_csv(await rows(), tasks))

    class LearnerPage(Base):
        @web.authenticated
        async def get(self, name):
            self.write(render_learner(await self.learner_row(name), tasks, prefix, self.xsrf_form_html()))

    class Reset(Base):
        @web.authenticated
        async def post(self, name):
            await self.learner_row(name)
            what = self.get_argument("what", "all")
            if what not in ("all", "engine"):
                raise web.HTTPError(400)
            log.warning("%s resets %s (%s)", self.current_user["name"], name, what)
            removed = await asyncio.to_thread(reset, name, what == "engine")
            await rows(fresh=True)
            from urllib.parse import quote
            self.redirect(f"{prefix}?message=" + quote(f"reset {name} ({what}): removed {', '.join(removed) or 'nothing'}"))

    return web.Application([
        (prefix, Room), (prefix + "rows.json", Rows), (prefix + "room.csv", Csv),
        (prefix + r"learner/([^/]+)", LearnerPage), (prefix + r"learner/([^/]+)/reset", Reset),
        (prefix + "oauth_callback", HubOAuthCallbackHandler),
    ], cookie_secret=os.urandom(32), xsrf_cookies=True)


def main() -> None:
    """Run as the hub's managed service (``python -m coursekit.instructor.roomview``)."""
    import asyncio
    from urllib.parse import urlparse

    from .hub import read_state

    logging.basicConfig(level=logging.WARNING, format="[%(levelname).1s %(asctime)s roomview] %(message)s")
    for name in ("roomview", "tornado.access"):      # requests and resets, in the hub's log
        logging.getLogger(name).setLevel(logging.INFO)
    for handler in logging.getLogger().handlers:      # said on every page view: plain http on the room
        handler.addFilter(lambda r: not str(r.msg).startswith("Skipping XSRF check for insecure request"))
    state = read_state()
    if not state:
        from ..errors import WorkshopError
        raise WorkshopError("the room view found no workshop state", "it is started by the hub `make workshop` starts")
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{SERVICE_NAME}/")
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    collector = Collector(state, os.environ["JUPYTERHUB_API_URL"], os.environ["JUPYTERHUB_API_TOKEN"])
    app = make_app(collector, prefix)

    async def serve():
        app.listen(url.port, url.hostname)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
