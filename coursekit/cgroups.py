"""Where a container's cgroup limits live, on cgroup v1 and v2.

The lessons read these files themselves (with ``cat`` in the container, or from
the host side); this module only knows the file names for each version and
reads the numbers in them, so the same cell works on both.
"""
from __future__ import annotations

import datetime

# Inside a container, Docker shows the container's own cgroup at these paths.
FILES = {
    "v1": {
        "memory.limit": "/sys/fs/cgroup/memory/memory.limit_in_bytes",
        "memory.usage": "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        "memory.swap": "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes",
        "cpu.quota": "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
        "cpu.period": "/sys/fs/cgroup/cpu/cpu.cfs_period_us",
        "cpu.weight": "/sys/fs/cgroup/cpu/cpu.shares",
        "pids.max": "/sys/fs/cgroup/pids/pids.max",
        "pids.current": "/sys/fs/cgroup/pids/pids.current",
        "io.weight": "/sys/fs/cgroup/blkio/blkio.weight",
        "io.write_bps": "/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device",
    },
    "v2": {
        "memory.limit": "/sys/fs/cgroup/memory.max",
        "memory.usage": "/sys/fs/cgroup/memory.current",
        "memory.swap": "/sys/fs/cgroup/memory.swap.max",
        "cpu.max": "/sys/fs/cgroup/cpu.max",
        "cpu.weight": "/sys/fs/cgroup/cpu.weight",
        "pids.max": "/sys/fs/cgroup/pids.max",
        "pids.current": "/sys/fs/cgroup/pids.current",
        "io.weight": "/sys/fs/cgroup/io.weight",
        "io.write_bps": "/sys/fs/cgroup/io.max",
    },
}


# A shell function ``u`` printing the CPU time the container has used so far, in
# microseconds (v1: cpuacct.usage in ns; v2: usage_usec in cpu.stat).
CPU_USED = {
    "v1": "u() { echo $(( $(cat /sys/fs/cgroup/cpuacct/cpuacct.usage) / 1000 )); }; ",
    "v2": "u() { while read k v; do [ $k = usage_usec ] && echo $v; done < /sys/fs/cgroup/cpu.stat; }; ",
}


def got_their_cpu(limits: list[dict], used_us: list[int], seconds: float,
                  share: float = 0.8, pinned_share: float = 0.3) -> bool:
    """Whether racers that ran ``seconds`` got the CPU their limits allow, so that a
    race between them measures the limits and not a busy machine.

    A racer with a quota (``nano_cpus``) must have used at least ``share`` of it: a
    busy machine that keeps one from its quota skews the ratio. Racers pinned to one
    CPU (``cpuset_cpus``) split what their group gets by their weights whatever else
    runs there, so together they need only ``pinned_share`` of that CPU: enough
    rounds to compare."""
    pinned = 0
    for lim, used in zip(limits, used_us):
        if lim.get("nano_cpus"):
            if used < share * lim["nano_cpus"] / 1e9 * seconds * 1e6:
                return False
        elif lim.get("cpuset_cpus"):
            pinned += used
    return not pinned or pinned >= pinned_share * seconds * 1e6


def version(client) -> str:
    """'v1' or 'v2': the cgroup version the engine runs containers under."""
    return "v2" if str(client.info().get("CgroupVersion", "1")) == "2" else "v1"


def files(ver: str) -> dict[str, str]:
    return FILES[ver]


def parse_limit(text: str) -> int | None:
    """A limit file's value in plain numbers; None for 'no limit'.

    v1 writes a huge number (2**63 rounded to the page size) for 'unlimited' memory
    and -1 for an unlimited CPU quota; v2 writes 'max'.
    """
    text = text.strip().split()[0] if text.strip() else ""
    if text in ("", "max", "-1"):
        return None
    value = int(text)
    return None if value >= 2**62 else value


def cpu_limit(ver: str, read) -> float | None:
    """CPUs allowed (e.g. 0.5), given ``read(path) -> str`` for the container's files."""
    f = FILES[ver]
    if ver == "v2":
        quota, period = read(f["cpu.max"]).split()
    else:
        quota, period = read(f["cpu.quota"]).strip(), read(f["cpu.period"]).strip()
    q = parse_limit(quota)
    return None if q is None else q / int(period)


def engine_time(stamp: str) -> int:
    """Seconds since the epoch from the engine's RFC 3339 time (its own clock)."""
    return int(datetime.datetime.fromisoformat(stamp).timestamp())


def _events_of(client, container) -> list[dict]:
    """The engine's events for ``container`` from its (last) start to the engine's
    clock now (the engine's time, not ours: a remote engine's clock may differ)."""
    st = container.attrs["State"]
    since = engine_time(st["StartedAt"])
    until = engine_time(client.info()["SystemTime"]) + 1
    stream = client.events(since=since, until=until, decode=True, filters={"container": container.id})
    try:
        return list(stream)
    finally:
        stream.close()


def _sigkilled(st: dict) -> bool:
    """The container ran and ended with exit code 137 (128 + 9: SIGKILL)."""
    return st.get("ExitCode") == 137 and not st.get("StartedAt", "").startswith("0001")   # 0001: never started


def oom_event(client, container) -> bool:
    """Did the engine log an "oom" event for the stopped ``container`` (exit code 137)?"""
    if not _sigkilled(container.attrs["State"]):
        return False
    return any(e.get("Action") == "oom" for e in _events_of(client, container))


