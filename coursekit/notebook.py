"""Notebook integration: course errors render as a short message with the fix,
the full traceback folded one click away; ``!docker ...`` lines echo the command as a
terminal would run it; the course's JupyterLab settings."""
from __future__ import annotations

import html
import re
import traceback

from .errors import CourseError
from .explain import explain

_installed = False


def _short_error_handler(shell, etype, evalue, tb, tb_offset=None):
    from IPython.display import HTML, display
    course = explain(evalue)
    if course is None:   # not one the course recognises: the usual traceback, shown as
        # IPython shows any other error (run_code ignores what a custom handler returns)
        stb = shell.InteractiveTB.structured_traceback(etype, evalue, tb, tb_offset=tb_offset)
        shell._showtraceback(etype, evalue, stb)
        return None
    full = "".join(traceback.format_exception(etype, evalue, tb))
    etype, evalue = type(course), course
    fix = f"<div><b>Fix:</b> {html.escape(evalue.fix)}</div>" if evalue.fix else ""
    display(HTML(
        "<div style='border-left:4px solid #c0392b;padding:4px 10px;background:#fdf2f2'>"
        f"<div>❌ <b>{etype.__name__}</b>: {html.escape(evalue.message)}</div>{fix}"
        "<details><summary>full traceback</summary>"
        f"<pre style='font-size:80%'>{html.escape(full)}</pre></details></div>"),
        metadata={"coursekit": "error"})
    # Plain-text fallback for terminals / nbconvert text output.
    print(f"{etype.__name__}: {evalue}")
    return None


def _echoing_system(shell):
    """``shell.system`` that first prints ``$ <command>`` for a shell line that runs
    docker and had Python values filled in (``!docker run --name {ck.name("web")} ...``):
    the line a learner can paste into a terminal.  Lines without ``{...}``/``$...`` are
    already that, and print nothing extra."""
    import sys
    from subprocess import CalledProcessError
    from IPython.utils.process import system as run_piped
    original = shell.system

    def system(cmd):
        if sys.platform == "win32" or cmd.rstrip().endswith("&"):
            return original(cmd)   # IPython's own handling (and message) for these
        # depth=1: the variables of the cell that ran the ``!`` line, as IPython uses.
        # Expanded once, here, and run as IPython's system_piped runs it: expanding the
        # result again would change it ($$ inside quotes, {{ }}).
        expanded = shell.var_expand(cmd, depth=1)
        if expanded != cmd and re.search(r"(^|[|;&]\s*|\s)docker\s", " " + expanded):
            print("$", expanded, flush=True)
        code = run_piped(expanded)
        shell.user_ns["_exit_code"] = code
        if getattr(shell, "system_raise_on_error", False) and code != 0:
            raise CalledProcessError(code, cmd)
    return system


def install() -> bool:
    """Register the short error display in the running IPython: for CourseError, and
    for the docker-py/requests errors that :func:`coursekit.explain.explain` knows
    (engine gone, name or port taken, image missing, disk full)."""
    global _installed
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or _installed:
        return _installed
    kinds: tuple = (CourseError,)
    try:
        import docker.errors
        import requests.exceptions
        kinds += (docker.errors.DockerException, requests.exceptions.RequestException)
    except ImportError:  # pragma: no cover - both are dependencies
        pass
    shell.set_custom_exc(kinds, _short_error_handler)
    shell.system = _echoing_system(shell)
    _installed = True
    return True


def lab_overrides(data: dict | None = None) -> dict:
    """JupyterLab settings for the course (also baked into the workshop's learner image):
    save widget state in notebooks (so the book shows widgets), render every cell, and no
    news/update checks (the room may be offline)."""
    data = dict(data or {})
    data.setdefault("@jupyter-widgets/jupyterlab-manager:plugin", {})["saveState"] = True
    # Render every cell (no virtual scrolling): lessons are short, and tests and
    # screen readers see the whole notebook.
    data.setdefault("@jupyterlab/notebook-extension:tracker", {})["windowingMode"] = "none"
    # An offline course: no news or update checks calling out to the internet.
    data.setdefault("@jupyterlab/apputils-extension:notification", {}).update(
        {"fetchNews": "false", "checkForUpdates": False})
    return data
