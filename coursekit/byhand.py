"""Lesson 15's container by hand: the program the lesson writes (its text is the
lesson's ``%writefile container.py`` cell, kept equal by tests/unit/test_byhand.py) and
what the lesson and its exercises need around it: a lab container with the program and
a root file system in it, and reading a by-hand container's state from outside."""
from __future__ import annotations

import docker

from .images import BUSYBOX, PYTHON, tar_bytes
from .labelling import labels, name

PROGRAM = r'''"""A container by hand.  python3 container.py NAME MEMORY_BYTES MAX_PIDS COMMAND"""
import contextlib, ctypes, errno, os, socket, stat, sys, tarfile

libc = ctypes.CDLL(None, use_errno=True)
NEWNS, NEWUTS, NEWIPC, NEWPID, NEWNET = 0x20000, 0x4000000, 0x8000000, 0x20000000, 0x40000000
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x2000, 0x4000, 0x40000
MS_NOSUID_NODEV_NOEXEC = 0xE
SYS_PIVOT_ROOT, MNT_DETACH = 155, 2                 # x86-64; Python has no pivot_root()

def ok(ret, step):                                   # libc: -1 on failure, the reason in errno
    if ret != 0:
        sys.exit(f"FAILED {step}: {os.strerror(ctypes.get_errno())}")
    print("ok", step, flush=True)

def write(path, value):
    with open(path, "w") as f:
        f.write(str(value))

name, memory, pids, command = sys.argv[1:5]
root = f"/containers/{name}"
# 1. A root file system: an exported busybox container, unpacked.
with tarfile.open("/lab/rootfs.tar") as tar:
    tar.extractall(root)
for dev, minor in (("null", 3), ("zero", 5), ("urandom", 9)):   # the devices a shell needs
    if not os.path.exists(f"{root}/dev/{dev}"):
        os.mknod(f"{root}/dev/{dev}", stat.S_IFCHR | 0o666, os.makedev(1, minor))
        os.chmod(f"{root}/dev/{dev}", 0o666)
ok(0, f"unpack /lab/rootfs.tar into {root}, with /dev/null, zero, urandom")
# 2. A cgroup below the lab container's own (Docker mounts that read-only: remount it).
v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
tops = ["/sys/fs/cgroup"] if v2 else ["/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"]
ok(min(libc.mount(None, top.encode(), None, MS_REMOUNT | MS_BIND | MS_NOSUID_NODEV_NOEXEC, None)
       for top in tops), "remount the cgroup tree read-write")
if v2:     # "no internal processes": move ours into a leaf, then hand memory and pids down
    os.makedirs("/sys/fs/cgroup/init", exist_ok=True)
    for attempt in range(100):   # again if a process joined meanwhile (a `docker exec`)
        for pid in open("/sys/fs/cgroup/cgroup.procs").read().split():
            with contextlib.suppress(ProcessLookupError):   # a process that ended meanwhile
                write("/sys/fs/cgroup/init/cgroup.procs", pid)
        try:
            write("/sys/fs/cgroup/cgroup.subtree_control", "+memory +pids")
            break
        except OSError as e:         # EBUSY: a process still in the group, which we move too
            if e.errno != errno.EBUSY or attempt == 99:
                raise
groups = [f"{top}/{name}" for top in tops]
for group in groups:
    os.makedirs(group, exist_ok=True)
limits = ({"memory.max": memory, "memory.swap.max": 0, "pids.max": pids} if v2 else
          {"memory.limit_in_bytes": memory, "memory.memsw.limit_in_bytes": memory})
for file, value in limits.items():
    if os.path.exists(f"{groups[0]}/{file}"):        # no swap accounting: no memsw file
        write(f"{groups[0]}/{file}", value)
if not v2:
    write(f"{groups[1]}/pids.max", pids)
ok(0, f"make cgroup {name}: memory.max {memory} bytes, pids.max {pids}")
# 3. New namespaces. The mount, UTS, IPC and network ones apply at once; the PID one to
#    our next child, which will be PID 1 in it.
ok(libc.unshare(NEWNS | NEWUTS | NEWIPC | NEWPID | NEWNET), "unshare mnt uts ipc pid net")
go_r, go_w = os.pipe()
child = os.fork()
if child:                                            # the parent, outside: cgroup, then wait
    for group in groups:
        write(f"{group}/cgroup.procs", child)
    write(f"{root}.pid", f"{child}\n")                # for the notebook: where to look
    ok(0, f"place the child in cgroup {name}")
    os.write(go_w, b"go")
    status = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    print("the container's PID 1 ended:", f"killed by signal {-status}" if status < 0 else f"exit {status}")
    sys.exit(0)
os.close(go_w)
os.read(go_r, 2) or sys.exit("FAILED: not placed in the cgroup")   # wait for the parent
# 4. Its own root: a private mount tree, the new root bind-mounted and made "/".
ok(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make every mount private")
ok(libc.mount(root.encode(), root.encode(), None, MS_BIND | MS_REC, None), f"bind-mount {root}")
os.chdir(root)
if os.environ.get("PIVOT") == "1":                   # swap the roots, then drop the old one
    os.makedirs("old-root", exist_ok=True)
    ok(libc.syscall(SYS_PIVOT_ROOT, b".", b"old-root"), "pivot_root")
    ok(libc.umount2(b"/old-root", MNT_DETACH), "unmount the old root")
    os.rmdir("/old-root")
else:                                                # move the new root over "/", chroot there
    ok(libc.mount(b".", b"/", None, MS_MOVE, None), "move the new root over /")
    os.chroot(".")
    ok(0, "chroot")
os.chdir("/")
ok(libc.mount(b"proc", b"/proc", b"proc", 0, None), "mount /proc")
socket.sethostname(name)
ok(0, f"hostname {name}")
os.execv("/bin/sh", ["sh", "-c", command])           # 5. become the container's program
'''

