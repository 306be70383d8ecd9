"""With the real engine stopped, connect() says so, with the fix, within seconds.

Runs only when `make test` started the engine itself (COURSEKIT_TEST_OWNS_ENGINE=1):
the course never stops an engine it found running.  Restarts it afterwards.
"""
import os
import time

import pytest

import coursekit as ck
from coursekit.engine import ensure_engine, started_pid, stop_started_engine

pytestmark = pytest.mark.skipif(os.environ.get("COURSEKIT_TEST_OWNS_ENGINE") != "1",
                                reason="the engine was not started by this test run")


def test_stopped_engine_gives_docker_unavailable_with_the_fix():
    pid = started_pid()
    assert pid, "make test started the engine, so its pid must be recorded"
    assert stop_started_engine()
    try:
        t0 = time.monotonic()
        with pytest.raises(ck.DockerUnavailable) as info:
            ck.connect()
        secs = time.monotonic() - t0
        assert secs < 5, f"took {secs:.1f} s"
        assert "/var/run/docker.sock" in info.value.message
        assert "make engine" in info.value.fix or "start" in info.value.fix
        print(f"\nDockerUnavailable after {secs:.2f} s: {info.value}")
    finally:
        status = ensure_engine(fix=True, quiet=True)
    assert status.started_here and started_pid() == status.pid
    ck.connect().ping()
