"""Each learner's share of the host: their own network, file system (a disk quota),
volumes, and the privileges and limits of their container."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import docker

from ..cgroups import whole_disk_sh
from ..errors import WorkshopError
from .boundary import remaps_users
from .settings import LEARNER_LABEL, STATE, Settings, disk_bytes, learner_names, mem_bytes, workshop_labels

# What the inner dockerd needs, and no more (``--privileged`` adds everything else).
CAPS = ["SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "MKNOD", "SYS_CHROOT", "SETFCAP",
        "DAC_OVERRIDE"]
SECURITY_OPT = ["seccomp=unconfined", "apparmor=unconfined"]


def free_subnet(wanted: str, used: list[str], prefix: int = 26) -> str | None:
    """The first /``prefix`` of ``wanted`` that overlaps none of ``used`` (CIDRs)."""
    import ipaddress
    taken = [ipaddress.ip_network(u, strict=False) for u in used if ":" not in u]
    for sub in ipaddress.ip_network(wanted).subnets(new_prefix=prefix):
        if not any(sub.overlaps(t) for t in taken):
            return str(sub)
    return None


def _host_routes() -> list[str]:
    """This host's IPv4 routes as CIDRs (from /proc/net/route), the default route left out."""
    import ipaddress
    import socket
    import struct
    out = []
    for line in Path("/proc/net/route").read_text().splitlines()[1:]:
        f = line.split()
        dest, mask = (socket.inet_ntoa(struct.pack("<L", int(x, 16))) for x in (f[1], f[7]))
        if mask != "0.0.0.0":
            out.append(str(ipaddress.ip_network(f"{dest}/{mask}", strict=False)))
    return out


def learner_network(client, s: "Settings", user: str) -> str:
    """The learner's own bridge network (a /26 of ``s.subnets``): their server is alone on
    it, so a port they publish is reachable by them and the host (hub, proxy), no one else."""
    name = learner_names(s.id, user)["network"]
    try:
        client.networks.get(name)
        return name
    except docker.errors.NotFound:
        pass
    # On an engine elsewhere (s.hub_ip) this machine's routes are not the engine's: one
    # of them sends s.subnets to it.
    used = ([] if s.hub_ip else _host_routes()) + [c["Subnet"] for n in client.api.networks()
                             for c in ((n.get("IPAM") or {}).get("Config") or []) if c.get("Subnet")]
    subnet = free_subnet(s.subnets, used)
    if subnet is None:
        raise WorkshopError(f"no free /26 left in {s.subnets} for {user}'s network",
                            "set WORKSHOP_SUBNETS to a larger or unused range, e.g. 10.213.0.0/16")
    client.networks.create(name, driver="bridge", labels={**workshop_labels(s.id), LEARNER_LABEL: user},
                           ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)]))
    return name


def disks_dir() -> Path:
    """Where the learners' file systems are (image files and mount points)."""
    return STATE / "disks"


def learner_disk(s: "Settings", user: str) -> Path | None:
    """The learner's own file system (``s.disk``, a sparse ext4 file, loop-mounted on the
    host) holding their engine's storage and home: filling it stops at the quota."""
    size = disk_bytes(s.disk)
    if not size:
        return None
    img, mnt = disks_dir() / f"{user}.ext4", disks_dir() / user
    if not os.path.ismount(mnt):
        disks_dir().mkdir(parents=True, exist_ok=True)
        if not img.exists():
            with open(img, "wb") as f:
                f.truncate(size)
            _run(["mkfs.ext4", "-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1",
                  str(img)], f"making {user}'s file system")
        mnt.mkdir(exist_ok=True)
        _run(["mount", "-o", "loop", str(img), str(mnt)], f"mounting {user}'s file system")
        subprocess.run(["sh", "-c", DIRECT_IO.format(mnt=mnt)], capture_output=True)
    for sub in ("engine", "home"):
        (mnt / sub).mkdir(exist_ok=True)
    return mnt


# A loop device writes through the page cache of its backing file by default: the disk
# then sees the writeback of that file, charged to no learner in particular, and its I/O
# weights cannot tell the learners apart. In direct I/O mode each learner's writes reach
# the disk as theirs (their cgroup's). Best effort: where the backing file system cannot
# do direct I/O the device stays buffered. (An absolute path first: the helper's busybox
# shell would run its own losetup applet, which lacks the option.)
DIRECT_IO = ("/sbin/losetup --direct-io=on \"$(findmnt -no SOURCE {mnt})\" 2>/dev/null || "
             "losetup --direct-io=on \"$(findmnt -no SOURCE {mnt})\" 2>/dev/null || true")


