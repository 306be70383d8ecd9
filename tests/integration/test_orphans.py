"""What a notebook kernel leaves when it dies or restarts is found, named and removed,
and nothing of a live kernel, a test or the learner's own is ever called an orphan."""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import coursekit as ck
from coursekit import checks
from coursekit.cleanup import orphans

KERNEL = """
import os, sys, tempfile, pathlib
import coursekit as ck
c = ck.connect().containers.run(ck.BUSYBOX, "sleep 600", detach=True, name=ck.name("web"), labels=ck.labels())
pathlib.Path(tempfile.gettempdir(), ck.name("ctx")).mkdir()
print(ck.session(), flush=True)
if sys.argv[1] == "stay":
    sys.stdin.read()      # a live kernel: until the test closes stdin
"""


def kernel(env, how):
    """A process acting as a notebook kernel (no $COURSEKIT_SESSION: a random session)."""
    p = subprocess.Popen([sys.executable, "-c", KERNEL, how], env=env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    return p, p.stdout.readline().strip()


def test_a_dead_kernels_objects_are_named_and_only_they_are_removed(client, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COURSEKIT_SESSION"}
    env["COURSEKIT_SESSIONS_DIR"] = str(tmp_path)
    os.environ["COURSEKIT_SESSIONS_DIR"] = str(tmp_path)
    dead_p, dead = kernel(env, "exit")
    live_p, live = kernel(env, "stay")
    try:
        dead_p.wait(30)
        assert dead and live and dead != live
        found = {o.session: o for o in orphans(client)}
        assert dead in found and found[dead].counts["containers"] == 1
        assert live not in found                  # its kernel still runs
        assert ck.session() not in found          # a test's session ($COURSEKIT_SESSION): never
        report = checks.environment(registry=False)
        line = next(r for r in report.results if r.name == "left behind")
        assert not line.ok and f"session {dead} (1 containers)" in line.detail
        assert line.fix.endswith("`python -m coursekit cleanup --orphans` removes exactly those now")
        t0 = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "coursekit", "cleanup", "--orphans"], env=env,
                             capture_output=True, text=True, check=True).stdout
        print(f"\n{out.strip()} ({time.monotonic() - t0:.1f} s)")
        assert f"session {dead}" in out and "1 containers" in out and "1 temporary folders" in out
        assert not client.containers.list(all=True, filters={"label": f"coursekit.session={dead}"})
        assert not list(Path(tempfile.gettempdir()).glob(f"ck-{dead}-*"))
        # the live kernel's container and folder are untouched
        assert client.containers.list(filters={"label": f"coursekit.session={live}"})
        assert list(Path(tempfile.gettempdir()).glob(f"ck-{live}-*"))
    finally:
        live_p.stdin.close()
        live_p.wait(30)
        del os.environ["COURSEKIT_SESSIONS_DIR"]
        for sid in (dead, live):
            ck.cleanup(client=client, session=sid)
            for d in Path(tempfile.gettempdir()).glob(f"ck-{sid}-*"):
                d.rmdir()


def test_disk_reads_never_round_up_into_enough():
    assert checks.gib(1.96) == "≈ 1.9 GiB" and checks.gib(1.5) == "≈ 1.5 GiB"
    assert checks.gib(73.6) == "≈ 74 GiB"


