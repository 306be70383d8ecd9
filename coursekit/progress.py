"""Progress for slow operations: a bar in a notebook, plain lines in a terminal."""
from __future__ import annotations

import sys
import time


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
        shell = get_ipython()
        return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"
    except Exception:
        return False


class Progress:
    """``with Progress("Building x", total=5) as p: p.update(step, "text")``.

    In a notebook it shows an ipywidgets bar plus the current line; elsewhere it
    prints one line per update (what CI logs and terminals want).
    """

    def __init__(self, title: str, total: int | None = None, quiet: bool = False):
        self.title, self.total, self.quiet = title, total, quiet
        self._bar = self._label = None
        self._t0 = time.monotonic()
        self._last = ""

    def __enter__(self):
        if self.quiet:
            return self
        if _in_notebook():
            try:
                import ipywidgets as w
                from IPython.display import display
                # The title in its own label: a bar's description is cut at ~20 characters.
                self._bar = w.IntProgress(value=0, min=0, max=self.total or 1,
                                          layout=w.Layout(width="30%"))
                self._label = w.Label(value="")
                display(w.HBox([w.Label(value=self.title), self._bar, self._label]))
                return self
            except Exception:
                self._bar = None
        print(f"{self.title} ...", flush=True)
        return self

    def update(self, step: int | None = None, text: str = "", total: int | None = None):
        if total:
            self.total = total
        if self.quiet:
            return
        text = text.strip()
        if self._bar is not None:
            if self.total:
                self._bar.max = self.total
            if step is not None:
                self._bar.value = min(step, self._bar.max)
            self._label.value = text[:100]
            return
        if text and text != self._last:
            prefix = f"  [{step}/{self.total}] " if step and self.total else "  "
            print(prefix + text[:160], file=sys.stdout, flush=True)
            self._last = text

    def __exit__(self, exc_type, exc, tb):
        if self.quiet:
            return False
        secs = time.monotonic() - self._t0
        if self._bar is not None:
            self._bar.value = self._bar.max
            self._bar.bar_style = "danger" if exc_type else "success"
            self._label.value = f"{'failed' if exc_type else 'done'} in {secs:.1f} s"
        else:
            print(f"{self.title}: {'failed' if exc_type else 'done'} in {secs:.1f} s",
                  flush=True)
        return False


def printer(quiet: bool = False):
    """``print`` with flush for progress lines, or a no-op when ``quiet``."""
    if quiet:
        return lambda *a: None
    return lambda *a: print(*a, flush=True)
