"""coursekit.explain: docker-py errors (built as docker-py builds them from an engine's
answer; the texts are the engines' own, from Docker 20.10 and 26) -> course errors."""
import docker.errors
import pytest
import requests

from coursekit import errors, labelling
from coursekit.explain import explain


def api_error(status: int, url: str, explanation: str, cls=docker.errors.APIError):
    resp = requests.Response()
    resp.status_code, resp.url = status, url
    return cls(f"{status} Server Error for {url}", response=resp, explanation=explanation)


@pytest.fixture(autouse=True)
def session(monkeypatch):
    monkeypatch.setattr(labelling, "_session", "abc123")
    monkeypatch.delenv("DOCKER_HOST", raising=False)


def test_name_in_use_by_this_notebook_says_so_and_how_to_remove_it():
    err = explain(api_error(409, "http+docker://localhost/v1.45/containers/create?name=ck-abc123-web",
                            'Conflict. The container name "/ck-abc123-web" is already in use by '
                            'container "80b3". You have to remove (or rename) that container'))
    assert isinstance(err, errors.NameInUse)
    assert "ck-abc123-web already exists" in err.message
    assert "this notebook's" in err.fix and "docker rm -f ck-abc123-web" in err.fix


def test_name_in_use_by_someone_else_is_not_called_ours():
    err = explain(api_error(409, "http+docker://localhost/v1.41/containers/create?name=web",
                            'Conflict. The container name "/web" is already in use by container "1"'))
    assert "not this notebook's" in err.fix


@pytest.mark.parametrize("text, port", [
    ("driver failed programming external connectivity on endpoint ck-abc123-srv (f99): "
     "Bind for 127.0.0.1:8080 failed: port is already allocated", "8080"),
    ("driver failed programming external connectivity on endpoint ck-abc123-srv (f99): Error "
     "starting userland proxy: listen tcp4 0.0.0.0:8081: bind: address already in use", "8081"),
])
def test_port_taken_names_port_and_the_unstarted_container(text, port):
    err = explain(api_error(500, "http+docker://localhost/v1.45/containers/f99/start", text))
    assert isinstance(err, errors.PortBusy)
    assert f"host port {port}" in err.message
    assert "ck-abc123-srv was created but not started" in err.message
    assert "ck.free_port()" in err.fix


def test_missing_image_offline_and_typo():
    pull = api_error(500, "http+docker://localhost/v1.45/images/create?tag=1&fromImage=coursekit%2Fbusybx",
                     'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io '
                     'on 10.255.255.53:53: dial udp 10.255.255.53:53: connect: network is unreachable')
    err = explain(pull)
    assert isinstance(err, errors.ImageUnavailable)
    assert "no image coursekit/busybx:1" in err.message and "cannot reach Docker Hub" in err.message
    online = api_error(404, "http+docker://localhost/v1.45/images/create?tag=1&fromImage=nosuch",
                       "pull access denied for nosuch, repository does not exist or may require "
                       "'docker login'", docker.errors.NotFound)
    assert "no registry has it" in explain(online).message
    create = api_error(404, "http+docker://localhost/v1.45/containers/create",
                       "No such image: coursekit/nosuch:1", docker.errors.ImageNotFound)
    assert "no image coursekit/nosuch:1" in explain(create).message


def test_engine_gone_names_docker_host_when_set(monkeypatch):
    gone = requests.exceptions.ConnectionError(
        "Connection aborted.", request=requests.Request("GET", "http+docker://localhost/v1.45/info").prepare())
    assert "sudo systemctl start docker" in explain(gone).fix or "Docker Desktop" in explain(gone).fix
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.5:2375")
    err = explain(gone)
    assert isinstance(err, errors.EngineLost)
    assert "DOCKER_HOST=tcp://10.0.0.5:2375" in err.message and "unset DOCKER_HOST" in err.fix


def test_a_registry_or_web_request_that_fails_is_not_blamed_on_the_engine():
    other = requests.exceptions.ConnectionError(
        "refused", request=requests.Request("GET", "http://127.0.0.1:5000/v2/").prepare())
    assert explain(other) is None


def test_volume_in_use_and_disk_full():
    err = explain(api_error(409, "http+docker://localhost/v1.45/volumes/ck-abc123-data",
                            "remove ck-abc123-data: volume is in use - [f354991b92cb1234, 0123456789abcdef]"))
    assert isinstance(err, errors.ObjectInUse)
    assert "volume ck-abc123-data is still used by container f354991b92cb, 0123456789ab" in err.message
    full = explain(api_error(500, "http+docker://localhost/v1.45/images/create",
                             "write /var/lib/docker/tmp/x: no space left on device"))
    assert isinstance(full, errors.DiskFull) and "docker system df" in full.fix
    # Docker 26's words for `docker cp` into a full 64 KiB tmpfs volume (tests/faults)
    vol = explain(api_error(500, "http+docker://localhost/v1.45/containers/987b0f8a5d6e/archive?path=%2Fdata",
                            'write /data/big.bin: no space left on device'))
    assert isinstance(vol, errors.DiskFull)
    assert vol.message.startswith("the engine could not write /data/big.bin: the file system there is full")
    bare = explain(api_error(500, "http+docker://localhost/v1.45/build", "no space left on device"))
    assert bare.message == "the disk where the engine keeps images and containers is full"


def test_errors_it_does_not_know_are_left_alone():
    assert explain(api_error(500, "http+docker://localhost/v1.45/containers/x/start",
                             "OCI runtime create failed: something new")) is None
    assert explain(ValueError("x")) is None
