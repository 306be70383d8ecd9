"""The course's Python packages as wheel files, for a machine or an image with no network.

``collect_wheels(dest)`` fills ``dest`` with a wheel of ``coursekit`` itself and every
pinned dependency (from pip's cache or PyPI); ``pack`` puts that directory in the
instructor's archive, the workshop's learner image installs from it with
``pip install --no-index``.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from ..errors import InvalidValue, PackError
from ..paths import ROOT


# What a learner's notebook server needs (the workshop image installs only these; the
# test tools -- nbval, pytest, playwright, jupyter-book -- stay on the instructor's side).
LEARNER_PACKAGES = ("jupyterlab", "jupyterlab-myst", "docker", "ipywidgets", "matplotlib", "bcrypt",
                    "ipykernel", "nbconvert", "nbclient", "PyYAML", "jupyterhub")


def pins(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The ``name==version`` lines of ``[project.dependencies]``."""
    return list(tomllib.loads(pyproject.read_text())["project"]["dependencies"])


def learner_requirements(all_pins: list[str]) -> list[str]:
    """The pins a learner's server needs, in the order of ``LEARNER_PACKAGES``."""
    by_name = {p.split("==")[0].lower(): p for p in all_pins}
    missing = [n for n in LEARNER_PACKAGES if n.lower() not in by_name]
    if missing:
        raise InvalidValue(f"pyproject.toml does not pin {', '.join(missing)}")
    return [by_name[n.lower()] for n in LEARNER_PACKAGES]


def have_wheels(dest: Path) -> bool:
    """True when ``dest`` already holds a coursekit wheel and a wheel per pin."""
    if not dest.is_dir():
        return False
    names = {w.name.split("-")[0].lower().replace("_", "-") for w in dest.glob("*.whl")}
    wanted = {p.split("==")[0].lower().replace("_", "-") for p in pins()} | {"coursekit"}
    return wanted <= names


def collect_wheels(dest: Path, quiet: bool = False) -> Path:
    """Download (or take from pip's cache) a wheel for every pin and their dependencies,
    and build coursekit's own wheel, into ``dest``.  Needs PyPI (or a warm cache)."""
    dest.mkdir(parents=True, exist_ok=True)
    if have_wheels(dest):
        _refresh_own_wheel(dest, quiet)
        return dest
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    if not quiet:
        print(f"Collecting the course's Python wheels into {dest} ...", flush=True)
    scratch_existed = (ROOT / "build").exists()
    # The lock fixes every version the pins pull in (the same as `make venv` installs).
    lock = ["-c", str(ROOT / "requirements.lock")] if (ROOT / "requirements.lock").exists() else []
    for cmd in ([*pip, "download", "--only-binary=:all:", "-d", str(dest), *lock, *pins()],
                [*pip, "wheel", "--no-deps", "-w", str(dest), str(ROOT)]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise PackError(f"`{' '.join(cmd[2:5])} ...` failed:\n{r.stderr[-2000:]}",
                            "run this once on a machine that reaches PyPI "
                            "(or load an instructor pack: python -m coursekit load PACK)")
    if not scratch_existed:   # `pip wheel .` leaves setuptools' build/ folder in the course
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    return dest


def _source_mtime() -> float:
    files = [ROOT / "pyproject.toml", *(ROOT / "coursekit").rglob("*.py")]
    return max(f.stat().st_mtime for f in files if f.exists())


def _refresh_own_wheel(dest: Path, quiet: bool) -> None:
    """Rebuild coursekit's own wheel when the package's source is newer than it: the
    learner image must carry the course as it is now, not as it was when the wheels were
    first collected. Offline (an instructor's pack, no build tools to fetch) the wheel
    that is there is kept, and said so."""
    if not (ROOT / "coursekit").is_dir():
        return
    own = sorted(dest.glob("coursekit-*.whl"))
    if own and min(w.stat().st_mtime for w in own) >= _source_mtime():
        return
    scratch_existed = (ROOT / "build").exists()
    with_new = dest / ".coursekit-wheel"
    shutil.rmtree(with_new, ignore_errors=True)
    r = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "wheel",
                        "--no-deps", "-w", str(with_new), str(ROOT)], capture_output=True, text=True)
    if not scratch_existed:
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    built = list(with_new.glob("coursekit-*.whl")) if r.returncode == 0 else []
    if not built:
        print(f"  coursekit's wheel could not be rebuilt ({r.stderr.strip()[-200:]}); "
              f"using the one in {dest}, which may be older than the course", flush=True)
    else:
        for w in own:
            w.unlink()
        shutil.move(str(built[0]), dest / built[0].name)
        if not quiet:
            print(f"  rebuilt {built[0].name} from the course's current source", flush=True)
    shutil.rmtree(with_new, ignore_errors=True)
