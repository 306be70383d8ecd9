"""After set-up (`python -m coursekit doctor --fix`) the real Docker CLI has the
buildx and Compose v2 plugins, and plain `docker build` uses BuildKit."""
import shutil
import subprocess

import pytest

from coursekit.engine import ensure_plugins

from .conftest import unique

pytestmark = pytest.mark.skipif(not shutil.which("docker"), reason="no docker CLI on PATH")


def _docker(*args, **kw):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120, **kw)


def test_buildx_version():
    p = _docker("buildx", "version")
    assert p.returncode == 0, f"`docker buildx version` failed (run doctor --fix): {p.stderr}"
    assert "buildx" in p.stdout


def test_compose_version():
    p = _docker("compose", "version")
    assert p.returncode == 0, f"`docker compose version` failed (run doctor --fix): {p.stderr}"
    assert "Docker Compose version" in p.stdout and " 2." in p.stdout.replace("v2.", " 2.")


def test_ensure_plugins_reports_both():
    st = ensure_plugins(fix=False)
    assert st.ok, st.install_hint()
    assert st.builder_line()[1].startswith("buildx v") and "BuildKit" in st.builder_line()[1]
    assert st.compose_line()[1].startswith("Compose v2.")


def test_plain_docker_build_uses_buildkit(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /\n")
    (tmp_path / "hello.txt").write_text("hello\n")
    tag = f"{unique('coursekit-buildkit-check')}:1"
    try:
        p = _docker("build", "--progress=plain", "-t", tag, str(tmp_path))
        assert p.returncode == 0, p.stderr[-2000:]
        assert "#1 [internal] load build definition" in p.stdout + p.stderr
    finally:
        _docker("rmi", "-f", tag)