def test_exercise_answers_outlive_their_kernel_and_are_not_orphans(client, tmp_path, monkeypatch):
    """The exercises keep a learner's answers across a kernel restart (named by the
    learner's stored id): a dead kernel's exercise container is not listed."""
    import json
    monkeypatch.setenv("COURSEKIT_SESSIONS_DIR", str(tmp_path / "sessions"))
    monkeypatch.setenv("COURSEKIT_PROGRESS", str(tmp_path / "progress.json"))
    (tmp_path / "exercises.json").write_text(json.dumps({"learner": "lab12cd"}))
    env = {k: v for k, v in os.environ.items() if k != "COURSEKIT_SESSION"}
    code = ("import coursekit as ck; c = ck.connect(); "
            "c.containers.run(ck.BUSYBOX, 'sleep 600', detach=True, name='ck-lab12cd-ex-hello-run', labels=ck.labels()); "
            "c.containers.run(ck.BUSYBOX, 'sleep 600', detach=True, name=ck.name('web'), labels=ck.labels()); "
            "print(ck.session())")
    sid = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    try:
        found = {o.session: o for o in orphans(client)}
        assert found[sid].counts["containers"] == 1      # the lesson's, not the exercise's
        from coursekit.cleanup import cleanup_orphans
        [rep] = [r for r in cleanup_orphans(client) if r.containers]
        assert rep.containers == [ck.name("web").replace(ck.session(), sid)]
        assert client.containers.get("ck-lab12cd-ex-hello-run").status == "running"   # kept
    finally:
        ck.cleanup(client=client, session=sid)


REAPED_KERNEL = """
import pathlib, tempfile
import coursekit as ck
c = ck.connect()
c.containers.run(ck.BUSYBOX, "sleep 600", detach=True, name=ck.name("web"), labels=ck.labels())
c.containers.run(ck.BUSYBOX, "sleep 600", detach=True, name="ck-rp34ab-ex-hello-run", labels=ck.labels())
pathlib.Path(tempfile.gettempdir(), ck.name("ctx")).mkdir()
print(ck.session())
"""


def test_the_reaper_removes_a_dead_kernels_objects_and_only_those(client, tmp_path):
    """A real notebook kernel (random session) makes a container, an exercise answer and
    a folder; while it lives the reaper waits; once it is shut down the reaper removes
    the container and the folder, after its grace period, and keeps the answer and
    everything of other sessions (the decoy)."""
    import json
    import jupyter_client
    (tmp_path / "exercises.json").write_text(json.dumps({"learner": "rp34ab"}))
    env = {k: v for k, v in os.environ.items() if k != "COURSEKIT_SESSION"}
    env.update(COURSEKIT_SESSIONS_DIR=str(tmp_path / "sessions"), COURSEKIT_REAPER_GRACE="1",
               COURSEKIT_PROGRESS=str(tmp_path / "progress.json"))
    decoy = client.containers.run(ck.BUSYBOX, "sleep 600", detach=True, name=ck.name("decoy"),
                                  labels=ck.labels())
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3", env=env)
    sid = None
    try:
        out = []
        kc.execute_interactive(REAPED_KERNEL, timeout=60, output_hook=lambda m: out.append(
            m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        sid = "".join(out).strip().splitlines()[-1]
        mine = {"label": f"coursekit.session={sid}"}
        assert len(client.containers.list(filters=mine)) == 2
        log = tmp_path / "sessions" / f"{sid}.reaper.log"
        assert "watching kernel PID" in log.read_text()
        time.sleep(3)   # three grace periods: nothing goes while the kernel lives
        assert len(client.containers.list(filters=mine)) == 2
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 60 and "removed" not in log.read_text():
            time.sleep(0.2)
        took = time.monotonic() - t0
        print(f"\nreaper: {log.read_text().splitlines()[-1]} ({took:.1f} s after the kernel ended)")
        assert "removed 1 containers, 1 temporary folders" in log.read_text()
        assert [c.name for c in client.containers.list(all=True, filters=mine)] == ["ck-rp34ab-ex-hello-run"]
        assert not list(Path(tempfile.gettempdir()).glob(f"ck-{sid}-*"))
        assert client.containers.get(decoy.id).status == "running"
        assert not (tmp_path / "sessions" / f"{sid}.json").exists()
    finally:
        if km.is_alive():
            km.shutdown_kernel(now=True)
        if sid:
            ck.cleanup(client=client, session=sid)
        decoy.remove(force=True)
