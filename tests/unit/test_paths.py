"""coursekit/paths.py owns where the course is and where its state goes: a checkout keeps
it in its own .coursekit/; an installed wheel (root inside site-packages, as in the
workshop's learner image) never writes there: the user's ~/.coursekit/ instead."""
import ast
from pathlib import Path

import pytest

from coursekit import paths

PKG = Path(paths.__file__).parent


def _checkout(root: Path) -> Path:
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'coursekit'\n")
    return root


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for var in (paths.PROGRESS_ENV, paths.SESSIONS_ENV, paths.ENGINE_STATE_ENV):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_the_root_is_this_checkout():
    here = Path(__file__).resolve().parents[2]
    assert paths.ROOT == here and paths.is_checkout()
    assert paths.HUB_CONFIG.is_file() and (paths.LEARNER_IMAGE_DIR / "Dockerfile").is_file()


def test_a_checkout_keeps_its_state_in_its_own_folder(clean_env, monkeypatch):
    root = _checkout(clean_env / "course")
    monkeypatch.setattr(paths, "ROOT", root)
    state = root / ".coursekit"
    assert paths.state_dir() == state
    assert paths.progress_file() == state / "progress.json"
    assert paths.exercises_file() == state / "exercises.json"
    assert (paths.workshop_state(), paths.wheels_dir(), paths.build_wheels_dir(), paths.node_dir()) == (
        state / "workshop", state / "wheels", state / "build-wheels", state / "node")


def test_an_installed_wheel_never_writes_into_site_packages(clean_env, monkeypatch):
    site = clean_env / "venv" / "lib" / "python3.11" / "site-packages"
    (site / "coursekit").mkdir(parents=True)       # ROOT of an installed wheel: no notebooks/
    monkeypatch.setattr(paths, "ROOT", site)
    home = clean_env / "home" / ".coursekit"
    assert not paths.is_checkout()
    assert paths.state_dir() == home
    for f in (paths.progress_file(), paths.exercises_file(), paths.workshop_state(), paths.wheels_dir()):
        assert f.is_relative_to(home) and not f.is_relative_to(site), f


def test_a_site_packages_folder_named_notebooks_is_not_a_checkout(clean_env, monkeypatch):
    site = clean_env / "site-packages"
    (site / "notebooks").mkdir(parents=True)       # some other package called notebooks
    monkeypatch.setattr(paths, "ROOT", site)
    assert not paths.is_checkout() and paths.state_dir() == clean_env / "home" / ".coursekit"


def test_a_checkout_this_user_cannot_write_keeps_state_in_their_home(clean_env, monkeypatch):
    root = _checkout(clean_env / "course")
    monkeypatch.setattr(paths, "ROOT", root)
    monkeypatch.setattr(paths.os, "access", lambda p, mode: Path(p) != root)
    assert paths.progress_file() == clean_env / "home" / ".coursekit" / "progress.json"


def test_the_environment_names_the_progress_file_and_the_sessions(clean_env, monkeypatch):
    monkeypatch.setenv(paths.PROGRESS_ENV, str(clean_env / "p.json"))
    monkeypatch.setenv(paths.SESSIONS_ENV, str(clean_env / "s"))
    monkeypatch.setenv(paths.ENGINE_STATE_ENV, str(clean_env / "e"))
    assert paths.progress_file() == clean_env / "p.json"
    assert paths.exercises_file() == clean_env / "exercises.json"    # beside it
    assert paths.sessions_dir() == clean_env / "s"
    assert paths.engine_state_dir() == clean_env / "e" and (clean_env / "e").is_dir()


def test_per_user_state_defaults_to_the_home(clean_env):
    assert paths.sessions_dir() == clean_env / "home" / ".coursekit" / "sessions"
    assert paths.engine_state_dir() == clean_env / "home" / ".cache" / "coursekit"


def test_no_other_module_computes_a_root_from_its_own_file():
    """One place: paths.py. Another module deriving the course root from ``__file__``
    (or writing a ``.coursekit`` path of its own) would miss the installed-wheel case."""
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        if path.name == "paths.py":
            continue
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Name) and node.id == "__file__":
                bad.append(f"{path.relative_to(PKG)}:{node.lineno}: __file__")
            if isinstance(node, ast.Constant) and node.value == ".coursekit":
                bad.append(f"{path.relative_to(PKG)}:{node.lineno}: '.coursekit'")
    assert not bad, "use coursekit.paths instead:\n" + "\n".join(bad)
