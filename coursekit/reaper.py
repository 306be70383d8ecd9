"""The reaper: what a notebook kernel made goes when the kernel goes.

As testcontainers' Ryuk does for a test run, each notebook kernel with a random session
(see :func:`coursekit.labelling.session`) gets one small watcher process, started with
the session.  It waits for the kernel's process to end (a restart, a closed notebook,
JupyterLab stopped), waits a grace period (``$COURSEKIT_REAPER_GRACE`` seconds, default
60: time to read the start page's "left behind" line), then removes that session's
labelled containers, networks, volumes, images and temporary folders -- never the
learner's exercise answers, which are meant to outlive kernels, and never anything
without that session's label.  ``COURSEKIT_REAPER=0`` turns it off.  What it did is
written to ``~/.coursekit/sessions/<session>.reaper.log``.

Sessions given by ``$COURSEKIT_SESSION`` (tests, the command line, workshops' own
tools) have no reaper: whoever set the id cleans up.
"""
from __future__ import annotations

import os
import select
import subprocess
import sys
import time

GRACE_ENV = "COURSEKIT_REAPER_GRACE"
SWITCH_ENV = "COURSEKIT_REAPER"


def start(sid: str) -> int | None:
    """Start the reaper of session ``sid`` for this process; its PID, or None when
    turned off or it could not start (the lesson goes on: the start page still lists
    what a dead kernel left)."""
    if os.environ.get(SWITCH_ENV, "1") == "0" or not _in_kernel():
        return None
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "coursekit.reaper", sid, str(os.getpid())],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True)   # not killed with the kernel's group
        return proc.pid
    except OSError:
        return None


def _in_kernel() -> bool:
    """Whether this process is a notebook kernel (not a script, a test, the CLI)."""
    ipython = sys.modules.get("IPython")
    return (ipython is not None and "ipykernel" in sys.modules
            and getattr(ipython, "get_ipython", lambda: None)() is not None)


def wait_for_exit(pid: int, start: str) -> None:
    """Return when process ``pid`` (started at ``start`` clock ticks) has ended."""
    from .labelling import _start_time
    try:
        fd = os.pidfd_open(pid)   # Linux 5.3+: readable when the process ends, no polling
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        if _start_time(pid) == start:   # still the kernel, not a later process with its PID
            select.select([fd], [], [])
        os.close(fd)
        return
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except PermissionError:
            pass
        if start and _start_time(pid) != start:
            return
        time.sleep(2)


def reap(sid: str, log) -> None:
    """Clean session ``sid`` as ``coursekit cleanup --session`` does, keeping the
    learner's exercise answers, and forget its record."""
    from .cleanup import cleanup, exercise_answers
    from .connect import connect
    from .paths import sessions_dir
    rep = cleanup(client=connect(), session=sid, keep=exercise_answers())
    print(time.strftime("%H:%M:%S"), f"session {sid}:", rep, file=log, flush=True)
    (sessions_dir() / f"{sid}.json").unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    from .labelling import _start_time, session_alive
    from .paths import sessions_dir
    sid, pid = argv[0], int(argv[1])
    start = _start_time(pid)
    sessions_dir().mkdir(parents=True, exist_ok=True)
    with open(sessions_dir() / f"{sid}.reaper.log", "a") as log:
        print(time.strftime("%H:%M:%S"), f"watching kernel PID {pid} of session {sid}",
              file=log, flush=True)
        wait_for_exit(pid, start)
        time.sleep(float(os.environ.get(GRACE_ENV, "60")))
        if session_alive(sid) is not False:   # cleaned by hand meanwhile, or not ours
            print(time.strftime("%H:%M:%S"), "nothing to do: the session's record is gone",
                  file=log, flush=True)
            return 0
        try:
            reap(sid, log)
        except Exception as err:   # e.g. the engine is stopped: the start page still lists it
            print(time.strftime("%H:%M:%S"), f"could not clean session {sid}: {err}",
                  file=log, flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
