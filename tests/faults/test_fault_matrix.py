"""The fault matrix: what a learner's notebook shows when things go wrong under it.

A real IPython kernel (as JupyterLab runs one) drives a real engine that this test may
kill: ``engine26`` (Docker 26 in its own network namespace, tests/hosts/engine26.sh),
reached through ``DOCKER_HOST`` as a learner's remote or rootless engine would be.
For each fault the cell must show the course's short message (what happened, the fix)
within 5 s, never a raw traceback, and nothing of anyone else's may be lost.

`make test` runs this in its engine26 stage (``COURSEKIT_FAULT_ENGINE=engine26``).
Elsewhere it is skipped: it kills the engine it runs against, and a learner's or
another session's engine is never killed.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
from jupyter_client.manager import KernelManager

import coursekit as ck

ROOT = Path(__file__).resolve().parents[2]
HOST = os.environ.get("COURSEKIT_FAULT_ENGINE", "")
pytestmark = pytest.mark.skipif(
    HOST != "engine26",
    reason="kills its engine: runs only against engine26 (COURSEKIT_FAULT_ENGINE=engine26)")
SCRIPT = ROOT / "tests" / "hosts" / "engine26.sh"
PIDFILE = Path("/run/coursekit-hosts/engine26/dockerd.pid")
MATRIX: list[tuple[str, str, float]] = []   # (fault, message shown, seconds): printed at the end


@dataclass
class Outcome:
    text: str = ""                     # stdout/stderr and text/plain
    html: str = ""                     # text/html displays
    error: str | None = None           # ename of an error reply
    traceback_lines: int = 0           # lines of traceback the learner would see unfolded
    seconds: float = 0.0


class Kernel:
    """One IPython kernel with the learner's environment; run(code) -> Outcome."""

    def __init__(self, env: dict):
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=env, cwd=str(ROOT / "notebooks"))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def run(self, code: str, timeout: float = 120) -> Outcome:
        out = Outcome()

        def hook(msg):
            kind, c = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.text += c["text"]
            elif kind in ("display_data", "execute_result"):
                if "text/html" in c["data"]:
                    out.html += c["data"]["text/html"]
                else:
                    out.text += c["data"].get("text/plain", "") + "\n"
            elif kind == "error":
                out.error = c["ename"]
                out.traceback_lines = sum(t.count("\n") + 1 for t in c["traceback"])
        t0 = time.monotonic()
        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=hook)
        out.seconds = time.monotonic() - t0
        if reply["content"]["status"] == "error" and out.error is None:
            out.error = reply["content"]["ename"]
        return out

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def engine26(*args: str) -> None:
    subprocess.run(["bash", str(SCRIPT), *args], check=True, capture_output=True, text=True)


