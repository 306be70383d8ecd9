"""The course registry: push, pull back, digests, and the htpasswd login lab."""
import docker
import pytest

import coursekit as ck
from coursekit.registry import _start_host_binary

from .conftest import unique


def _push(client, reg, repo, auth=None):
    img = client.images.get(ck.BUSYBOX)
    ref = f"{reg.address}/{repo}"
    img.tag(ref, "1")
    try:
        out = list(client.api.push(ref, "1", stream=True, decode=True, auth_config=auth))
    finally:
        client.images.remove(f"{ref}:1")
    errors = [o["error"] for o in out if "error" in o]
    digest = next((o["aux"]["Digest"] for o in out if "aux" in o), None)
    return errors, digest


def test_push_remove_pull_back_by_digest(client):
    reg = ck.start_registry(client=client)
    try:
        repo = unique("hello")
        errors, digest = _push(client, reg, repo)
        assert not errors and digest.startswith("sha256:")
        assert repo in reg.catalog()
        pulled = client.images.pull(f"{reg.address}/{repo}@{digest}")
        assert pulled.id == client.images.get(ck.BUSYBOX).id
        client.images.remove(f"{reg.address}/{repo}@{digest}")
    finally:
        reg.stop()
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(reg.container.id)
    with pytest.raises(docker.errors.NotFound):
        client.volumes.get(reg.volume.name)


def test_auth_registry_refuses_then_accepts(client):
    reg = ck.start_registry(auth=True, client=client)
    try:
        user, password = reg.auth
        errors, _ = _push(client, reg, "locked")
        assert errors and "no basic auth credentials" in errors[0]
        errors, _ = _push(client, reg, "locked", auth={"username": user, "password": "wrong"})
        assert errors
        errors, digest = _push(client, reg, "locked", auth={"username": user, "password": password})
        assert not errors and digest
        assert reg.catalog() == ["locked"]
    finally:
        reg.stop()


def test_host_binary_fallback_serves_the_api():
    reg = _start_host_binary(ck.free_port(), ("learner", "pw"))
    try:
        assert reg.catalog() == []
        assert reg.process.poll() is None
    finally:
        reg.stop()
    assert reg.process.poll() is not None


def test_busy_port_is_refused_clearly(client):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(ck.PortBusy):
            ck.start_registry(port=s.getsockname()[1], client=client)
