"""Session id, course labels and per-session names.

Every Docker object the course creates carries two labels:

* ``coursekit.course=linux-containers`` -- made by the course (any session);
* ``coursekit.session=<id>`` -- made by this session (a kernel, a test worker).

Cleanup filters on exactly these labels, so it can never touch the learner's own
work.  The lab images deliberately do *not* carry them: Docker copies an image's
labels onto every container and derived image made from it, so a course label on
``coursekit/busybox`` would mark the learner's own containers as course objects.
Lab images carry ``coursekit.lab-image`` instead, which nothing ever filters on
for removal.
"""
from __future__ import annotations

import os
import re
import secrets

from .errors import InvalidValue
from .paths import sessions_dir

COURSE = "linux-containers"
COURSE_LABEL = "coursekit.course"
SESSION_LABEL = "coursekit.session"
WORKSHOP_LABEL = "coursekit.workshop"   # a workshop's objects (coursekit.instructor)
LAB_IMAGE_LABEL = "coursekit.lab-image"
SESSION_ENV = "COURSEKIT_SESSION"

_SESSION_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
_session: str | None = None


def session() -> str:
    """This process's session id: ``$COURSEKIT_SESSION`` if set, else random.

    The id is fixed for the life of the process (one notebook kernel, one test
    worker), so two learners or two workers on one engine never share names.
    """
    global _session
    if _session is None:
        env = os.environ.get(SESSION_ENV, "").strip().lower()
        if env and not _SESSION_RE.match(env):
            raise InvalidValue(
                f"{SESSION_ENV}={env!r} is not a valid session id: use 1-24 "
                "lowercase letters, digits or '-'")
        _session = env or secrets.token_hex(3)
        if not env:
            _record_alive(_session)
            from .reaper import start
            start(_session)   # removes what this kernel made, once it has ended
    return _session


# A random session (a notebook kernel's) is recorded with its process, so that what it
# leaves behind when the kernel dies or restarts can be found later and named, with the
# exact cleanup (coursekit.cleanup.orphans). Sessions given by $COURSEKIT_SESSION (tests,
# the command line, workshops) are not recorded: they are never called orphans.
def _start_time(pid: int) -> str:
    """The process's start time (clock ticks after boot, from /proc): tells a live
    process from a later one that reuses its PID. '' where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return ""


def _record_alive(sid: str) -> None:
    import json
    import socket
    try:
        d = sessions_dir()
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{sid}.json").write_text(json.dumps(
            {"pid": os.getpid(), "start": _start_time(os.getpid()), "host": socket.gethostname()}))
    except OSError:   # a read-only home must not stop a lesson: the session is just not tracked
        pass


def session_alive(sid: str) -> bool | None:
    """True/False for a session recorded on this machine (its process alive or not);
    None for one that is not (another machine's, a test's, the command line's)."""
    import json
    import socket
    try:
        rec = json.loads((sessions_dir() / f"{sid}.json").read_text())
    except (OSError, ValueError):
        return None
    if rec.get("host") != socket.gethostname():
        return None
    pid = int(rec.get("pid", 0))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # alive, someone else's process: not ours to judge
        return True
    return not rec.get("start") or _start_time(pid) == rec["start"]


def labels(**extra: str) -> dict[str, str]:
    """The labels to put on anything the course creates (plus ``extra``)."""
    out = {COURSE_LABEL: COURSE, SESSION_LABEL: session()}
    out.update({f"coursekit.{k}": str(v) for k, v in extra.items()})
    return out


def name(purpose: str) -> str:
    """A Docker object name unique to this session: ``ck-<session>-<purpose>``."""
    purpose = re.sub(r"[^a-zA-Z0-9_.-]+", "-", purpose).strip("-.") or "x"
    return f"ck-{session()}-{purpose}"


def cli_labels(**extra: str) -> str:
    """The same labels as ``--label k=v`` flags, for ``!docker run {...}`` cells."""
    return " ".join(f"--label {k}={v}" for k, v in labels(**extra).items())


def label_filter(all_sessions: bool = False, of_session: str | None = None) -> str:
    """The ``label=`` filter value selecting this session's (or ``of_session``'s, or all)
    course objects."""
    if all_sessions:
        return f"{COURSE_LABEL}={COURSE}"
    if of_session is not None:
        sid = of_session.strip().lower()
        if not _SESSION_RE.match(sid):
            raise InvalidValue(f"{sid!r} is not a session id (1-24 lowercase letters, digits, '-')")
        return f"{SESSION_LABEL}={sid}"
    return f"{SESSION_LABEL}={session()}"
