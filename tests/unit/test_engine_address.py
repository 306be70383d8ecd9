"""engine_address(): where published ports are reached, for each kind of engine address."""
import pytest

from coursekit.connect import ADDRESS_ENV, engine_address


@pytest.mark.parametrize("host,expected", [
    ("unix:///var/run/docker.sock", "127.0.0.1"),          # local engine
    ("unix:///home/me/.docker/run/docker.sock", "127.0.0.1"),  # Docker Desktop
    ("npipe:////./pipe/docker_engine", "127.0.0.1"),       # Docker Desktop, Windows
    ("tcp://192.168.76.2:2375", "192.168.76.2"),
    ("tcp://localhost:2375", "127.0.0.1"),
    ("ssh://me@build-box.example.org", "build-box.example.org"),
    ("ssh://me@build-box:2222", "build-box"),
    ("tcp://[fd00::5]:2376", "fd00::5"),
])
def test_address_from_docker_host(monkeypatch, host, expected):
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    assert engine_address(host) == expected


def test_explicit_address_wins(monkeypatch):
    monkeypatch.setenv(ADDRESS_ENV, "192.168.77.2")
    assert engine_address("unix:///run/coursekit-hosts/engine26/docker.sock") == "192.168.77.2"