# When the engine is on another machine (``s.hub_ip``), the learners' file systems are
# made and mounted there, by a helper container in that machine's own mount namespace.
ENGINE_HOST_DISKS = "/var/lib/coursekit-workshop"


def remote_disk_root(ws_id: str) -> str:
    """The workshop's folder of disks on the engine's machine (a remote engine)."""
    return f"{ENGINE_HOST_DISKS}/{ws_id}"


def on_engine_host(client, ws_id: str, script: str, what: str) -> str:
    """Run ``script`` as root on the engine's machine (its mount, PID and user
    namespaces): a helper container the instructor's engine allows, labelled as the
    workshop's and removed at once."""
    from ..images import BUSYBOX, ensure_images
    ensure_images(client, quiet=True)
    fix = ("the engine's machine needs loop devices and mkfs.ext4 (e2fsprogs); "
           "or set WORKSHOP_DISK=0 (no disk quota)")
    box = client.containers.create(BUSYBOX, ["nsenter", "-t", "1", "-m", "--", "sh", "-c", script],
                                   privileged=True, userns_mode="host", pid_mode="host",
                                   network_mode="none", labels=workshop_labels(ws_id))
    try:                  # created, then started: removed also when it cannot start
        box.start()
        code = box.wait()["StatusCode"]
        out = box.logs(stdout=True, stderr=True)
    except docker.errors.APIError as err:
        raise WorkshopError(f"{what}: the engine would not run its helper: {err.explanation}", fix) from None
    finally:
        box.remove(force=True)
    if code:
        raise WorkshopError(f"{what} failed on the engine's machine: "
                            f"{out.decode(errors='replace').strip()[-300:]}", fix)
    return out.decode(errors="replace").strip()


def remote_learner_disk(client, s: "Settings", user: str) -> str:
    """``learner_disk`` on the engine's machine; returns the mount point there. Under
    userns-remap its two folders belong to the engine's remapped root."""
    size = disk_bytes(s.disk)
    mnt, img = f"{remote_disk_root(s.id)}/{user}", f"{remote_disk_root(s.id)}/{user}.ext4"
    script = (f"set -e; mkdir -p {mnt}; if ! mountpoint -q {mnt}; then "
              f"[ -f {img} ] || {{ truncate -s {size} {img}; mkfs.ext4 -q -F -m 0 "
              f"-E lazy_itable_init=1,lazy_journal_init=1 {img}; }}; mount -o loop {img} {mnt}; "
              f"{DIRECT_IO.format(mnt=mnt)}; fi; "
              f"mkdir -p {mnt}/engine {mnt}/home; "
              "u=$(awk -F: '$1==\"dockremap\" {print $2; exit}' /etc/subuid 2>/dev/null); "
              "g=$(awk -F: '$1==\"dockremap\" {print $2; exit}' /etc/subgid 2>/dev/null); "
              f"if [ \"{int(remaps_users(client.info()))}\" = 1 ] && [ -n \"$u\" ]; then chown \"$u:$g\" {mnt} {mnt}/engine {mnt}/home; fi")
    on_engine_host(client, s.id, script, f"making {user}'s file system")
    return mnt


def release_remote_disks(client, ws_id: str, user: str | None = None, engine_only: bool = False) -> None:
    """Unmount and delete the learners' file systems on the engine's machine (all of the
    workshop's, or ``user``'s); ``engine_only``: empty their engine storage, keep the rest."""
    root = remote_disk_root(ws_id)
    if engine_only:
        script = f"rm -rf {root}/{user}/engine/* {root}/{user}/engine/.[!.]* 2>/dev/null; true"
    else:
        who = f"{root}/{user}" if user else f"{root}/*"
        script = (f"for m in {who}; do [ -d \"$m\" ] || continue; mountpoint -q \"$m\" && umount \"$m\"; "
                  "rm -rf \"$m\" \"$m.ext4\"; done; " + ("" if user else f"rmdir {root} {ENGINE_HOST_DISKS} 2>/dev/null; ") + "true")
    on_engine_host(client, ws_id, script, "removing learners' file systems")


def release_disk(user: str, delete: bool) -> None:
    """Unmount the learner's file system (its loop device goes with it); ``delete`` also
    removes the file, i.e. all their work."""
    img, mnt = disks_dir() / f"{user}.ext4", disks_dir() / user
    if os.path.ismount(mnt):
        _run(["umount", str(mnt)], f"unmounting {user}'s file system")
    if delete:
        img.unlink(missing_ok=True)
        if mnt.is_dir():
            mnt.rmdir()


def clear_engine_disk(user: str) -> None:
    """Empty the learner's engine storage on their own file system (a reset that keeps
    their home); without a per-learner disk, removing the engine volume did that."""
    import shutil
    engine = disks_dir() / user / "engine"
    if os.path.ismount(disks_dir() / user) and engine.is_dir():
        shutil.rmtree(engine)
        engine.mkdir()


