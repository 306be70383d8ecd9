"""Provision a Docker engine: use one that answers, else (Debian, root) install
Debian's ``docker.io`` and start ``dockerd`` in the background, else explain."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .connect import connect, engine_host, is_up
from .errors import DockerUnavailable

DOCKERD_LOG = Path(os.environ.get("COURSEKIT_DOCKERD_LOG", "/var/log/coursekit-dockerd.log"))


def state_dir() -> Path:
    d = Path(os.environ.get("COURSEKIT_STATE_DIR", Path.home() / ".cache" / "coursekit"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _state_file() -> Path:
    return state_dir() / "engine.json"


@dataclass
class EngineStatus:
    host: str
    version: str
    api_version: str
    started_here: bool      # True when this call started dockerd
    pid: int | None = None  # dockerd's pid when the course started it

    def __str__(self) -> str:
        how = f"started by the course (pid {self.pid}, log {DOCKERD_LOG})" \
            if self.started_here else "already running"
        return f"Docker engine {self.version} (API {self.api_version}) at {self.host}: {how}"


def _status(started: bool, pid: int | None = None) -> EngineStatus:
    client = connect()
    v = client.version()
    client.close()
    return EngineStatus(engine_host(), v.get("Version", "?"), v.get("ApiVersion", "?"),
                        started, pid)


def _can_provision() -> str | None:
    """None when this machine can install/start an engine itself, else why not."""
    if os.name != "posix" or not Path("/etc/debian_version").exists():
        return "this is not a Debian-family Linux machine"
    if os.geteuid() != 0:
        return "installing and starting an engine needs root"
    if os.environ.get("DOCKER_HOST"):
        return f"DOCKER_HOST={os.environ['DOCKER_HOST']} points at another engine"
    return None


def apt_install(packages: list[str], quiet: bool = False) -> bool:
    """``apt-get install`` (after ``apt-get update`` if needed) when root on Debian.

    Output goes to ``<state dir>/apt.log``; its tail is printed if it fails."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log_path = state_dir() / "apt.log"
    if not quiet:
        print(f"Installing Debian packages: {' '.join(packages)} (log: {log_path}) ...",
              flush=True)
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    with open(log_path, "ab") as log:
        def run(c):
            return subprocess.run(c, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL).returncode == 0
        ok = run(cmd) or (run(["apt-get", "update", "-q"]) and run(cmd))
    if not ok and not quiet:
        tail = log_path.read_text(errors="replace").splitlines()[-10:]
        print("  apt-get failed; last lines:\n    " + "\n    ".join(tail), flush=True)
    return ok


def wait_until(condition, timeout: float, interval: float = 0.1) -> bool:
    """Poll ``condition()`` until true or ``timeout`` seconds pass (no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def start_dockerd(timeout: float = 60) -> int:
    """Start ``dockerd`` in the background (log in DOCKERD_LOG), wait for its socket."""
    DOCKERD_LOG.parent.mkdir(parents=True, exist_ok=True)
    log = open(DOCKERD_LOG, "ab")
    proc = subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    ok = wait_until(lambda: proc.poll() is not None or is_up(), timeout)
    if proc.poll() is not None or not ok:
        tail = DOCKERD_LOG.read_text(errors="replace").splitlines()[-8:]
        if proc.poll() is None:
            proc.terminate()
        raise DockerUnavailable(
            f"dockerd did not answer within {timeout:.0f} s (pid {proc.pid}); last log lines:\n    "
            + "\n    ".join(tail), f"read {DOCKERD_LOG} for the cause.")
    _state_file().write_text(json.dumps({"pid": proc.pid, "started": time.time(),
                                         "log": str(DOCKERD_LOG)}))
    return proc.pid


def ensure_engine(fix: bool = False, quiet: bool = False) -> EngineStatus:
    """Use a running engine; with ``fix`` install/start one where this machine can."""
    try:
        return _status(started=False)
    except DockerUnavailable as err:
        why_not = _can_provision()
        if not fix or why_not:
            if fix and why_not:
                err.fix = f"{err.fix} (The course cannot start one itself: {why_not}.)"
            raise
    if not shutil.which("dockerd"):
        if not apt_install(["docker.io"], quiet=quiet) or not shutil.which("dockerd"):
            raise DockerUnavailable("installing Debian's docker.io failed",
                                    "run `apt-get install docker.io` by hand to see why.")
    if not quiet:
        print(f"Starting dockerd in the background (log: {DOCKERD_LOG}) ...", flush=True)
    pid = start_dockerd()
    return _status(started=True, pid=pid)


def started_pid() -> int | None:
    """The pid of a dockerd the course started and that still runs, else None."""
    f = _state_file()
    if not f.exists():
        return None
    pid = json.loads(f.read_text()).get("pid")
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None
    return pid if comm == "dockerd" else None


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def stop_started_engine(timeout: float = 30) -> bool:
    """Stop the dockerd the course started (never one it found). True if stopped."""
    pid = started_pid()
    _state_file().unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    if not wait_until(lambda: not _alive(pid), timeout):
        os.kill(pid, signal.SIGKILL)
    return True
