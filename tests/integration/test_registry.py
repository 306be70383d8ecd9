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


def test_rerunning_the_start_cell_replaces_this_sessions_registry(client):
    first = ck.start_registry(client=client, purpose="rerun-registry")
    try:
        again = ck.start_registry(client=client, purpose="rerun-registry")   # same cell, run again
        try:
            assert again.container.id != first.container.id and again.catalog() == []
            with pytest.raises(docker.errors.NotFound):
                client.containers.get(first.container.id)
        finally:
            again.stop()
    finally:
        first.stop()


def test_cleanup_untags_what_was_pushed_to_this_sessions_registry(client):
    reg = ck.start_registry(client=client)
    ref = f"{reg.address}/{unique('pushed')}"
    client.images.get(ck.BUSYBOX).tag(ref, "1")
    assert not [o for o in client.api.push(ref, "1", stream=True, decode=True) if "error" in o]
    kept = f"{ck.BUSYBOX.split(':')[0]}-kept-{unique('x')}"     # a tag of no registry: stays
    client.images.get(ck.BUSYBOX).tag(kept, "1")
    try:
        report = ck.cleanup(client=client)
        assert f"{ref}:1" in report.images
        assert not [t for i in client.images.list() for t in i.tags if t.startswith(reg.address)]
        assert client.images.get(ck.BUSYBOX) and client.images.get(f"{kept}:1")
    finally:
        client.images.remove(f"{kept}:1")
        reg.stop()


def test_registry_stop_on_the_command_line_stops_only_the_named_session(client, tmp_path):
    import os
    import subprocess
    import sys
    mine = ck.start_registry(client=client)
    other = subprocess.run([sys.executable, "-c", "import coursekit as ck; r = ck.start_registry(); "
                            "print(ck.session(), r.container.name)"],
                           env=dict(os.environ, COURSEKIT_SESSION=unique("regother")[-20:].lower().replace("_", "-")),
                           capture_output=True, text=True, check=True).stdout.split()
    try:
        out = subprocess.run([sys.executable, "-m", "coursekit", "registry", "stop", "--session", other[0]],
                             capture_output=True, text=True, check=True).stdout
        assert f"stopped registry {other[1]}" in out, out
        with pytest.raises(docker.errors.NotFound):
            client.containers.get(other[1])
        mine.container.reload()
        assert mine.container.status == "running"    # another session's registry untouched
    finally:
        mine.stop()
        ck.cleanup(client=client, session=other[0])


def test_stop_removes_the_tags_that_name_the_registry(client):
    """A registry's tags carry no label; stop() untags them (the image itself stays)."""
    reg = ck.start_registry(client=client)
    ref = f"{reg.address}/{unique('left')}"
    client.images.get(ck.BUSYBOX).tag(ref, "1")
    reg.stop()
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(f"{ref}:1")
    assert client.images.get(ck.BUSYBOX)   # only the name went
