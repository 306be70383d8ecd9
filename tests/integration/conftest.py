import os
import subprocess
import sys
import uuid

import docker
import pytest

import coursekit as ck


@pytest.fixture(scope="session")
def client():
    try:
        c = ck.connect()
    except ck.DockerUnavailable as err:
        pytest.fail(f"integration tests need a Docker engine: {err}")
    ck.ensure_images(c, quiet=True)
    yield c
    ck.cleanup(client=c)   # this test process's session only
    c.close()


@pytest.fixture
def created(client):
    """Record what a test creates outside the course labels; removed afterwards."""
    made = []
    yield made
    for obj in reversed(made):
        try:
            if isinstance(obj, docker.models.images.Image):
                client.images.remove(obj.id, force=True)
            elif isinstance(obj, docker.models.containers.Container):
                obj.remove(force=True, v=True)
            else:
                obj.remove()
        except docker.errors.NotFound:
            pass


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def run_py(code: str, session: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python process acting as course session ``session``."""
    env = dict(os.environ, COURSEKIT_SESSION=session)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=timeout)
