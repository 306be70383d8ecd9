"""The learner's record: which tasks passed and how each check went (the progress
file, in the learner's own home on the workshop hub), and the progress table."""
from __future__ import annotations

import html
import json
import os
import time

from ..paths import progress_file as _progress_file
from .lessons import TASKS


CHECKS = "_checks"     # the progress file's one key that is not a passed task's id
_MAX_TEXT = 500          # a problem or hint kept for the instructor's room view


def _now_utc() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _record(task_id: str, result=None) -> str | None:
    """Note a check in the learner's own progress file; never raises (a check's verdict
    must not turn into a traceback): returns why it could not be saved, or None.

    The file maps each passed task to when it first passed (what :func:`progress`
    reads); under ``"_checks"`` each task checked has ``failed`` (how many checks
    failed), ``passed`` and ``last`` (the last result: ``at``, ``ok``, ``problems``,
    ``hint``), which the workshop's room view shows the instructor.  ``result``
    None: a pass with no details."""
    f = _progress_file()
    ok = result is None or bool(result.ok)
    try:
        f.parent.mkdir(parents=True, exist_ok=True)
        try:
            data = json.loads(f.read_text()) if f.exists() else {}
        except ValueError:   # a damaged file: start again rather than fail the check
            data = {}
        if not isinstance(data, dict):
            data = {}
        if ok:
            data.setdefault(task_id, time.strftime("%Y-%m-%d %H:%M"))
        checks = data.get(CHECKS)
        if not isinstance(checks, dict):
            checks = data[CHECKS] = {}
        entry = checks.get(task_id)
        if not isinstance(entry, dict):
            entry = checks[task_id] = {"failed": 0}
        now = _now_utc()
        if ok:
            entry.setdefault("passed", now)
        else:
            entry["failed"] = int(entry.get("failed") or 0) + 1
        entry["last"] = {"at": now, "ok": ok,
                         "problems": [str(p)[:_MAX_TEXT] for p in (getattr(result, "problems", None) or [])][:20],
                         "hint": str(getattr(result, "hint", "") or "")[:_MAX_TEXT]}
        tmp = f.with_name(f".{f.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(f)
        return None
    except OSError as err:
        return f"progress not saved ({err.strerror}: {f})"
    except Exception as err:  # anything else (odd contents): still a note, never a traceback
        return f"progress not saved ({type(err).__name__}: {f})"


def reset_progress() -> None:
    _progress_file().unlink(missing_ok=True)


class Progress(dict):
    def __repr__(self) -> str:
        lines = []
        for lesson, (done, total) in self.items():
            lines.append(f"{lesson:<24} {'█' * done}{'░' * (total - done)} {done}/{total}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(l)}</td><td><progress value='{d}' max='{t}'></progress>"
                       f"</td><td>{d}/{t}</td></tr>" for l, (d, t) in self.items())
        return f"<table>{rows}</table>"


def progress(lesson: str | None = None) -> Progress:
    """Done / total tasks per lesson, from the local progress file; with ``lesson``
    (``"05_docker_run"``, or ``"05"``) that lesson's row only."""
    if lesson is not None:
        lessons = list(dict.fromkeys(t.lesson for t in TASKS))
        match = [name for name in lessons if name == lesson or name[:2] == str(lesson)]
        if not match:
            from ..errors import InvalidValue
            raise InvalidValue(f"no lesson {lesson!r} has exercise tasks",
                               f"name one of {', '.join(lessons)} (or its number, e.g. "
                               f"{lessons[0][:2]!r}), or call ex.progress() for all of them")
        return Progress({match[0]: progress()[match[0]]})
    f = _progress_file()
    try:
        done = set(json.loads(f.read_text())) if f.exists() else set()
    except (OSError, ValueError, TypeError):   # unreadable or damaged: nothing counted
        done = set()
    out = Progress()
    for t in TASKS:
        d, n = out.get(t.lesson, (0, 0))
        out[t.lesson] = (d + (t.id in done), n + 1)
    return out
