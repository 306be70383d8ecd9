"""The learner's record: which tasks passed (the progress file), and the progress table."""
from __future__ import annotations

import html
import json
import os
import time

from ..paths import progress_file as _progress_file
from .lessons import TASKS


def _record(task_id: str) -> str | None:
    """Note a passed task; never raises (a check's verdict must not turn into a
    traceback): returns why the progress could not be saved, or None."""
    f = _progress_file()
    try:
        f.parent.mkdir(parents=True, exist_ok=True)
        try:
            data = json.loads(f.read_text()) if f.exists() else {}
        except ValueError:   # a damaged file: start again rather than fail the check
            data = {}
        data.setdefault(task_id, time.strftime("%Y-%m-%d %H:%M"))
        tmp = f.with_name(f".{f.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(f)
        return None
    except OSError as err:
        return f"progress not saved ({err.strerror}: {f})"


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


def progress() -> Progress:
    """Done / total tasks per lesson, from the local progress file."""
    f = _progress_file()
    done = set(json.loads(f.read_text())) if f.exists() else set()
    out = Progress()
    for t in TASKS:
        d, n = out.get(t.lesson, (0, 0))
        out[t.lesson] = (d + (t.id in done), n + 1)
    return out
