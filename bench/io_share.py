"""How much of the disk a learner keeps while another learner writes as hard as they can.

Two learners' disks are made exactly as a workshop makes them on its engine's machine
(a sparse ext4 file each, loop-mounted in direct I/O mode: ``learners.remote_learner_disk``),
on the reference VM's second engine (userns-remap, cgroup v2). In ``light``'s container one
writer writes 48 MiB (``dd oflag=direct``); ``heavy``'s container runs four such writers
without pause. ``light``'s rate beside ``heavy`` is compared with its rate alone, with the
disk's ``io.cost`` off (nothing weighs the learners' I/O) and on (each learner's cgroup has
the same weight).

The VM's disk writes into this machine's page cache and is never a bottleneck, so the
bench first throttles it in qemu to 30 MiB/s (a slow cloud disk) and gives ``io.cost`` a
model of that disk; both are undone at the end, with everything the bench made.

Run: ``bash tests/hosts/v2vm.sh start && make bench-io`` (ROUNDS=3 by default).
"""
from __future__ import annotations

import os
import socket
import statistics
import sys
import time
from pathlib import Path

import docker

from coursekit.images import BUSYBOX, ensure_images
from coursekit.instructor import learners
from coursekit.instructor.settings import Settings, workshop_labels

MONITOR = Path("/run/coursekit-hosts/v2vm/monitor.sock")
WRITE_BPS = 30 * 2**20          # the throttled disk
MIB = 48                        # what the light learner writes each time
WRITERS = 4                     # the heavy learner's
WS = "wsiobench"


def monitor(cmd: str) -> str:
    """One command to the VM's qemu monitor (HMP)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(MONITOR))
        s.settimeout(5)
        s.sendall(cmd.encode() + b"\n")
        time.sleep(0.3)         # HMP has no end-of-answer marker; the answer is short
        return s.recv(65536).decode(errors="replace")


def main(rounds: int) -> None:
    host = os.environ.get("COURSEKIT_USERNS_HOST", "unix:///run/coursekit-hosts/v2vm/remap.sock")
    if not MONITOR.exists():
        sys.exit("the reference VM is not running: bash tests/hosts/v2vm.sh start")
    c = docker.DockerClient(base_url=host, timeout=600)
    ensure_images(c, quiet=True)
    s = Settings(id=WS, disk="2g", hub_ip="-")
    on_host = lambda script: learners.on_engine_host(c, WS, script, "io bench")  # noqa: E731
    boxes, volumes = {}, []
    share, before = None, ""
    try:
        for n in ("heavy", "light"):
            mnt = learners.remote_learner_disk(c, s, n)
            v = c.volumes.create(f"ck-{WS}-{n}", labels=workshop_labels(WS),
                                 driver_opts={"type": "none", "o": "bind", "device": f"{mnt}/home"})
            volumes.append(v)
            boxes[n] = c.containers.run(BUSYBOX, "sleep 3600", detach=True, name=f"ck-{WS}-{n}",
                                        labels=workshop_labels(WS), volumes={v.name: {"bind": "/d"}})
        share = learners.disk_share(c, s)
        before = on_host(f"grep '^{share.disk} ' /sys/fs/cgroup/io.cost.qos; "
                         f"grep '^{share.disk} ' /sys/fs/cgroup/io.cost.model; true").splitlines()
        dio = on_host("cat /sys/block/loop*/loop/dio | sort | uniq -c")
        print(f"learners' disks on {share.name} ({share.disk}); loop direct I/O: {dio.split()}")
        monitor(f"block_set_io_throttle virtio0 0 0 {WRITE_BPS} 0 0 0")
        on_host(f'echo "{share.disk} ctrl=user model=linear rbps={WRITE_BPS} rseqiops=400 '
                f'rrandiops=400 wbps={WRITE_BPS} wseqiops=400 wrandiops=400" > /sys/fs/cgroup/io.cost.model')

        def light() -> float:
            t = time.monotonic()
            code, out = boxes["light"].exec_run(["sh", "-c", f"dd if=/dev/zero of=/d/light bs=1M "
                                                 f"count={MIB} oflag=direct 2>&1 && rm /d/light"])
            assert code == 0, out
            return MIB / (time.monotonic() - t)

        def heavy(on: bool) -> None:
            if on:
                boxes["heavy"].exec_run(["sh", "-c", f"for i in $(seq {WRITERS}); do (while :; do dd "
                                         "if=/dev/zero of=/d/h$i bs=1M count=64 oflag=direct "
                                         "2>/dev/null; done) & done; wait"], detach=True)
                deadline = time.monotonic() + 60       # until all its writers have begun
                while boxes["heavy"].exec_run(["sh", "-c", f"[ $(ls /d | grep -c '^h') = {WRITERS} ]"])[0]:
                    assert time.monotonic() < deadline, "heavy's writers did not start"
                    time.sleep(0.2)
            else:
                boxes["heavy"].restart(timeout=0)      # ends its writers
                boxes["heavy"].exec_run(["sh", "-c", "rm -f /d/h*"])

        results: dict[str, list[float]] = {"off": [], "on": []}
        for r in range(rounds):
            for mode in ("off", "on"):
                on_host(f'echo "{share.disk} enable={int(mode == "on")}" > /sys/fs/cgroup/io.cost.qos')
                alone = light()
                heavy(True)
                beside = light()
                heavy(False)
                results[mode].append(beside / alone)
                print(f"round {r + 1}, io.cost {mode:3}: light alone {alone:5.1f} MiB/s, beside "
                      f"{WRITERS} heavy writers {beside:5.1f} MiB/s ({100 * beside / alone:.0f}%)", flush=True)
        for mode, label in (("off", "io.cost off (nothing weighs I/O)"), ("on", "io.cost on (equal weights)")):
            v = results[mode]
            print(f"{label}: light keeps a median {100 * statistics.median(v):.0f}% of its rate "
                  f"(range {100 * min(v):.0f}-{100 * max(v):.0f}%, {len(v)} rounds)")
        print(f"(a fair half would be 50%; {WRITERS + 1} writers sharing alike would leave light "
              f"{100 // (WRITERS + 1)}%)")
    finally:
        for b in boxes.values():
            b.remove(force=True)
        for v in volumes:
            v.remove(force=True)
        if share:                 # io.cost as it was
            on_host(f'echo "{share.disk} enable=0" > /sys/fs/cgroup/io.cost.qos; '
                    f'echo "{share.disk} ctrl=auto" > /sys/fs/cgroup/io.cost.model; ' +
                    "".join(f'echo "{line}" > /sys/fs/cgroup/io.cost.{f}; '
                            for f, line in zip(("qos", "model"), before) if "ctrl=user" in line
                            or "enable=1" in line))
        if MONITOR.exists():
            monitor("block_set_io_throttle virtio0 0 0 0 0 0 0")
        learners.release_remote_disks(c, WS)


if __name__ == "__main__":
    main(int(os.environ.get("ROUNDS", "3")))
