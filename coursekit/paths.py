"""Where the course is, and where it keeps its state: the one module that knows.

``ROOT`` is the folder above the package.  In a checkout of the course that is the
course itself (notebooks/, pyproject.toml, workshop/ ...), and its state lives in
``ROOT/.coursekit/``.  Installed as a wheel (the workshop's learner image, ``pip
install coursekit``) ``ROOT`` is site-packages: nothing is written there; the state
goes to the user's own ``~/.coursekit/`` instead, as it does when the checkout's
``.coursekit/`` is not writable by this user (the learner account on a root-owned
checkout).

Every other module asks here; none computes a root from its own ``__file__``.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Files of the course that only a checkout has (the instructor's side).
WORKSHOP_DIR = ROOT / "workshop"
LEARNER_IMAGE_DIR = WORKSHOP_DIR / "learner-image"
HUB_CONFIG = WORKSHOP_DIR / "jupyterhub_config.py"

STATE_NAME = ".coursekit"          # the state folder, in a checkout or a home
PROGRESS_NAME = "progress.json"    # the exercises' progress, in the state folder
PROGRESS_ENV = "COURSEKIT_PROGRESS"
SESSIONS_ENV = "COURSEKIT_SESSIONS_DIR"
ENGINE_STATE_ENV = "COURSEKIT_STATE_DIR"


def is_checkout(root: Path | None = None) -> bool:
    """True when ``root`` (default ``ROOT``) is a checkout of the course, not the
    site-packages folder of an installed wheel."""
    root = ROOT if root is None else root
    return (root / "notebooks").is_dir() and (root / "pyproject.toml").is_file()


def state_dir() -> Path:
    """``.coursekit/`` in the checkout when this user may write there; otherwise (a wheel
    in site-packages, a checkout owned by someone else) ``~/.coursekit/``."""
    here = ROOT / STATE_NAME
    if is_checkout() and os.access(here if here.exists() else ROOT, os.W_OK):
        return here
    return Path.home() / STATE_NAME


def progress_file() -> Path:
    """The exercises' progress: ``$COURSEKIT_PROGRESS``, else ``progress.json`` in
    :func:`state_dir` (on the workshop hub: the learner's home, their own volume)."""
    if os.environ.get(PROGRESS_ENV):
        return Path(os.environ[PROGRESS_ENV])
    return state_dir() / PROGRESS_NAME


def exercises_file() -> Path:
    """Beside the progress file: the learner's id and the exercise values shown so far."""
    return progress_file().parent / "exercises.json"


def sessions_dir() -> Path:
    """Notebook sessions recorded for orphan cleanup: ``$COURSEKIT_SESSIONS_DIR``, else
    ``~/.coursekit/sessions`` (per user, whatever the checkout)."""
    return Path(os.environ.get(SESSIONS_ENV, Path.home() / ".coursekit" / "sessions"))


def engine_state_dir() -> Path:
    """The engine the course started (its pid): ``$COURSEKIT_STATE_DIR``, else
    ``~/.cache/coursekit`` (created)."""
    d = Path(os.environ.get(ENGINE_STATE_ENV, Path.home() / ".cache" / "coursekit"))
    d.mkdir(parents=True, exist_ok=True)
    return d


# --- the instructor's state (a checkout's) ----------------------------------------------
def workshop_state() -> Path:
    """The running workshop's state file, cards, hub log and learner disks:
    ``$COURSEKIT_WORKSHOP_STATE`` (a second workshop from one checkout, on another
    engine: the isolated-host test), else ``workshop/`` in :func:`state_dir`."""
    if os.environ.get("COURSEKIT_WORKSHOP_STATE"):
        return Path(os.environ["COURSEKIT_WORKSHOP_STATE"])
    return state_dir() / "workshop"


def wheels_dir() -> Path:
    """The course's wheels for the learner image and the instructor's pack."""
    return state_dir() / "wheels"


def build_wheels_dir() -> Path:
    """setuptools' wheel, so that ``load`` can install the course itself offline."""
    return state_dir() / "build-wheels"


def node_dir() -> Path:
    """The workshop's configurable-http-proxy, installed by npm."""
    return state_dir() / "node"
