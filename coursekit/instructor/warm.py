"""A warm room: learners' servers started before the learners arrive
(``coursekit workshop start --warm N``).

A learner's first start costs 10-15 s alone and minutes when a whole room logs in at
once on a small machine (book/capacity.md): each start is a container, its own dockerd,
the lab images loaded into it and a JupyterLab, all competing for the same cores.  The
cards name every learner in advance, so the instructor can start the servers of the
first N cards before the room arrives, a few at a time (``parallel``), through the hub's
REST API with the course's admin token.  A learner who logs in then finds their own
server (their home volume, their engine) already running, and only their kernel starts.

The idle culler must not remove a warm server whose learner has not arrived yet: the
server is started with ``user_options = {"warm": true}``, a successful login leaves an
arrival mark (``arrived/<name>`` in the workshop's state directory, written by the hub's
authenticator), and the culler's arbiter (:func:`cull_arbiter`, loaded through
``workshop/idle_culler_config.py``) keeps a warm server until its learner's mark exists,
then counts idleness from the later of the arrival and the last activity.  (The hub
keeps a server's ``user_options`` for its next start, so a learner's own restart is
"warm" too; their mark is there by then, so the usual rule applies.)
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import WorkshopError
from .settings import STATE, Settings

WARM_OPTION = "warm"


def arrivals_dir() -> Path:
    return STATE / "arrived"


def mark_arrived(name: str) -> bool:
    """The learner logged in (called by the hub's authenticator; never raises: a login
    does not fail for a mark).  False when it could not be written (no workshop here)."""
    d = arrivals_dir()
    try:
        d.mkdir(exist_ok=True)
        (d / name).touch()
        return True
    except OSError:
        return False


def arrived_at(name: str) -> float | None:
    """When the learner last logged in (epoch seconds), or None."""
    try:
        return (arrivals_dir() / name).stat().st_mtime
    except OSError:
        return None


def clear_arrival(name: str) -> None:
    (arrivals_dir() / name).unlink(missing_ok=True)


def warm_plan(cards: list[str], running: set[str], n: int, cap: int) -> list[str]:
    """Whose servers to start: the first ``n`` cards, less those already running.
    Refuses (with what to do instead) a count the cards or the server cap cannot hold."""
    if n < 0:
        raise WorkshopError(f"--warm {n}: a number of servers cannot be negative",
                            "give how many learners' servers to start, e.g. --warm 30")
    if n > len(cards):
        raise WorkshopError(f"--warm {n}: this workshop has only {len(cards)} cards",
                            f"warm at most {len(cards)}, or start the workshop with more cards "
                            "(WORKSHOP_LEARNERS or WORKSHOP_NAMES)")
    wanted = cards[:n]
    busy = running | set(wanted)
    if len(busy) > cap:
        others = sorted(running - set(wanted))
        raise WorkshopError(
            f"--warm {n}: at most {cap} servers may run at once (WORKSHOP_MAX_SERVERS), and "
            f"{len(busy)} would" + (f" ({len(others)} others already run: {', '.join(others[:5])})"
                                    if others else ""),
            f"warm at most {max(0, cap - len(running - set(wanted)))}, or start the workshop "
            "with a higher WORKSHOP_MAX_SERVERS")
    return [c for c in wanted if c not in running]


def cull_arbiter(*, inactive, inactive_limit, server, now: float | None = None, **_) -> bool:
    """The idle culler's decision (``c.IdleCuller.cull_arbiter_hook``): a warm server is
    never culled before its learner has logged in; after, it is idle since the later of
    the login and its last activity.  Every other server: the culler's usual rule."""
    if not (server.get("user_options") or {}).get(WARM_OPTION):
        return inactive.total_seconds() >= inactive_limit
    name = server.get("full_name", "/").split("/")[0]
    came = arrived_at(name)
    if came is None:
        return False
    now = time.time() if now is None else now
    idle = min(inactive.total_seconds(), now - came)
    return idle >= inactive_limit


def fmt_s(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{seconds:.1f} s"


def warm(n: int, parallel: int = 2, quiet: bool = False, timeout: float = 600) -> dict[str, float]:
    """Start the servers of the first ``n`` cards of the running workshop, ``parallel``
    at a time, printing each as it is ready.  Returns seconds per learner started."""
    from .hub import api, is_up, read_state
    state = read_state()
    if not state or not is_up(state):
        raise WorkshopError("no workshop is running here", "start one with `make workshop`")
    s = Settings(**state["settings"])
    cards = s.card_names()
    users = api(state, "GET", "/users") or []
    running = {u["name"] for u in users if (u.get("servers") or {}).get("")}
    todo = warm_plan(cards, running, n, s.max_servers or len(cards))
    if parallel < 1:
        raise WorkshopError(f"parallel={parallel}: at least one server must start at a time",
                            "use 1 or more (the number of cores is a good choice)")
    say = (lambda *a: None) if quiet else (lambda msg: print(msg, flush=True))
    if not todo:
        say(f"warm: the first {n} learners' servers are already running")
        return {}
    say(f"warming {len(todo)} learners' servers, {parallel} at a time"
        + (f" ({n - len(todo)} already running)" if n > len(todo) else "") + " ...")
    lock, done, times, failed = threading.Lock(), [0], {}, {}
    t_all = time.monotonic()

    def one(name: str) -> None:
        t0 = time.monotonic()
        try:
            clear_arrival(name)
            _start(state, name, timeout)
            times[name] = time.monotonic() - t0
            what = f"{name} ready in {times[name]:.1f} s"
        except Exception as err:   # reported at the end; the others go on
            failed[name] = f"{type(err).__name__}: {err}"[:300]
            what = f"{name} FAILED: {failed[name]}"
        with lock:
            done[0] += 1
            say(f"warming {done[0]}/{len(todo)}: {what} ({fmt_s(time.monotonic() - t_all)} so far)")

    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, todo))
    wall = time.monotonic() - t_all
    if times:
        med = sorted(times.values())[len(times) // 2]
        say(f"warm: {len(times)} servers ready in {fmt_s(wall)} (median {med:.1f} s each, "
            f"{parallel} at a time); they wait for their learners (the idle culler leaves "
            "them until each has logged in)")
    if failed:
        raise WorkshopError(f"{len(failed)} of {len(todo)} servers did not start: "
                            + "; ".join(f"{k}: {v}" for k, v in sorted(failed.items())),
                            "read the hub's log (`python -m coursekit workshop status` says where); "
                            "the same command warms the missing ones again")
    return times


def _start(state: dict, name: str, timeout: float) -> None:
    """Ask the hub for ``name``'s server (marked warm) and wait until it is ready."""
    import urllib.error

    from .hub import api
    try:
        api(state, "POST", f"/users/{name}/server", {"user_options": {WARM_OPTION: True}})
    except urllib.error.HTTPError as e:
        if e.code != 400:         # 400: already running
            raise WorkshopError(f"the hub refused to start {name}'s server: HTTP {e.code} "
                                f"{e.read().decode(errors='replace')[:200]}", "read the hub's log") from None
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        info = api(state, "GET", f"/users/{name}") or {}
        srv = (info.get("servers") or {}).get("")
        if srv and srv.get("ready"):
            return
        if not srv and not info.get("pending") and time.monotonic() - t0 > 5:
            raise WorkshopError(f"{name}'s server stopped while starting", "read the hub's log")
        time.sleep(0.5)
    raise WorkshopError(f"{name}'s server was not ready after {timeout:.0f} s", "read the hub's log")
