"""With no engine at the address tried, connect() explains within seconds.

These need no engine: they point DOCKER_HOST at places where none can answer
(a missing socket, a socket file nobody listens on -- what a stopped dockerd
leaves behind -- and a closed TCP port).  The real stopped-engine case is
tests/engine_stop/.
"""
import socket
import subprocess
import sys
import time

import pytest

from coursekit import DockerUnavailable, connect, free_port


def _connect_fails(monkeypatch, host):
    monkeypatch.setenv("DOCKER_HOST", host)
    t0 = time.monotonic()
    with pytest.raises(DockerUnavailable) as info:
        connect(timeout=3)
    return info.value, time.monotonic() - t0


def test_missing_socket(monkeypatch, tmp_path):
    err, secs = _connect_fails(monkeypatch, f"unix://{tmp_path}/docker.sock")
    assert f"no Docker engine socket at {tmp_path}/docker.sock" in err.message
    assert "start" in err.fix
    assert secs < 5


def test_socket_without_engine(monkeypatch, tmp_path):
    path = tmp_path / "docker.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()  # the file stays, nobody listens: a stopped engine's leftover
    err, secs = _connect_fails(monkeypatch, f"unix://{path}")
    assert "exists but no engine answers" in err.message
    assert "stopped" in err.fix
    assert secs < 5


def test_closed_tcp_port(monkeypatch):
    host = f"tcp://127.0.0.1:{free_port()}"
    err, secs = _connect_fails(monkeypatch, host)
    assert host in err.message
    assert "DOCKER_HOST" in err.fix
    assert secs < 5


def test_cli_doctor_exits_nonzero_with_the_fix(tmp_path):
    env = {"DOCKER_HOST": f"unix://{tmp_path}/none.sock", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    p = subprocess.run([sys.executable, "-m", "coursekit", "doctor"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert "❌ engine" in p.stdout and "no Docker engine socket" in p.stdout
    assert "Traceback" not in p.stdout + p.stderr


def test_cli_cleanup_refuses_to_guess_a_session(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    p = subprocess.run([sys.executable, "-m", "coursekit", "cleanup"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--session" in p.stderr