def oom_killed(client, container) -> bool | None:
    """Was the stopped ``container`` killed by the kernel's OOM killer?  Like ``docker
    inspect -f '{{.State.OOMKilled}}'``, made reliable; None when the engine no longer
    remembers enough to tell.

    The engine learns of an OOM kill from containerd's notice. Docker 20.10 resets
    State.OOMKilled when it records the exit (its ``SetStopped`` takes an exit status
    without it), and under load the notice can be lost altogether: then the flag is
    false and no "oom" event is logged (seen on Docker 20.10 and 26, cgroup v1 and v2).
    What the engine always logs is every signal *it* sends (a "kill" event for
    ``docker kill``, ``stop``, ``rm -f``).  So exit code 137 (SIGKILL) with no "kill"
    event since the container started is a SIGKILL from the kernel: the OOM killer.
    The engine replays only its last 256 events: when the container's own "start" is no
    longer among them, the answer is None (run it again, and ask soon after)."""
    st = container.attrs["State"]
    if st.get("OOMKilled"):
        return True
    if not _sigkilled(st):
        return False
    actions = [e.get("Action", "") for e in _events_of(client, container)]
    if "oom" in actions:
        return True
    if "kill" in actions:
        return False          # the engine sent a signal: docker kill, stop or rm -f
    return True if "start" in actions else None


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return "no limit"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def host_view(client, command: str, image: str | None = None) -> str:
    """Run ``command`` in a throw-away helper that sees the engine host's cgroup
    tree, read-only, at ``/host/cgroup`` (works on Docker Desktop too: there the
    'host' is Docker's VM)."""
    from .images import BUSYBOX
    from .labelling import labels, name
    out = client.containers.run(image or BUSYBOX, ["sh", "-c", command], remove=True,
                                volumes={"/sys/fs/cgroup": {"bind": "/host/cgroup", "mode": "ro"}},
                                name=name("cgroup-helper"), labels=labels())
    return out.decode()


def _find_dirs(container) -> str:
    """The shell command that lists ``container``'s cgroup directories in a helper."""
    return f"find /host/cgroup -maxdepth 4 -type d -name '*{container.id}*'"


def locate_on_host(client, container) -> list[str]:
    """The host-side cgroup directories of ``container`` (one per v1 controller)."""
    out = host_view(client, _find_dirs(container))
    return sorted(line for line in out.splitlines() if line)


def read_on_host(client, containers, filename: str) -> dict:
    """``{container: (host-side cgroup directory, content of filename there)}`` for
    each container, read by one helper (on v1: the controller's directory that has
    the file).  One helper, not one per container: starting one is the slow part."""
    script = "; ".join(
        f"for d in $({_find_dirs(c)}); do "
        f"[ -e $d/{filename} ] && echo {c.id} $d $(cat $d/{filename}); done; true"
        for c in containers)
    found: dict[str, tuple[str, str]] = {}
    for line in host_view(client, script).splitlines():
        cid, directory, value = line.split(" ", 2)
        found.setdefault(cid, (directory, value))
    return {c: found[c.id] for c in containers if c.id in found}


def whole_disk_sh(path: str) -> str:
    """Shell that leaves in ``$s`` the sysfs directory of the whole disk holding ``path``
    (the parent of its partition): from stat's device number, split into major and minor."""
    return (f"d=$(stat -c %d {path}); maj=$(( (d >> 8) & 0xfff )); "
            "min=$(( (d & 0xff) | ((d >> 12) & 0xfff00) )); s=/sys/dev/block/$maj:$min; "
            "[ -e $s/partition ] && s=$s/..")


def docker_root_device(client) -> str | None:
    """The block device holding the engine's data root (for --device-write-bps),
    found from the engine host's sysfs; None where it cannot be determined."""
    from .images import BUSYBOX
    from .labelling import labels, name
    root = client.info().get("DockerRootDir", "/var/lib/docker")
    script = whole_disk_sh("/root-fs") + "; grep DEVNAME $s/uevent | cut -d= -f2"
    try:
        out = client.containers.run(BUSYBOX, ["sh", "-c", script], remove=True,
                                    volumes={root: {"bind": "/root-fs", "mode": "ro"}},
                                    name=name("blkdev"), labels=labels()).decode().strip()
    except Exception:
        return None
    return f"/dev/{out}" if out else None


class measurement_lock:
    """Take turns with other course sessions on this machine for CPU measurements.

    A CPU limit caps a container; it does not guarantee it the CPU. When a neighbour
    (another learner on a shared workshop host) measures at the same moment, both
    results are skewed, so measuring cells wait here for each other (a file lock)."""

    def __init__(self, name: str = "cpu"):
        import tempfile
        from pathlib import Path
        self.path = Path(tempfile.gettempdir()) / f"coursekit-{name}-measurement.lock"

    def __enter__(self):
        import fcntl
        import os
        try:   # shared by every user of this machine
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except PermissionError:   # made by another user: a read-only handle locks as well
            fd = os.open(self.path, os.O_RDONLY)
        else:
            try:
                os.fchmod(fd, 0o666)   # despite the umask, so the next user can open it
            except OSError:
                pass
        self._f = os.fdopen(fd)
        fcntl.flock(self._f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        import fcntl
        fcntl.flock(self._f, fcntl.LOCK_UN)
        self._f.close()
        return False
