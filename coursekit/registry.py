"""The course registry: a real Docker registry (distribution 2.x) on 127.0.0.1 only.

``start_registry()`` runs the ``coursekit/registry:2`` lab image (pulled
``registry:2`` or built offline from Debian's ``docker-registry``), or, if no
image can be had, the host's ``docker-registry`` binary.  ``auth=True`` adds
htpasswd authentication for the ``docker login`` lab.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import docker

from .engine import wait_until
from .errors import CourseError, RegistryError
from .images import REGISTRY_CONFIG, REGISTRY_IMAGE, ensure_images, find_registry_binary, tar_bytes
from .labelling import SESSION_LABEL, labels, name, session
from .ports import check_port_free, free_port

HTPASSWD_PATH = "/auth/htpasswd"
USER = "learner"


def htpasswd_line(user: str, password: str) -> str:
    """One bcrypt htpasswd line, as the registry's htpasswd auth requires."""
    import bcrypt
    return f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()}\n"


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


@dataclass
class Registry:
    """A running course registry.  ``address`` is what goes in image names."""
    address: str                       # "127.0.0.1:PORT", as the engine pushes to it
    auth: tuple[str, str] | None       # (user, password) in htpasswd mode
    container: object = None           # docker-py Container, or None
    volume: object = None              # docker-py Volume holding its storage
    process: subprocess.Popen | None = None
    how: str = ""
    _tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    host: str = "127.0.0.1"            # where this notebook reaches it (the engine's host)

    @property
    def url(self) -> str:
        """The registry's HTTP API as seen from this notebook: on the engine's host,
        which for a remote or VM engine is not this machine's 127.0.0.1."""
        return f"http://{self.host}:{self.address.rsplit(':', 1)[1]}"

    def catalog(self) -> list[str]:
        """Repositories in the registry (``GET /v2/_catalog``)."""
        import base64
        import json
        req = urllib.request.Request(f"{self.url}/v2/_catalog")
        if self.auth:
            token = base64.b64encode(":".join(self.auth).encode()).decode()
            req.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.load(r).get("repositories", [])

    def stop(self) -> None:
        """Stop and remove this registry (its container and storage, or its process) and
        the tags that name it (``127.0.0.1:PORT/...``: they carry no label, and once the
        registry is gone nothing would find them)."""
        if self.container is not None:
            untag(self.container.client, registry_tags(self.container.client, [self.container]))
            try:
                self.container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
        if self.volume is not None:
            try:
                self.volume.remove(force=True)
            except docker.errors.NotFound:
                pass
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __str__(self) -> str:
        mode = f"login required (user {self.auth[0]})" if self.auth else "no login"
        return f"course registry at {self.address} ({mode}; {self.how})"


def _wait_ready(reg: Registry, timeout: float = 20) -> None:
    if not wait_until(lambda: _status(f"{reg.url}/v2/") in (200, 401), timeout):
        logs = ""
        if reg.container is not None:
            try:
                logs = reg.container.logs(tail=5).decode(errors="replace")
            except docker.errors.DockerException:
                pass
        reg.stop()
        raise RegistryError(f"the course registry at {reg.address} did not answer within "
                            f"{timeout:.0f} s. {logs}".strip(),
                            "run `python -m coursekit doctor` to check the engine and images.")


def start_registry(auth: bool = False, port: int | None = None, client=None,
                   password: str | None = None, purpose: str | None = None,
                   tries: int = 3) -> Registry:
    """Start a course registry on 127.0.0.1 (a free port unless ``port`` is given;
    chosen again, up to ``tries`` times, if another program takes it first)."""
    from .connect import connect
    client = client or connect()
    fixed_port = bool(port)
    port = check_port_free(port) if port else free_port()
    creds = (USER, password or secrets.token_urlsafe(12)) if auth else None
    from .connect import engine_address
    host = engine_address()
    # The engine pushes to 127.0.0.1 (its own loopback: no TLS needed); this notebook
    # reads the API at the engine host's address, which is the same on a local engine.
    bindings = [("127.0.0.1", port)] + ([(host, port)] if host != "127.0.0.1" else [])
    purpose = purpose or ("registry-auth" if auth else "registry")
    try:
        ensure_images(client, tags=[REGISTRY_IMAGE], quiet=True)
    except CourseError:
        return _start_host_binary(port, creds)
    env = {}
    if creds:
        env = {"REGISTRY_AUTH": "htpasswd", "REGISTRY_AUTH_HTPASSWD_REALM": "coursekit",
               "REGISTRY_AUTH_HTPASSWD_PATH": HTPASSWD_PATH}
    # An earlier run of the same cell (same session, same purpose) left its registry:
    # it is this notebook's own, so it is replaced rather than reported as a conflict.
    _remove_own(client, name(purpose))
    # Storage in a labelled volume (the image's VOLUME would make an unlabelled one).
    vol = client.volumes.create(name(f"{purpose}-data"), labels=labels(role=purpose))
    try:
        c = client.containers.create(
            REGISTRY_IMAGE, name=name(purpose), labels=labels(role=purpose),
            environment=env, ports={"5000/tcp": bindings}, detach=True,
            volumes={vol.name: {"bind": "/var/lib/registry", "mode": "rw"}})
    except docker.errors.APIError as err:
        vol.remove(force=True)
        raise RegistryError(f"could not create the registry container {name(purpose)}: "
                            f"{err.explanation}",
                            f"remove it with `docker rm -f {name(purpose)}` and run the cell again.") from err
    if creds:
        c.put_archive("/", tar_bytes({"auth/htpasswd": htpasswd_line(*creds).encode()}))
    try:
        c.start()
    except docker.errors.APIError as err:
        c.remove(force=True, v=True)
        vol.remove(force=True)
        if "already allocated" in str(err.explanation) or "already in use" in str(err.explanation):
            if tries > 0 and not fixed_port:   # another program took the free port meanwhile
                return start_registry(auth, None, client, creds[1] if creds else None, purpose, tries - 1)
            raise RegistryError(f"host port {port} is taken, so the registry cannot listen there",
                                "start it without a port (a free one is chosen), or free that port.") from err
        raise
    from .images import image_source
    reg = Registry(f"127.0.0.1:{port}", creds, container=c, volume=vol,
                   how=f"container {c.name}, image {REGISTRY_IMAGE} "
                       f"({image_source(client, REGISTRY_IMAGE)})", host=host)
    _wait_ready(reg)
    return reg


