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
from .paths import engine_state_dir

DOCKERD_LOG = Path(os.environ.get("COURSEKIT_DOCKERD_LOG", "/var/log/coursekit-dockerd.log"))


def _state_file() -> Path:
    return engine_state_dir() / "engine.json"


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
    log_path = engine_state_dir() / "apt.log"
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


# --- Docker CLI plugins: buildx (BuildKit builder) and Compose v2 -----------------

PLUGIN_DIR = Path("/usr/local/lib/docker/cli-plugins")   # searched by every CLI >= 19.03


@dataclass
class PluginStatus:
    buildx: str | None            # "v0.13.1", or None when `docker buildx` does not work
    compose: str | None           # "v2.26.1", or None when `docker compose` does not work
    action: str | None = None     # what ensure_plugins did, if anything
    problem: str | None = None    # why it could not provide them, with the fix

    @property
    def ok(self) -> bool:
        return bool(self.buildx and self.compose)

    def builder_line(self) -> tuple[bool | None, str]:
        if self.buildx:
            return True, f"buildx {self.buildx} (BuildKit)"
        return None, f"legacy builder only (no buildx plugin); fix: {self.install_hint()}"

    def compose_line(self) -> tuple[bool | None, str]:
        if self.compose:
            return True, f"Compose {self.compose}"
        return None, f"Compose v2 missing (`docker compose` fails); fix: {self.install_hint()}"

    def install_hint(self) -> str:
        return self.problem or plugin_install_hint()


def _os_release() -> dict[str, str]:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v.strip().strip('"')
    return out


def _system() -> str:
    """'ubuntu', 'debian12', 'debian13' (or later), 'debian-other' or 'other'."""
    rel = _os_release()
    if rel.get("ID") == "ubuntu" or "ubuntu" in rel.get("ID_LIKE", "").split():
        return "ubuntu"
    if rel.get("ID") == "debian":
        major = rel.get("VERSION_ID", "").split(".")[0]
        if major == "12":
            return "debian12"
        if (major.isdigit() and int(major) >= 13) or "VERSION_ID" not in rel:
            return "debian13"        # testing/sid have no VERSION_ID
        return "debian-other"
    return "other"


def plugin_install_hint(system: str | None = None) -> str:
    """The command a learner runs on this kind of system to get both plugins."""
    return {
        "ubuntu": "`sudo apt-get install docker-buildx docker-compose-v2`",
        "debian13": "`sudo apt-get install docker-buildx docker-compose`",
        "debian12": "`sudo .venv/bin/python -m coursekit doctor --fix` (copies Debian 13's "
                    f"docker-buildx and docker-compose plugins into {PLUGIN_DIR})",
    }.get(system or _system(),
          "Docker Desktop includes both; on Linux with Docker's own packages "
          "`sudo apt-get install docker-buildx-plugin docker-compose-plugin` "
          "(or `dnf install`), see https://docs.docker.com/engine/install/")


def _version_of(args: list[str]) -> str | None:
    """'vX.Y.Z' from `docker <args>`, or None when the command does not work."""
    import re
    docker = shutil.which("docker")
    if not docker:
        return None
    try:
        p = subprocess.run([docker, *args], capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if p.returncode != 0:
        return None
    m = re.search(r"\bv?(\d+\.\d+\.\d+)", p.stdout)
    return f"v{m.group(1)}" if m else p.stdout.strip() or None


def buildx_version() -> str | None:
    """The buildx plugin's version, or None when the CLI cannot build with BuildKit."""
    return _version_of(["buildx", "version"])


def plugin_versions() -> tuple[str | None, str | None]:
    return buildx_version(), _version_of(["compose", "version", "--short"])


def _install_from_trixie(quiet: bool) -> None:
    """Debian 12: Debian 13's docker-buildx / docker-compose binaries, as CLI plugins."""
    import tempfile
    from . import debian
    with tempfile.TemporaryDirectory(prefix="coursekit-plugins-") as tmp:
        if not quiet:
            print("Fetching docker-buildx and docker-compose from Debian 13 (trixie) "
                  f"into {PLUGIN_DIR} ...", flush=True)
        debs = debian.fetch_debs(["docker-buildx", "docker-compose"], Path(tmp) / "debs")
        root = debian.extract(debs, Path(tmp) / "root")
        PLUGIN_DIR.mkdir(parents=True, exist_ok=True)
        for name in ("docker-buildx", "docker-compose"):
            src = next((p for p in (root / "usr/libexec/docker/cli-plugins" / name,
                                    root / "usr/lib/docker/cli-plugins" / name) if p.is_file()),
                       None)
            if src is None:
                raise debian.AptError(f"{name} is not in the trixie package where expected")
            tmp_dst = PLUGIN_DIR / f".{name}.new"
            shutil.copyfile(src, tmp_dst)
            tmp_dst.chmod(0o755)
            os.replace(tmp_dst, PLUGIN_DIR / name)


def ensure_plugins(fix: bool = False, quiet: bool = False) -> PluginStatus:
    """Report `docker buildx` and `docker compose`; with ``fix`` provide them where the
    course installs things (root on Debian/Ubuntu, even beside a running engine or with
    DOCKER_HOST set).  Never raises for a missing plugin: the status says what to do."""
    buildx, compose = plugin_versions()
    st = PluginStatus(buildx, compose)
    if st.ok or not fix:
        return st
    system = _system()
    if not shutil.which("docker"):
        st.problem = "no `docker` command on PATH: install the Docker CLI first"
        return st
    if os.name != "posix" or os.geteuid() != 0 or system not in ("ubuntu", "debian12",
                                                                "debian13"):
        why = "needs root" if system in ("ubuntu", "debian12", "debian13") else \
              "the course installs plugins only on Debian and Ubuntu"
        st.problem = f"{plugin_install_hint(system)} (the course cannot do it here: {why})"
        return st
    try:
        if system == "ubuntu":
            done = apt_install(["docker-buildx", "docker-compose-v2"], quiet=quiet)
            st.action = "apt-get install docker-buildx docker-compose-v2"
        elif system == "debian13":
            done = apt_install(["docker-buildx", "docker-compose"], quiet=quiet)
            st.action = "apt-get install docker-buildx docker-compose"
        else:
            _install_from_trixie(quiet)
            done = True
            st.action = f"copied Debian 13's docker-buildx and docker-compose into {PLUGIN_DIR}"
    except Exception as err:       # network, apt, disk: report, do not fail set-up
        done = False
        st.problem = f"{plugin_install_hint(system)} (the course's attempt failed: {err})"
    st.buildx, st.compose = plugin_versions()
    if not done and not st.problem:
        st.problem = f"{plugin_install_hint(system)} (the course's `{st.action}` failed)"
    elif done and not st.ok and not st.problem:
        st.problem = (f"{st.action} finished but `docker buildx version` / `docker compose "
                      f"version` still fail; {plugin_install_hint(system)}")
    return st
