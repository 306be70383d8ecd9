"""Connect to the Docker engine, or say exactly why not and what to do."""
from __future__ import annotations

import os
import platform
from pathlib import Path
from urllib.parse import urlsplit

import docker

from .errors import DockerUnavailable

DEFAULT_SOCKET = "/var/run/docker.sock"


def engine_host() -> str:
    """The engine address the course will try, in the order docker itself uses:
    ``$DOCKER_HOST``, then the current ``docker context``, then the default socket."""
    if os.environ.get("DOCKER_HOST"):
        return os.environ["DOCKER_HOST"]
    try:
        from docker.context import ContextAPI
        ctx = ContextAPI.get_current_context()
        host = ctx.Host if ctx is not None else None
        if host:
            return host
    except Exception:  # a broken ~/.docker/config.json must not hide the real problem
        pass
    if platform.system() == "Windows":
        return "npipe:////./pipe/docker_engine"
    return f"unix://{DEFAULT_SOCKET}"


ADDRESS_ENV = "COURSEKIT_ENGINE_ADDRESS"


def engine_address(host: str | None = None) -> str:
    """The address, seen from this machine, of the host the engine runs on: where the
    ports that containers publish can be reached.

    ``127.0.0.1`` for an engine on this machine and for Docker Desktop (which forwards
    published ports to localhost); the host part of ``tcp://`` and ``ssh://`` engine
    addresses; ``$COURSEKIT_ENGINE_ADDRESS`` when set (an engine in a VM or a network
    namespace reached through a local socket, as the course's test hosts are)."""
    if os.environ.get(ADDRESS_ENV):
        return os.environ[ADDRESS_ENV]
    host = host or engine_host()
    if host.startswith(("tcp://", "ssh://", "http://", "https://")):
        name = urlsplit(host).hostname or ""
        if name not in ("", "localhost", "127.0.0.1", "::1"):
            return name
    return "127.0.0.1"


def _start_hint() -> str:
    """How to start the engine on this kind of machine."""
    return {
        "Darwin": "start Docker Desktop (open the Docker app and wait for 'Engine running')",
        "Windows": "start Docker Desktop (WSL 2 backend) and wait for 'Engine running'",
    }.get(platform.system(), "start the engine: `sudo systemctl start docker`, or as root on "
                             "Debian/Ubuntu run `make engine`, which installs and starts one")


def _diagnose(host: str, err: BaseException) -> tuple[str, str]:
    """(what went wrong, what to do) for a failed connection to ``host``."""
    start = _start_hint()
    if os.environ.get("DOCKER_HOST"):
        # The learner (or their set-up) chose this engine: starting the system Docker
        # would not help; starting that one, or unsetting DOCKER_HOST, would.
        start = ("start the engine that DOCKER_HOST points at, or unset DOCKER_HOST "
                 "to use the default one")
    if host.startswith("unix://"):
        path = host[len("unix://"):]
        if not Path(path).exists():
            return (f"no Docker engine socket at {path}", f"Docker is not running: {start}.")
        if not os.access(path, os.R_OK | os.W_OK):
            return (f"permission denied on the Docker socket {path}",
                    "add yourself to the 'docker' group: `sudo usermod -aG docker $USER`, "
                    "then log out and back in. Membership is root-equivalent on this "
                    "machine (see the lesson on docker without sudo); rootless Docker "
                    "is the safer alternative.")
        return (f"the Docker socket {path} exists but no engine answers on it "
                f"({type(err).__name__})", f"the engine has stopped: {start}.")
    return (f"no Docker engine answered at {host} ({type(err).__name__}: {str(err)[:120]})",
            f"check that DOCKER_HOST/the docker context points at a running engine, or {start}.")


def connect(timeout: float = 5.0, api_timeout: int = 120) -> docker.DockerClient:
    """A ``docker.DockerClient`` for the engine, after checking that it answers.

    Raises :class:`DockerUnavailable` within about ``timeout`` seconds, naming the
    socket/host tried and the fix, instead of a docker-py traceback.
    """
    host = engine_host()
    try:
        client = docker.DockerClient(base_url=host, version="auto",
                                     timeout=max(1, int(timeout)))
        client.ping()
    except Exception as err:  # docker-py raises DockerException, requests and OS errors
        what, fix = _diagnose(host, err)
        if os.environ.get("DOCKER_HOST"):
            what += " (the engine DOCKER_HOST names)"
        raise DockerUnavailable(what, fix) from err
    client.api.timeout = api_timeout  # builds, pulls and waits get longer
    client.coursekit_host = host      # the same engine for the docker CLI (BuildKit builds)
    return client


def is_up(timeout: float = 2.0) -> bool:
    """True when an engine answers (no exception, for polling loops)."""
    try:
        connect(timeout=timeout).close()
        return True
    except DockerUnavailable:
        return False
