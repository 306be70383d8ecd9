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

COURSE = "linux-containers"
COURSE_LABEL = "coursekit.course"
SESSION_LABEL = "coursekit.session"
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
            raise ValueError(
                f"{SESSION_ENV}={env!r} is not a valid session id: use 1-24 "
                "lowercase letters, digits or '-'")
        _session = env or secrets.token_hex(3)
    return _session


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
            raise ValueError(f"{sid!r} is not a session id (1-24 lowercase letters, digits, '-')")
        return f"{SESSION_LABEL}={sid}"
    return f"{SESSION_LABEL}={session()}"