def _run(cmd: list[str], what: str) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise WorkshopError(f"{what} failed: {' '.join(cmd)}: {(r.stderr or r.stdout).strip()[-300:]}",
                            "the workshop needs root, loop devices and mkfs.ext4 for per-learner "
                            "disks; or set WORKSHOP_DISK=0 (no disk quota)")


def prepare_learner(client, s: "Settings", user: str) -> str:
    """Before a learner's server starts: their network, file system and two labelled
    volumes (engine storage, home) on it. Returns the network's name."""
    names = learner_names(s.id, user)
    net = learner_network(client, s, user)
    if s.hub_ip:        # the engine is on another machine: the disk is made there
        disk = remote_learner_disk(client, s, user) if disk_bytes(s.disk) else None
    else:
        disk = learner_disk(s, user)
    for key, sub in (("engine_volume", "engine"), ("home_volume", "home")):
        opts = {"type": "none", "o": "bind", "device": f"{disk}/{sub}"} if disk else None
        try:
            client.volumes.get(names[key])
        except docker.errors.NotFound:
            client.volumes.create(names[key], driver="local", driver_opts=opts,
                                  labels={**workshop_labels(s.id), LEARNER_LABEL: user})
    return net


def learner_host_config(s: Settings) -> dict:
    """The ``extra_host_config`` DockerSpawner gets: the inner engine's privileges and the
    learner's limits (memory = memory+swap, so a hog is stopped, not swapped)."""
    return {"cap_add": list(CAPS), "security_opt": list(SECURITY_OPT), "cgroupns": "private",
            "pids_limit": s.pids, "memswap_limit": mem_bytes(s.mem),
            "init": False}


@dataclass
class DiskShare:
    """Whether the disk under the learners' files divides its time by cgroup: each
    learner's container is a cgroup of its own with the same I/O weight (the default),
    and that weight counts only where the disk's queue has ``io.cost`` (cgroup v2) or
    the BFQ scheduler."""
    disk: str         # the whole disk's MAJOR:MINOR, e.g. 254:0
    name: str         # e.g. vda
    by: str           # "io.cost", "BFQ", or "" (nothing enforces weights there)

    def __str__(self) -> str:
        if self.by:
            return (f"enforced by {self.by} on {self.name} ({self.disk}): each learner has the "
                    "same I/O weight, so one learner's heavy disk use cannot crowd out the others")
        return (f"not enforced on {self.name} ({self.disk}): neither io.cost nor BFQ serves its "
                "queue, so one learner's heavy writes can slow everyone's (book/instructor.md, "
                "'Sharing the disk')")


def parse_disk_share(out: str) -> DiskShare:
    """``DiskShare`` from the probe's output: ``disk MAJ:MIN NAME``, ``sched ...`` (the
    queue's schedulers, the current one in brackets), then ``/sys/fs/cgroup/io.cost.qos``."""
    lines = out.splitlines()
    first = dict(line.split(" ", 1) for line in lines if line[:5] in ("disk ", "sched"))
    disk, _, name = first.get("disk", "").strip().partition(" ")
    if not disk or not name:       # not a block device (e.g. an overlay or network root)
        return DiskShare(disk or "?", "the disk holding the learners' files", "")
    if any(line.split()[:1] == [disk] and "enable=1" in line.split() for line in lines):
        return DiskShare(disk, name, "io.cost")
    return DiskShare(disk, name, "BFQ" if "[bfq]" in first.get("sched", "") else "")


def disk_share(client, s: "Settings") -> DiskShare:
    """Read, on the engine's machine, whether the disk under the learners' files (their
    per-learner disks, else the engine's data root) enforces I/O weights."""
    if disk_bytes(s.disk):
        where = remote_disk_root(s.id) if s.hub_ip else str(disks_dir())
    else:
        where = client.info().get("DockerRootDir", "/var/lib/docker")
    find_disk = whole_disk_sh('"$p"')
    script = (f"p={where}; while [ ! -e \"$p\" ]; do p=$(dirname \"$p\"); done; "
              f"{find_disk}; s=$(readlink -f $s); "
              "echo \"disk $(cat $s/dev) ${s##*/}\"; echo \"sched $(cat $s/queue/scheduler 2>/dev/null)\"; "
              "cat /sys/fs/cgroup/io.cost.qos 2>/dev/null; true")
    if not s.hub_ip:              # the engine is on this machine: read it here
        return parse_disk_share(subprocess.run(["sh", "-c", script], capture_output=True,
                                               text=True).stdout)
    return parse_disk_share(on_engine_host(client, s.id, script, "reading the disk's I/O scheduler"))
