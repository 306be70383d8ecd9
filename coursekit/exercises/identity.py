"""Whose exercises these are: a learner id and values that survive a kernel restart."""
from __future__ import annotations

import json
import os
import random
import re
import secrets
from typing import TYPE_CHECKING

from ..labelling import SESSION_ENV, session
from ..paths import exercises_file as _state_file

if TYPE_CHECKING:
    from .model import Task

_IDENT_RE = re.compile(r"^[a-z0-9]{4,12}$")
_stored_ident: dict[str, str] = {}


def _state() -> dict:
    try:
        data = json.loads(_state_file().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_state(data: dict) -> bool:
    f = _state_file()
    try:
        f.parent.mkdir(parents=True, exist_ok=True)
        tmp = f.with_name(f".{f.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(f)
        return True
    except OSError:
        return False


def _pinned() -> bool:
    """Exercises are this session's alone, and nothing is stored: when a session id is
    given from outside (tests, parallel notebook runs), or outside a notebook kernel
    (scripts and test processes never act on a learner's exercises)."""
    return bool(os.environ.get(SESSION_ENV, "").strip()) or not _in_kernel()


def _in_kernel() -> bool:
    try:
        import IPython
    except ImportError:
        return False
    shell = IPython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def ident() -> str:
    """Whose exercise objects these are, in their names ``ck-<id>-ex-...``.

    ``$COURSEKIT_SESSION`` when it is set (the tests; two copies of the notebooks at once
    never collide) or outside a notebook kernel, else (in a notebook) a per-learner id
    stored beside the progress file, so the names
    and values of the tasks stay the same after a kernel restart and the checks and
    ``cleanup()`` find what the learner made before it. Where nothing can be stored, the
    kernel's session id."""
    if _pinned():
        return session()
    key = str(_state_file())
    if key not in _stored_ident:
        sid = _state().get("learner", "")
        if not (isinstance(sid, str) and _IDENT_RE.match(sid)):
            sid = "l" + secrets.token_hex(3)
            data = _state()
            data["learner"] = sid
            if not _save_state(data):
                sid = session()
        _stored_ident[key] = sid
    return _stored_ident[key]


def _name(purpose: str) -> str:
    """An exercise object's name: ``ck-<id>-<purpose>`` (see :func:`ident`)."""
    return f"ck-{ident()}-{purpose}"


def _values(task: Task) -> dict:
    """The task's values for this learner: seeded by their id, the same every time."""
    r = random.Random(f"{ident()}:{task.id}")
    p = {"name": _name(f"ex-{task.id}")}
    p.update(task.params(r))
    return p
