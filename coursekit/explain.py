"""What went wrong, in the learner's words: docker-py's exceptions turned into the
course's short errors.

A cell that calls the SDK directly (the lessons teach ``client.containers.run``, not a
wrapper) can fail for reasons the learner did not cause or cannot read from a 40-line
traceback: the engine stopped, a name left by an earlier run of the cell, a host port
someone else holds, an image that is neither here nor pullable, a full disk.
:func:`explain` maps each to a :class:`~coursekit.errors.CourseError` subclass whose
message names the object and whose fix is the one command or cell that helps; the
notebook shows that, with the original traceback folded (:mod:`coursekit.notebook`).
Anything it does not recognise it leaves alone (``None``): the normal traceback is
then the honest answer.
"""
from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, urlsplit

from .errors import CourseError, DiskFull, EngineLost, ImageUnavailable, NameInUse, ObjectInUse, PortBusy

_HUB = ("registry-1.docker.io", "index.docker.io", "auth.docker.io")
_UNREACHABLE = ("no such host", "network is unreachable", "dial tcp", "i/o timeout",
                "connection refused", "tls handshake timeout", "server misbehaving",
                "temporary failure in name resolution")


def _engine_words() -> tuple[str, str]:
    """(which engine, how to get it back), naming DOCKER_HOST or the context when set."""
    from .connect import _start_hint, engine_host
    host = engine_host()
    if os.environ.get("DOCKER_HOST"):
        return (f"the Docker engine at DOCKER_HOST={host}",
                "start that engine again (or unset DOCKER_HOST to use the default one), "
                "then run this cell again")
    return (f"the Docker engine at {host}",
            f"{_start_hint()}; then run this cell again (`docker ps -a` shows what was left)")


def _is_engine_request(err) -> bool:
    """Whether a requests error came from talking to the engine (not, say, a registry)."""
    url = getattr(getattr(err, "request", None), "url", None) or ""
    if url.startswith("http+docker://"):
        return True
    from .connect import engine_host
    host = engine_host()
    return bool(url) and host.startswith(("tcp://", "http://", "https://")) \
        and urlsplit(url).netloc == urlsplit(host).netloc


def _image_ref(err) -> str:
    text = str(getattr(err, "explanation", "") or err)
    m = re.search(r"No such image: (\S+)", text)
    if m:
        return m.group(1).rstrip('")')
    url = getattr(getattr(err, "response", None), "url", "") or ""
    q = parse_qs(urlsplit(url).query)
    if "fromImage" in q:
        return q["fromImage"][0] + (":" + q["tag"][0] if q.get("tag") else "")
    m = re.search(r"(?:repository|for) (\S+?)(?:,|:? repository| not found|$)", text)
    return m.group(1) if m else "the image"


def explain(err: BaseException) -> CourseError | None:
    """The course's error for ``err`` (a docker-py/requests exception), or None."""
    if isinstance(err, CourseError):
        return err
    try:
        import docker.errors
        import requests.exceptions
    except ImportError:   # pragma: no cover - docker is a dependency
        return None
    text = str(getattr(err, "explanation", None) or err)
    low = text.lower()

    # The engine stopped answering (killed, restarting, Docker Desktop quit).
    if isinstance(err, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)) \
            and _is_engine_request(err):
        which, fix = _engine_words()
        how = "did not answer in time" if isinstance(err, requests.exceptions.Timeout) \
            else "stopped answering"
        return EngineLost(f"{which} {how} (it answered when this notebook connected)", fix)
    if type(err) is docker.errors.DockerException and "error while fetching server api" in low:
        which, fix = _engine_words()
        return EngineLost(f"{which} does not answer", fix)

    if not isinstance(err, docker.errors.APIError):
        return None
    from .labelling import session

    # A container name that exists: mostly this notebook's own, from an earlier run.
    m = re.search(r'container name "/?([^"]+)" is already in use', text)
    if m:
        name = m.group(1)
        mine = name.startswith(f"ck-{session()}-")
        whose = ("it is this notebook's, left by an earlier run of this cell" if mine
                 else "it is not this notebook's: choose another name, or")
        return NameInUse(f"a container named {name} already exists",
                         f"{whose} remove it with `docker rm -f {name}`, then run this cell again")

    # A host port that something else holds: the container was created, not started.
    if "port is already allocated" in low or "address already in use" in low:
        port = re.search(r"(?:Bind for |listen tcp[46]? )\[?([0-9a-fA-F.:]*?)\]?:(\d+)", text)
        where = f"host port {port.group(2)}" + (f" of {port.group(1)}" if port and port.group(1) else "") \
            if port else "the host port"
        box = re.search(r"on endpoint (\S+) \(", text)
        box = box.group(1) if box else None
        left = (f"; {box} was created but not started: `docker rm {box}` removes it" if box else "")
        return PortBusy(f"{where} is already taken by another program or container{left}",
                        "choose a free port (`ck.free_port()` gives one) and run the cell again; "
                        "`docker ps --filter publish=PORT` shows a container that holds it")

    # An image that is not here and cannot be pulled (offline, or a typo).
    pull = "/images/create" in (getattr(getattr(err, "response", None), "url", "") or "")
    if isinstance(err, docker.errors.ImageNotFound) or "no such image" in low or (
            pull and (any(h in low for h in _HUB) or "pull access denied" in low
                      or "repository does not exist" in low or "manifest unknown" in low)):
        ref = _image_ref(err)
        why = ("and the engine cannot reach Docker Hub to pull it"
               if any(h in low for h in _HUB) and any(u in low for u in _UNREACHABLE)
               else "and no registry has it under that name")
        return ImageUnavailable(
            f"no image {ref} on this engine, {why}",
            "check the spelling (the course's image is coursekit/busybox:1, `ck.BUSYBOX`); "
            "`python -m coursekit doctor --fix` rebuilds the lab images offline")

    # A volume (or network) still in use by a container.
    m = re.search(r"remove (\S+): volume is in use - \[([0-9a-f, ]+)\]", text)
    if m:
        ids = ", ".join(i.strip()[:12] for i in m.group(2).split(","))
        return ObjectInUse(f"volume {m.group(1)} is still used by container {ids}",
                           f"remove that container first (`docker rm -f {ids.split(',')[0]}`), "
                           f"then the volume")

    if "no space left on device" in low:
        cleanup = ("`ck.cleanup()` removes this notebook's course objects; `python -m coursekit "
                   "cleanup --all` every course object (never anything else)")
        # The engine names the file it could not write: inside a container that is often
        # a volume or tmpfs mount, full on its own while the engine's disk has room.
        path = re.search(r"(?:write|mkdir|open|create|copy) (/\S*?):? no space left on device", text, re.I)
        if path:
            return DiskFull(f"the engine could not write {path.group(1)}: the file system there is full "
                            "(the engine's disk, or a volume or tmpfs mounted at that path)",
                            "make room there (a smaller file, or remove files from the volume); "
                            "`docker system df` shows what uses the engine's disk; " + cleanup)
        return DiskFull("the disk where the engine keeps images and containers is full",
                        "`docker system df` shows what uses it; " + cleanup)
    return None