# Run in the lab (`docker exec`): the first process of each PID namespace made in it,
# a process in another PID namespace whose parent is in the lab's.
_SCAN = r"""me=$(readlink /proc/1/ns/pid)
for d in /proc/[0-9]*; do
  ns=$(readlink $d/ns/pid 2>/dev/null) || continue
  [ "$ns" = "$me" ] && continue
  pp=$(awk '/^PPid/ {print $2}' $d/status 2>/dev/null) || continue
  [ "$(readlink /proc/$pp/ns/pid)" = "$me" ] && echo "pid ${d#/proc/}"
done"""


def privileges(client: docker.DockerClient) -> dict:
    """What the lab container needs, and no more (lesson 15 finds it by trying):
    CAP_SYS_ADMIN, and on an engine that confines containers with AppArmor, no
    AppArmor profile (Docker's forbids mount)."""
    apparmor = any("name=apparmor" in o for o in client.info().get("SecurityOptions") or [])
    return {"cap_add": ["SYS_ADMIN"],
            "security_opt": ["apparmor=unconfined"] if apparmor else None}


def rootfs_tar(client: docker.DockerClient) -> bytes:
    """``docker export`` of a new (never started) busybox container: a root file system."""
    box = client.containers.create(BUSYBOX, name=name("rootfs"), labels=labels())
    try:
        return b"".join(box.export())
    finally:
        box.remove(force=True)


def start_lab(client: docker.DockerClient, lab_name: str, rootfs: bytes | None = None, **privs):
    """A lab container (``coursekit/python:1``, ``sleep infinity``) holding
    /lab/container.py (this module's copy) and /lab/rootfs.tar; ``privs`` default to
    :func:`privileges`."""
    lab = client.containers.run(PYTHON, "sleep infinity", detach=True, name=lab_name,
                                labels=labels(), **(privs or privileges(client)))
    lab.put_archive("/", tar_bytes({"lab/container.py": PROGRAM.encode(),
                                    "lab/rootfs.tar": rootfs or rootfs_tar(client)}))
    return lab


def wait_started(lab, timeout: float = 60) -> list[int]:
    """Wait until a container made by hand in ``lab`` has started its command (its first
    process is no longer the Python program or ``unshare``); its PIDs as the lab sees them."""
    from .engine import wait_until

    def started():
        return [pid for pid in inner_pids(lab)
                if lab.exec_run(f"cat /proc/{pid}/comm").output.decode().strip()
                not in ("python3", "unshare", "")]
    wait_until(started, timeout)
    return started()


def inner_pids(lab) -> list[int]:
    """PIDs (as the lab sees them) of the first process of each container made by hand
    in ``lab``: a process in another PID namespace than the lab's, whose parent is in it."""
    out = lab.exec_run(["sh", "-c", _SCAN]).output.decode()
    return [int(w.split()[1]) for w in out.splitlines() if w.startswith("pid ")]