def _start_host_binary(port: int, creds) -> Registry:
    binary = find_registry_binary()
    if binary is None:
        raise RegistryError("no registry image and no docker-registry binary on this machine",
                            "run `make images` (online), or `apt install docker-registry`.")
    tmp = tempfile.TemporaryDirectory(prefix=f"coursekit-{session()}-registry-")
    root = Path(tmp.name)
    (root / "config.yml").write_text(REGISTRY_CONFIG.replace(
        "/var/lib/registry", str(root / "data")))
    env = dict(os.environ, REGISTRY_HTTP_ADDR=f"127.0.0.1:{port}")
    if creds:
        (root / "htpasswd").write_text(htpasswd_line(*creds))
        env.update(REGISTRY_AUTH="htpasswd", REGISTRY_AUTH_HTPASSWD_REALM="coursekit",
                   REGISTRY_AUTH_HTPASSWD_PATH=str(root / "htpasswd"))
    with open(root / "registry.log", "wb") as log:   # the child keeps its own copy
        proc = subprocess.Popen([str(binary), "serve", str(root / "config.yml")], env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    reg = Registry(f"127.0.0.1:{port}", creds, process=proc,
                   how=f"host binary {binary} (pid {proc.pid})", _tmp=tmp)
    _wait_ready(reg)
    return reg


def running_registries(client=None, all_sessions: bool = False) -> list:
    """The registry containers of this session (or all sessions)."""
    from .connect import connect
    from .labelling import label_filter
    client = client or connect()
    return [c for c in client.containers.list(all=True, ignore_removed=True, filters={
        "label": [label_filter(all_sessions)], "ancestor": REGISTRY_IMAGE})]


def _remove_own(client, box_name: str) -> bool:
    """Remove this session's registry container ``box_name`` and its volume, if an
    earlier run left them (never anything without this session's label)."""
    try:
        old = client.containers.get(box_name)
    except docker.errors.NotFound:
        return False
    if old.labels.get(SESSION_LABEL) != session():
        return False
    old.remove(force=True, v=True)
    try:
        client.volumes.get(f"{box_name}-data").remove(force=True)
    except docker.errors.NotFound:
        pass
    return True


def registry_tags(client, boxes) -> list[str]:
    """Image tags that name a repository in one of the registry containers ``boxes``
    (``127.0.0.1:PORT/...`` and the engine host's address): what a lesson tagged to push
    there. They carry no label of their own (they are names of images such as the lab's
    busybox), so cleanup finds them through the registry's published port."""
    prefixes = set()
    for box in boxes:
        for binds in (box.attrs.get("HostConfig", {}).get("PortBindings") or {}).values():
            for b in binds or []:
                if b.get("HostPort"):
                    prefixes.add(f"{b.get('HostIp') or '127.0.0.1'}:{b['HostPort']}/")
                    prefixes.add(f"127.0.0.1:{b['HostPort']}/")
    if not prefixes:
        return []
    from .images import image_summaries
    return sorted(t for img in image_summaries(client) for t in img.get("RepoTags") or []
                  if t.startswith(tuple(prefixes)))


def untag(client, tags) -> list[str]:
    """Remove each of ``tags`` by name (the image keeps its other names; one a container
    uses is refused and kept); returns the tags that went."""
    gone = []
    for tag in tags:
        try:
            client.images.remove(tag)
            gone.append(tag)
        except docker.errors.APIError:
            pass
    return gone


def stop_registries(client, session_id: str | None) -> list[str]:
    """Stop the course registries of ``session_id`` (None: every session's): their
    containers, storage volumes and the tags pushed to them. Returns what went."""
    from .labelling import COURSE_LABEL, COURSE
    flt = {"label": [f"{COURSE_LABEL}={COURSE}"] + ([f"{SESSION_LABEL}={session_id}"] if session_id else []),
           "ancestor": REGISTRY_IMAGE}
    boxes = client.containers.list(all=True, ignore_removed=True, filters=flt)
    gone = [f"tag {t}" for t in untag(client, registry_tags(client, boxes))]
    for box in boxes:
        volumes = [m["Name"] for m in box.attrs.get("Mounts", []) if m.get("Type") == "volume"]
        box.remove(force=True, v=True)
        gone.append(f"registry {box.name}")
        for v in volumes:
            try:
                client.volumes.get(v).remove(force=True)
                gone.append(f"volume {v}")
            except docker.errors.NotFound:
                pass
    return gone