def kill_engine() -> None:
    """SIGKILL the engine's dockerd, as a crash or an OOM kill of the daemon would."""
    pid = int(PIDFILE.read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture(scope="module")
def session():
    return f"fault{os.getpid()}"


@pytest.fixture(scope="module")
def client():
    engine26("start")
    c = ck.connect()
    ck.ensure_images(c, tags=[ck.BUSYBOX], quiet=True)
    yield c
    c.close()
    if MATRIX:
        print("\n\nfault matrix (engine26, in a real kernel):")
        for fault, message, secs in MATRIX:
            print(f"  {fault:<28} {secs:4.1f} s  {message}")


@pytest.fixture
def kernel(client, session):
    env = dict(os.environ, COURSEKIT_SESSION=session, PYTHONPATH=str(ROOT))
    k = Kernel(env)
    imports = k.run("import coursekit as ck\nclient = ck.connect()\nIMAGE = ck.BUSYBOX")
    assert imports.error is None, imports.text
    yield k
    k.close()
    try:
        ck.cleanup(client=ck.connect(), session=session)
    except ck.DockerUnavailable:
        engine26("start")
        ck.cleanup(client=ck.connect(), session=session)


def shown(out: Outcome, fault: str, kind: str, *words: str) -> str:
    """Assert the course's short message for ``fault``; return its first line."""
    # The reply still carries the original exception's name (the cell failed, so Run All
    # stops there); what the learner reads is the course's message, named by its class.
    assert out.error, f"{fault}: the cell did not fail:\n{out.text[:2000]}"
    assert f"{kind}: " in out.text, f"{fault}: expected {kind}, got {out.error}:\n{out.text[:2000]}"
    assert out.traceback_lines == 0, f"{fault}: a raw traceback of {out.traceback_lines} lines"
    assert "Traceback (most recent call last)" not in out.text, out.text
    assert "<details><summary>full traceback</summary>" in out.html   # folded, one click away
    for w in words:
        assert w in out.text, f"{fault}: {w!r} not in the message:\n{out.text}"
    assert out.seconds < 5, f"{fault}: the message took {out.seconds:.1f} s"
    line = next(t for t in out.text.splitlines() if t.startswith(f"{kind}: "))
    MATRIX.append((fault, line[:150], out.seconds))
    return line


def test_engine_killed_mid_lesson_then_rerun(kernel, client, session):
    start = kernel.run('web = client.containers.run(IMAGE, "sleep 600", detach=True, '
                       'name=ck.name("web"), labels=ck.labels())\nprint(web.name)')
    assert start.error is None, start.text
    web_name = start.text.strip()
    other = client.containers.run(ck.BUSYBOX, "sleep 600", detach=True,   # someone else's
                                  name=f"ck-other{os.getpid()}-keep", labels={"not": "course"})
    try:
        kill_engine()
        out = kernel.run('client.containers.run(IMAGE, "true", remove=True, '
                         'name=ck.name("after"), labels=ck.labels())')
        shown(out, "engine killed (SDK call)", "EngineLost", "stopped answering",
              "DOCKER_HOST=unix:///run/coursekit-hosts/engine26/docker.sock", "start that engine")
        again = kernel.run("client = ck.connect()")
        line = shown(again, "engine killed (ck.connect)", "DockerUnavailable", "DOCKER_HOST")
        assert "systemctl" not in again.text, "the fix must not send a DOCKER_HOST user to the system Docker"
        assert "no engine answers" in line
        engine26("start")   # the learner starts their engine again
        # Rerunning the first cell in the same kernel: the stopped container keeps its name.
        rerun = kernel.run('client = ck.connect()\n'
                           'web = client.containers.run(IMAGE, "sleep 600", detach=True, '
                           'name=ck.name("web"), labels=ck.labels())')
        shown(rerun, "rerun after the restart", "NameInUse", web_name, "this notebook's",
              f"docker rm -f {web_name}")
        fixed = kernel.run(f'import subprocess\nsubprocess.run(["docker", "rm", "-f", "{web_name}"], check=True)\n'
                           'web = client.containers.run(IMAGE, "sleep 600", detach=True, '
                           'name=ck.name("web"), labels=ck.labels())\nweb.reload(); print(web.status)')
        assert fixed.error is None and "running" in fixed.text, fixed.text
        # Nothing of anyone else's lost: the other container is still there.
        assert client.containers.get(other.id).name == other.name
    finally:
        engine26("start")   # idempotent: a no-op when the test got that far
        docker.from_env().containers.get(other.id).remove(force=True)


def test_port_taken_by_someone_else(kernel, client, session):
    port = ck.free_port()
    holder = client.containers.run(ck.BUSYBOX, "sleep 600", detach=True,
                                   name=f"ck-holder{os.getpid()}", labels={"not": "course"},
                                   ports={"80/tcp": ("127.0.0.1", port)})
    try:
        out = kernel.run(f'client.containers.run(IMAGE, "sleep 600", detach=True, name=ck.name("srv"), '
                         f'labels=ck.labels(), ports={{"80/tcp": ("127.0.0.1", {port})}})')
        shown(out, "port taken", "PortBusy", f"host port {port}", "ck.free_port()",
              f"ck-{session}-srv was created but not started")
        left = client.containers.get(f"ck-{session}-srv")
        assert left.status == "created"   # what the message says, and its fix works:
        fix = kernel.run(f'import subprocess\nsubprocess.run(["docker", "rm", "ck-{session}-srv"], check=True)')
        assert fix.error is None, fix.text
        holder.reload()
        assert holder.status == "running"   # the other program's port still served
    finally:
        holder.remove(force=True)


def test_image_missing_or_typo(kernel):
    out = kernel.run('client.containers.run("coursekit/busybx:1", "true", remove=True, '
                     'name=ck.name("typo"), labels=ck.labels())')
    shown(out, "typo'd image name (offline)", "ImageUnavailable", "coursekit/busybx:1",
          "check the spelling", "doctor --fix")


def test_volume_in_use(kernel, client, session):
    out = kernel.run('vol = client.volumes.create(ck.name("data"), labels=ck.labels())\n'
                     'box = client.containers.run(IMAGE, "true", detach=True, name=ck.name("user"), '
                     'labels=ck.labels(), volumes={vol.name: {"bind": "/data"}})\n'
                     'vol.remove()')
    shown(out, "volume still in use", "ObjectInUse", f"volume ck-{session}-data", "remove that container first")
    ok = kernel.run("box.remove(force=True); vol.remove(); print('removed')")
    assert ok.error is None and "removed" in ok.text, ok.text


def test_disk_full(kernel, client, session):
    """A real ENOSPC in the engine: `docker cp` (put_archive) of 1 MiB into a volume on a
    64 KiB tmpfs. The engine's own disk is never filled: it is shared with others."""
    out = kernel.run('import io, tarfile\n'
                     'vol = client.volumes.create(ck.name("small"), labels=ck.labels(), driver_opts='
                     '{"type": "tmpfs", "device": "tmpfs", "o": "size=64k"})\n'
                     'box = client.containers.run(IMAGE, "sleep 60", detach=True, name=ck.name("filler"), '
                     'labels=ck.labels(), volumes={vol.name: {"bind": "/data"}})\n'
                     'buf = io.BytesIO()\n'
                     'with tarfile.open(fileobj=buf, mode="w") as tar:\n'
                     '    info = tarfile.TarInfo("big.bin"); info.size = 2**20\n'
                     '    tar.addfile(info, io.BytesIO(bytes(2**20)))\n'
                     'box.put_archive("/data", buf.getvalue())')
    shown(out, "volume full (docker cp)", "DiskFull", "could not write /data/big.bin", "file system there is full",
          "make room there")
    ok = kernel.run("box.remove(force=True); vol.remove(); print('removed')")
    assert ok.error is None and "removed" in ok.text, ok.text


def test_errors_the_course_does_not_know_keep_their_traceback(kernel):
    out = kernel.run('client.containers.run(IMAGE, "false", remove=True, name=ck.name("f"), '
                     'labels=ck.labels())')
    assert out.error == "ContainerError" and out.traceback_lines > 3, out.text


def test_lab_image_missing_offline_is_rebuilt_by_the_lessons_first_cell(kernel, client):
    """A learner who removed the lab image (lesson 07 teaches `docker rmi`) and has no
    internet: every lesson's first cell rebuilds it offline, with progress, in seconds."""
    first = json.loads((ROOT / "notebooks" / "05_docker_run.ipynb").read_text())
    code = next(c for c in first["cells"] if c["cell_type"] == "code")
    client.images.remove(ck.BUSYBOX, force=True)
    out = kernel.run("".join(code["source"]))
    assert out.error is None, out.text
    assert "Label(value='Building coursekit/busybox:1 offline')" in out.text, out.text   # progress shown
    assert client.images.get(ck.BUSYBOX)
    assert out.seconds < 30, f"the rebuild took {out.seconds:.1f} s"
    MATRIX.append(("lab image missing, offline", "lesson 05's first cell rebuilt it, with a "
                   "progress bar 'Building coursekit/busybox:1 offline'", out.seconds))


def _lesson_cells(name: str) -> dict[str, str]:
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    return {c.get("id"): "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"}


def test_registry_killed_and_wrong_password_in_lesson_08(kernel, client, session):
    """Lesson 08's own cells: a push to a registry that died says so (it used to end in
    NameError: name 'digest' is not defined); a wrong password shows the registry's
    refusal (the login cell used to hide it)."""
    cells = _lesson_cells("08_registries.ipynb")
    ready = kernel.run("import json, os, tempfile\nfrom pathlib import Path\n"
                       "reg = ck.start_registry()\nREF = f'{reg.address}/hello'")
    assert ready.error is None, ready.text
    try:
        client.containers.get(f"ck-{session}-registry").kill()
        out = kernel.run(cells["c07"])
        shown(out, "registry killed (push, lesson 08)", "RegistryError", "push of", "failed",
              "is the registry running?")
        assert "NameError" not in out.text
        auth = kernel.run(cells["c14"] + '\nos.environ["COURSE_REGISTRY_PASSWORD"] = "not-the-password"')
        assert auth.error is None, auth.text
        login = kernel.run(cells["c17"])
        assert "Login Succeeded" not in login.text, login.text
        refusal = [t for t in login.text.splitlines() if not t.startswith("$ ")   # the echoed command
                   and ("unauthorized" in t.lower() or "denied" in t.lower())]
        assert refusal, f"the wrong password's refusal is not shown:\n{login.text}"
        MATRIX.append(("wrong password (login, lesson 08)", refusal[0].strip()[:150], login.seconds))
    finally:
        kernel.run("reg.stop()\ntry:\n    sec.stop()\nexcept NameError:\n    pass")
