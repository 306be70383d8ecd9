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
        assert line.fix == "`python -m coursekit cleanup --orphans` removes exactly those"
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
    finally:
        ck.cleanup(client=client, session=sid)
