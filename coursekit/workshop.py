"""A workshop on one host: JupyterHub + DockerSpawner, one isolated Docker engine per learner.

Each learner's notebook server runs in one container that also runs *its own* dockerd
(``DOCKER_HOST=unix:///run/ck-engine/docker.sock``), so one cgroup -- with the learner's
memory, CPU and pids limits -- bounds the notebook, the engine and every container the
learner starts.  The learner never sees the host's socket or another learner's engine.

Why one container instead of a privileged docker:dind sidecar: ``--privileged`` does not
work on every host (here: CAP_SYS_RESOURCE is outside the bounding set), while an inner
dockerd runs with seven explicit capabilities, seccomp/AppArmor unconfined and a private
cgroup namespace; and one container per learner means one limit per learner with no
socket to share.

The trust boundary depends on the host's engine (``boundary()``). With ``userns-remap``
on a cgroup v2 host, a learner container's root is an unprivileged uid on the host: its
inner engine cannot create device nodes, mount the host's disks or write ``/proc/sys``,
and the learner's own limits are files it cannot write (runc delegates only the child
cgroups). Without a user namespace, a learner who controls an engine with SYS_ADMIN is
one shell line from the host's root: ``start()`` refuses such a host unless the
instructor declares a trusted room (``WORKSHOP_TRUSTED_ROOM=1``).

Who gets in: the cards ``start()`` prints, one name and password per learner,
no other names; the hub caps how many servers run at once.

Everything is built offline from this machine: the host's Python (its standard library),
the course's wheels, the host's docker.io binaries and static busybox, the lab images.
Every container, volume and network carries ``coursekit.course`` and
``coursekit.workshop=<id>`` labels; ``stop()`` removes exactly those, and the learner image.
"""
from __future__ import annotations

import html
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import docker

from .connect import connect
from .errors import InvalidValue, WorkshopError
from .images import ensure_images, find_busybox, parse_ldd, save_images
from .engine import apt_install, wait_until
from .labelling import COURSE, COURSE_LABEL
from .notebook import lab_overrides
from .ports import check_port_free, free_port
from .progress import printer
from .wheels import ROOT, collect_wheels, learner_requirements, pins

WORKSHOP_LABEL = "coursekit.workshop"
LEARNER_LABEL = "coursekit.learner"
LEARNER_IMAGE = "coursekit/workshop-learner:1"
ENGINE_SOCKET = "/run/ck-engine/docker.sock"
STATE = ROOT / ".coursekit" / "workshop"
NODE_DIR = ROOT / ".coursekit" / "node"
CHP_VERSION = "5.3.0"
CONFIG = ROOT / "workshop" / "jupyterhub_config.py"

# What the inner dockerd needs, and no more (``--privileged`` adds everything else).
CAPS = ["SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "MKNOD", "SYS_CHROOT", "SETFCAP",
        "DAC_OVERRIDE"]
SECURITY_OPT = ["seccomp=unconfined", "apparmor=unconfined"]
ENGINE_BINARIES = ["dockerd", "containerd", "containerd-shim-runc-v2", "runc",
                   "docker-proxy", "docker-init"]




@dataclass
class Settings:
    """What an instructor chooses; ``make workshop`` takes them from WORKSHOP_* variables."""
    port: int = 8000
    mem: str = "1g"          # per learner: notebook + engine + the learner's containers
    cpus: float = 1.0
    pids: int = 1024
    idle_timeout: int = 3600  # seconds without activity before a server is culled
    learners: int = 30       # how many cards (accounts) to print when ``names`` is empty
    names: str = ""          # or the learners' user names, comma-separated
    max_servers: int = 0     # servers running at once; 0: one per card
    trusted_room: bool = False  # allow a host without a user namespace (see boundary())
    disk: str = "4g"         # per learner: their engine's storage + home, one file system; 0: none
    subnets: str = "172.30.0.0/16"   # carved into one /26 network per learner
    admin_password: str = ""
    id: str = field(default_factory=lambda: "ws" + secrets.token_hex(3))

    @classmethod
    def from_env(cls, env=os.environ) -> "Settings":
        s = cls()
        for f, cast in (("port", int), ("mem", str), ("cpus", float), ("pids", int),
                        ("idle_timeout", int), ("learners", int), ("names", str),
                        ("max_servers", int), ("trusted_room", _flag), ("disk", str),
                        ("subnets", str), ("admin_password", str)):
            v = env.get("WORKSHOP_" + f.upper())
            if v:
                try:
                    setattr(s, f, cast(v))
                except ValueError:
                    raise WorkshopError(f"WORKSHOP_{f.upper()}={v!r} is not a valid {cast.__name__}",
                                        f"set it like WORKSHOP_{f.upper()}={getattr(s, f)}") from None
        return s

    def card_names(self) -> list[str]:
        """The card names: ``names`` if given, else learner01, learner02, ..."""
        if self.names.strip():
            names = [n.strip().lower() for n in self.names.split(",") if n.strip()]
        else:
            names = [f"learner{i:02d}" for i in range(1, self.learners + 1)]
        bad = [n for n in names if not re.fullmatch(USERNAME_PATTERN, n) or n == ADMIN_USER]
        if bad or not names or len(set(names)) != len(names):
            raise WorkshopError(f"learner names {bad or names} are not usable",
                                "give distinct names of lower-case letters, digits, - and _, "
                                f"starting with a letter, none called {ADMIN_USER!r} "
                                "(WORKSHOP_NAMES=ada,bob,...) or a count (WORKSHOP_LEARNERS=20)")
        return names


def _flag(v: str) -> bool:
    if v.lower() in ("1", "true", "yes", "on"):
        return True
    if v.lower() in ("0", "false", "no", "off", ""):
        return False
    raise InvalidValue(f"{v!r} is not a yes/no value", "use 1/0, true/false, yes/no or on/off")


_flag.__name__ = "flag (1 or 0)"     # what a bad WORKSHOP_TRUSTED_ROOM's message asks for


# --- who gets in: one card (name + password) per learner ---------------------------------
ADMIN_USER = "instructor"
USERNAME_PATTERN = r"[a-z][a-z0-9_-]{0,30}"
_CARD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"   # no 0/o, 1/l/i: read off a paper card


def card_password(rng=secrets) -> str:
    """A password to read off a card: three groups of four, e.g. ``k7mp-x3qa-9fzt``."""
    return "-".join("".join(rng.choice(_CARD_ALPHABET) for _ in range(4)) for _ in range(3))


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$<salt hex>$<hash hex>``: what the hub's state keeps instead of the password."""
    import hashlib
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    import hmac
    try:
        kind, salt, _ = stored.split("$")
    except ValueError:
        return False
    return kind == "scrypt" and hmac.compare_digest(hash_password(password, bytes.fromhex(salt)), stored)


def cards_sheet(ws_id: str, url: str, cards: dict[str, str]) -> str:
    """A printable HTML sheet: one card per learner (address, name, password)."""
    cells = "".join(
        f'<div class="card"><div class="url">{html.escape(url)}</div>'
        f'<div>name <b>{html.escape(n)}</b></div><div>password <b>{html.escape(p)}</b></div>'
        f'<div class="note">yours alone: do not share it</div></div>' for n, p in cards.items())
    return (f"<!doctype html><meta charset='utf-8'><title>Workshop {ws_id}: learner cards</title>"
            "<style>body{font-family:sans-serif}.card{display:inline-block;width:30%;margin:4px;"
            "padding:10px;border:1px dashed #888;font-size:14px}.url{font-size:12px;color:#333}"
            ".note{font-size:11px;color:#666}</style>" + cells)


# --- the trust boundary -----------------------------------------------------------------
@dataclass
class Boundary:
    """What stands between a learner and the host, read from the engine."""
    isolated: bool
    reasons: list[str]

    def __str__(self) -> str:
        if self.isolated:
            return ("isolated: learner containers run in a user namespace (userns-remap) on "
                    "cgroup v2; their root is an unprivileged uid on this host")
        return "trusted room only: " + "; ".join(self.reasons)


def boundary(client) -> Boundary:
    """Isolated when the engine remaps users (``userns-remap``) and the host has cgroup v2
    (the learner's engine gets delegated child cgroups, not its own limits)."""
    info = client.info()
    opts = " ".join(info.get("SecurityOptions") or [])
    reasons = []
    if "name=userns" not in opts:
        reasons.append("the engine has no userns-remap, so a learner's root is this host's "
                       "root and SYS_ADMIN in their engine reaches the host's disks")
    if str(info.get("CgroupVersion", "1")) != "2":
        reasons.append("cgroup v1: the learner's engine needs write access to its own "
                       "cgroup files to set limits, so it can lift its own limits")
    if "name=rootless" in opts:
        reasons.append("a rootless engine cannot run the learners' inner engines")
    return Boundary(not reasons, reasons)


def _size(spec: str, what: str, minimum_mib: int, fix: str, why: str) -> int:
    """'512m' / '1g' / '1536M' / '2G' / bytes -> bytes (Docker's units, powers of 1024)."""
    s = str(spec).strip().lower().rstrip("b")
    mult = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}.get(s[-1:], 1)
    try:
        value = int(float(s[:-1] if s[-1:] in "kmgt" else s) * mult)
    except ValueError:
        raise WorkshopError(f"{what} {spec!r} is not a size", fix) from None
    if value < minimum_mib * 2**20:
        raise WorkshopError(f"{what} {spec!r} is below {minimum_mib} MiB", why)
    return value


def mem_bytes(spec: str) -> int:
    """A learner's memory limit in bytes (at least 256 MiB)."""
    return _size(spec, "memory limit", 256, "use e.g. 768m or 1g",
                 "a learner's server and engine need at least 256m; 1g is comfortable")


CHECKOUT_LABEL = "coursekit.workshop.checkout"


def checkout_id() -> str:
    """This checkout on this machine: what ``stop`` matches when the state file (and with
    it the workshop's id) is gone, so that another checkout's workshop is never touched."""
    import hashlib
    import socket
    return hashlib.sha1(f"{socket.gethostname()}:{ROOT.resolve()}".encode()).hexdigest()[:12]


def workshop_labels(ws_id: str, **extra: str) -> dict[str, str]:
    return {COURSE_LABEL: COURSE, WORKSHOP_LABEL: ws_id, CHECKOUT_LABEL: checkout_id(), **extra}


def learner_names(ws_id: str, user: str) -> dict[str, str]:
    """Per-learner object names (the hub's escaped user name goes in)."""
    return {"container": f"ck-{ws_id}-learner-{user}",
            "engine_volume": f"ck-{ws_id}-engine-{user}",
            "home_volume": f"ck-{ws_id}-home-{user}",
            "network": f"ck-{ws_id}-net-{user}"}


def disk_bytes(spec: str) -> int:
    """'4g' / '512m' -> bytes; '0' -> 0 (no per-learner file system)."""
    if str(spec).strip().lower().rstrip("b") in ("0", ""):
        return 0
    return _size(spec, "disk size", 512, "use e.g. WORKSHOP_DISK=4g",
                 "a learner's engine and home need at least 512m; 4g is comfortable")


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
    used = _host_routes() + [c["Subnet"] for n in client.api.networks()
                             for c in ((n.get("IPAM") or {}).get("Config") or []) if c.get("Subnet")]
    subnet = free_subnet(s.subnets, used)
    if subnet is None:
        raise WorkshopError(f"no free /26 left in {s.subnets} for {user}'s network",
                            "set WORKSHOP_SUBNETS to a larger or unused range, e.g. 10.213.0.0/16")
    client.networks.create(name, driver="bridge", labels={**workshop_labels(s.id), LEARNER_LABEL: user},
                           ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)]))
    return name


def _disks() -> Path:
    return STATE / "disks"


def learner_disk(s: "Settings", user: str) -> Path | None:
    """The learner's own file system (``s.disk``, a sparse ext4 file, loop-mounted on the
    host) holding their engine's storage and home: filling it stops at the quota."""
    size = disk_bytes(s.disk)
    if not size:
        return None
    img, mnt = _disks() / f"{user}.ext4", _disks() / user
    if not os.path.ismount(mnt):
        _disks().mkdir(parents=True, exist_ok=True)
        if not img.exists():
            with open(img, "wb") as f:
                f.truncate(size)
            _run(["mkfs.ext4", "-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1",
                  str(img)], f"making {user}'s file system")
        mnt.mkdir(exist_ok=True)
        _run(["mount", "-o", "loop", str(img), str(mnt)], f"mounting {user}'s file system")
    for sub in ("engine", "home"):
        (mnt / sub).mkdir(exist_ok=True)
    return mnt


def release_disk(user: str, delete: bool) -> None:
    """Unmount the learner's file system (its loop device goes with it); ``delete`` also
    removes the file, i.e. all their work."""
    img, mnt = _disks() / f"{user}.ext4", _disks() / user
    if os.path.ismount(mnt):
        _run(["umount", str(mnt)], f"unmounting {user}'s file system")
    if delete:
        img.unlink(missing_ok=True)
        if mnt.is_dir():
            mnt.rmdir()


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
    disk = learner_disk(s, user)
    for key, sub in (("engine_volume", "engine"), ("home_volume", "home")):
        opts = {"type": "none", "o": "bind", "device": str(disk / sub)} if disk else None
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


# --- the learner image ---------------------------------------------------------------
ENTRYPOINT = r"""#!/bin/sh
# Starts this learner's own Docker engine (or, with CK_ENGINE=sidecar, waits for the one
# a sidecar serves on the same socket: the Kubernetes set-up), then the notebook server
# as jovyan.
if [ "${CK_ENGINE:-own}" != sidecar ]; then
  mount -o remount,rw /sys 2>/dev/null
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    # cgroup v2: move to a leaf so the engine may enable controllers for its children
    mkdir -p /sys/fs/cgroup/init
    for p in $(cat /sys/fs/cgroup/cgroup.procs); do echo "$p" > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null; done
    sed -e 's/ / +/g' -e 's/^/+/' /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
  else
    for d in /sys/fs/cgroup/*; do mount -o remount,bind,rw "$d" 2>/dev/null; done
  fi
  mkdir -p /run/ck-engine /var/lib/docker /var/log
  # Docker 26 fails every container start where it cannot switch IPv6 off on eth0 (this
  # container's /proc/sys is read-only); the variable lets it go on, IPv4 as before
  DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1 dockerd --host unix:///run/ck-engine/docker.sock --group docker --iptables=false \
    --userland-proxy-path /usr/bin/docker-proxy > /var/log/dockerd.log 2>&1 &
fi
i=0
until docker version > /dev/null 2>&1; do
  i=$((i+1))
  if [ $i -gt 600 ]; then echo "the learner's engine did not start:"; tail -20 /var/log/dockerd.log 2>/dev/null; exit 1; fi
  sleep 0.1
done
# the lab images (a second start finds them in the engine volume already)
docker image inspect coursekit/busybox:1 coursekit/registry:2 > /dev/null 2>&1 || docker load -q -i /opt/ck/lab-images.tar > /dev/null
cd /home/jovyan
if [ "$(id -u)" != 0 ]; then exec "$@"; fi
chown jovyan:jovyan /home/jovyan
exec python3 -c 'import os, sys
os.setgroups([998]); os.setgid(1000); os.setuid(1000)
os.environ.update(HOME="/home/jovyan", USER="jovyan", LOGNAME="jovyan", SHELL="/bin/sh")
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
"""

# Two steps, neither leaving an untagged image behind: a FROM scratch build of the staged
# root file system, then pip in a container of it with the wheels mounted read-only,
# committed as the learner image (the wheels never enter a layer).
DOCKERFILE = """\
FROM scratch
COPY rootfs/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
LABEL coursekit.lab-image=workshop-learner-base
"""
INSTALL = ("python3 -m ensurepip > /dev/null && "
           "python3 -m pip install -q --no-index --find-links /wheels --disable-pip-version-check "
           "--root-user-action=ignore {requirements} && "
           "python3 -m pip install -q --no-index --no-deps --find-links /wheels "
           "--root-user-action=ignore coursekit && rm -rf /root/.cache && chmod 1777 /tmp && "
           "chown -R 1000:1000 /home/jovyan && "
           "python3 -c 'import coursekit, docker, jupyterlab, ipywidgets'")
IMAGE_ENV = {"PATH": "/opt/python/bin:/usr/local/bin:/usr/bin:/usr/sbin:/bin",
             "LD_LIBRARY_PATH": "/opt/python/lib", "LANG": "C.UTF-8",
             "DOCKER_HOST": "unix://" + ENGINE_SOCKET, "COURSEKIT_OFFLINE": "1"}
IMAGE_CHANGES = [*(f"ENV {k}={v}" for k, v in IMAGE_ENV.items()), "WORKDIR /home/jovyan",
                 "LABEL coursekit.lab-image=workshop-learner coursekit.source=offline-build",
                 'ENTRYPOINT ["/usr/local/bin/ck-learner-start"]',
                 'CMD ["jupyterhub-singleuser"]']

PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "jovyan:x:1000:1000:learner:/home/jovyan:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
GROUP = "root:x:0:\ndocker:x:998:jovyan\njovyan:x:1000:\nnogroup:x:65534:\n"
_SKIP_STDLIB = {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "lib2to3",
                "__pycache__"}


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists():
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


def _stage_rootfs(ctx: Path, client) -> None:
    """Fill ``ctx/rootfs`` with what the learner image holds."""
    rootfs = ctx / "rootfs"
    base = Path(sys.base_prefix)
    ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
    py = rootfs / "opt/python"
    elves = []
    exe = Path(os.path.realpath(base / "bin" / ver))
    _copy(exe, py / "bin" / ver)
    for alias in ("python3", "python"):
        (py / "bin" / alias).unlink(missing_ok=True)
        (py / "bin" / alias).symlink_to(ver)
    elves.append(exe)
    libdir = Path(sysconfig.get_config_var("LIBDIR") or base / "lib")
    for lib in libdir.glob("libpython3*.so*"):
        _copy(Path(os.path.realpath(lib)), py / "lib" / lib.name)
    stdlib = base / "lib" / ver
    for path in stdlib.rglob("*"):
        rel = path.relative_to(stdlib)
        if rel.parts and (rel.parts[0] in _SKIP_STDLIB or "__pycache__" in rel.parts
                          or rel.parts[0].startswith("config-")):
            continue
        if path.is_file():
            _copy(path, py / "lib" / ver / rel)
            if path.suffix == ".so":
                elves.append(path)
    for name, found in engine_binaries().items():
        _copy(Path(os.path.realpath(found)), rootfs / "usr/bin" / name)
        elves.append(Path(found))
    cli = shutil.which("docker")
    _copy(Path(os.path.realpath(cli)), rootfs / "usr/local/bin/docker")
    elves.append(Path(cli))
    bb = find_busybox()
    if bb is None:
        raise WorkshopError("no static busybox on this machine", "run `make setup` first")
    _copy(bb, rootfs / "bin/busybox")
    # the wheels' compiled modules need system libraries too (librt, libstdc++, ...):
    # this interpreter's site-packages holds the same wheels, so ask ldd about those
    site = Path(sysconfig.get_paths()["purelib"])
    elves += [p for p in site.rglob("*.so*") if p.is_file() and ".libs" not in str(p)]
    libs = set()
    for elf in elves:
        out = subprocess.run(["ldd", str(elf)], capture_output=True, text=True).stdout
        libs.update(parse_ldd(out))
    for lib in libs:
        if lib.startswith((str(base), sys.prefix)):
            continue  # libpython (under /opt/python/lib) or a wheel's own bundled library
        _copy(Path(os.path.realpath(lib)), rootfs / lib.lstrip("/"))
    for rel, text, mode in (("etc/passwd", PASSWD, 0o644), ("etc/group", GROUP, 0o644),
                            ("usr/local/bin/ck-learner-start", ENTRYPOINT, 0o755)):
        f = rootfs / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
        f.chmod(mode)
    settings = py / "share/jupyter/lab/settings/overrides.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps(lab_overrides(), indent=2))
    for d in ("tmp", "root", "run", "var/lib/docker", "home/jovyan/.coursekit"):
        (rootfs / d).mkdir(parents=True, exist_ok=True)
    (rootfs / "tmp").chmod(0o1777)            # the learner's docker build writes there
    for part in ("notebooks", "exercises"):
        for f in (ROOT / part).rglob("*"):
            rel = f.relative_to(ROOT)
            if f.is_file() and ".ipynb_checkpoints" not in rel.parts and "solutions" not in rel.parts:
                _copy(f, rootfs / "home/jovyan" / rel)
    save_images(client, rootfs / "opt/ck/lab-images.tar")


# Debian 13's engine for the learners when this machine's is older (Debian 12: 20.10):
# its runc stays this machine's (trixie's needs glibc 2.38).
TRIXIE_ENGINE = ["docker.io", "containerd", "tini"]
TRIXIE_PATHS = {"dockerd": "usr/sbin/dockerd", "docker-proxy": "usr/sbin/docker-proxy",
                "containerd": "usr/bin/containerd", "containerd-shim-runc-v2": "usr/bin/containerd-shim-runc-v2",
                "docker-init": "usr/bin/docker-init"}


def _dockerd_major(path: str) -> int | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"version (\d+)\.", out)
    return int(m.group(1)) if m else None


def engine_binaries(say=print) -> dict[str, str]:
    """The binaries of each learner's own engine: this machine's when its dockerd is
    Docker 25 or newer (what learners elsewhere run); on an older one (Debian 12's
    20.10) Debian 13's Docker 26, fetched once through the private apt configuration
    (:mod:`coursekit.debian`), with this machine's runc.  ``WORKSHOP_ENGINE=host`` keeps
    this machine's; with no way to fetch (offline) it is kept too, and said."""
    host = {}
    for name in ENGINE_BINARIES:
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
        if not found:
            raise WorkshopError(f"{name} is not installed on this machine",
                                "run `make setup` (installs Debian's docker.io) first")
        host[name] = found
    major = _dockerd_major(host["dockerd"])
    if os.environ.get("WORKSHOP_ENGINE", "auto") == "host" or major is None or major >= 25:
        return host
    from . import debian
    root = debian.CACHE / "workshop-engine" / "root"
    if not all((root / rel).exists() for rel in TRIXIE_PATHS.values()):
        if not (shutil.which("apt-get") and debian.KEYRING.exists()):
            say(f"  learners' engine: this machine's Docker {major} (no apt to fetch a newer one)")
            return host
        say("  learners' engine: fetching Debian 13's Docker 26 (this machine's dockerd is "
            f"{major}; once, into {root.parent}) ...")
        try:
            debs = debian.fetch_debs(TRIXIE_ENGINE, root.parent / "debs")
            shutil.rmtree(root, ignore_errors=True)
            debian.extract(debs, root)
        except (debian.AptError, OSError) as err:
            say(f"  learners' engine: this machine's Docker {major} (fetching Docker 26 failed: "
                f"{str(err).splitlines()[0][:200]})")
            return host
    return {**host, **{name: str(root / rel) for name, rel in TRIXIE_PATHS.items()}}


def build_learner_base(client, tag: str) -> str:
    """The learner image without the Python packages: its root file system (entrypoint,
    the inner engine's binaries, Python, busybox, lab images) as ``tag``, FROM scratch.
    Run it with ``IMAGE_ENV`` and the entrypoint; ``build_learner_image`` adds the wheels."""
    ctx = STATE / "build"
    shutil.rmtree(ctx, ignore_errors=True)
    ctx.mkdir(parents=True)
    _stage_rootfs(ctx, client)
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    tail: list[str] = []
    for ev in client.api.build(path=str(ctx), tag=tag, rm=True, forcerm=True, decode=True,
                               labels={COURSE_LABEL: COURSE}):
        if "error" in ev:
            raise WorkshopError(f"building {tag} failed: {ev['error'].strip()[-300:]}\n"
                                + "".join(tail[-15:]),
                                f"the build context is in {ctx}; fix and run `make workshop` again")
        tail.append(ev.get("stream", ""))
    shutil.rmtree(ctx, ignore_errors=True)
    return tag


def build_learner_image(client=None, quiet: bool = False) -> "docker.models.images.Image":
    """Build ``coursekit/workshop-learner:1`` offline (about a minute); reuse it if present."""
    client = client or connect()
    try:
        return client.images.get(LEARNER_IMAGE)
    except docker.errors.ImageNotFound:
        pass
    say = printer(quiet)
    ensure_images(client, quiet=quiet)
    wheels = collect_wheels(ROOT / ".coursekit" / "wheels", quiet=quiet)
    say(f"Building {LEARNER_IMAGE} offline (host Python, course wheels, docker.io binaries) ...")
    t0 = time.monotonic()
    base = build_learner_base(client, LEARNER_IMAGE + "-base")
    say("  root file system staged and imported; installing the course's wheels ...")
    box = client.containers.create(
        base, ["sh", "-c", INSTALL.format(requirements=" ".join(
            f"'{r}'" for r in learner_requirements(pins())))],
        environment={k: v for k, v in IMAGE_ENV.items() if k in ("PATH", "LD_LIBRARY_PATH")},
        volumes={str(wheels): {"bind": "/wheels", "mode": "ro"}}, network_mode="none",
        name=f"ck-build-learner-{secrets.token_hex(3)}",
        labels={COURSE_LABEL: COURSE, "coursekit.build": "workshop-learner"})
    try:
        box.start()
        code = box.wait()["StatusCode"]
        if code != 0:
            raise WorkshopError(f"installing the wheels into {LEARNER_IMAGE} failed (exit {code}):\n"
                                + box.logs().decode(errors="replace")[-2000:],
                                "check that `pip install` of the pins works in .venv, then retry")
        box.commit(repository=LEARNER_IMAGE.split(":")[0], tag=LEARNER_IMAGE.split(":")[1],
                   changes=IMAGE_CHANGES)
    finally:
        box.remove(force=True)
        client.images.remove(base, noprune=True)
    img = client.images.get(LEARNER_IMAGE)
    say(f"{LEARNER_IMAGE}: {img.attrs['Size'] / 2**20:.0f} MiB, built in "
        f"{time.monotonic() - t0:.0f} s")
    return img


# --- the hub ---------------------------------------------------------------------------
def _state_file() -> Path:
    return STATE / "state.json"


def read_state() -> dict | None:
    try:
        return json.loads(_state_file().read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie (exited, not yet reaped) is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _http_status(url: str, timeout: float = 2) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def chp_command(quiet: bool = False) -> str:
    """The configurable-http-proxy JupyterHub routes through (npm, installed once into
    ``.coursekit/node``; needs node, which Debian's ``nodejs`` package provides)."""
    local = NODE_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
    if local.exists():
        return str(local)
    if shutil.which("configurable-http-proxy"):
        return shutil.which("configurable-http-proxy")
    if not (shutil.which("node") and shutil.which("npm")):
        apt_install(["nodejs", "npm"], quiet=quiet)
    if not shutil.which("npm"):
        raise WorkshopError("JupyterHub's proxy needs Node.js and npm, which are missing",
                            "install them (Debian: apt install nodejs npm) and run `make workshop` again")
    if not quiet:
        print(f"Installing configurable-http-proxy {CHP_VERSION} into {NODE_DIR} (npm) ...", flush=True)
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["npm", "install", "--prefix", str(NODE_DIR), "--no-audit", "--no-fund",
                        "--loglevel=error", f"configurable-http-proxy@{CHP_VERSION}"],
                       capture_output=True, text=True)
    if r.returncode != 0 or not local.exists():
        raise WorkshopError(f"npm could not install configurable-http-proxy:\n{r.stderr[-1500:]}",
                            "this needs the npm registry once; after that the workshop runs offline")
    return str(local)


def _hub_url(state: dict) -> str:
    return f"http://127.0.0.1:{state['settings']['port']}"


def status(client=None) -> dict:
    """Is a workshop running, where, and which learners' servers are up (with memory)."""
    state = read_state()
    if not state:
        return {"running": False}
    up = _alive(state.get("pid")) and _http_status(_hub_url(state) + "/hub/health") == 200
    out = {"running": up, "url": state["public_url"], "id": state["settings"]["id"],
           "cards": str(STATE / "cards.html"), "boundary": state.get("boundary", ""),
           "learners": {}}
    client = client or connect()
    for c in client.containers.list(ignore_removed=True, filters={"label": f"{WORKSHOP_LABEL}={state['settings']['id']}"}):
        user = c.labels.get(LEARNER_LABEL)
        if user:
            mem = c.stats(stream=False).get("memory_stats", {})
            out["learners"][user] = {"container": c.name, "memory_mib": round(mem.get("usage", 0) / 2**20)}
    return out


def start(settings: Settings | None = None, client=None, quiet: bool = False) -> dict:
    """Build what is missing, then start JupyterHub on ``settings.port`` (idempotent:
    a running workshop is reported, not restarted).  Returns the state (URL, passwords)."""
    say = printer(quiet)
    client = client or connect()
    state = read_state()
    if state and status(client)["running"]:
        say(f"The workshop is already running: {state['public_url']}")
        return state
    if state:
        say("A previous workshop did not stop cleanly; removing what it left ...")
        stop(client, quiet=True)
    s = settings or Settings.from_env()
    mem_bytes(s.mem)
    if disk_bytes(s.disk) and (os.geteuid() != 0 or not shutil.which("mkfs.ext4")):
        raise WorkshopError("per-learner disks need root and mkfs.ext4 (e2fsprogs)",
                            "run `make workshop` as root, or set WORKSHOP_DISK=0 (no disk quota)")
    free_subnet(s.subnets, [])            # a bad WORKSHOP_SUBNETS fails here, not at a login
    names = s.card_names()
    if s.max_servers < 0:
        raise WorkshopError(f"WORKSHOP_MAX_SERVERS={s.max_servers} is negative",
                            "give how many servers may run at once, or 0 for one per card")
    edge = boundary(client)
    if not edge.isolated and not s.trusted_room:
        raise WorkshopError(
            "this host cannot keep strangers apart: " + "; ".join(edge.reasons),
            "for a room of strangers, run the workshop on a cgroup v2 host whose engine has "
            '"userns-remap": "default" in /etc/docker/daemon.json (book/instructor.md, '
            "'Trust'); for a room you would lend this machine's root to, set "
            "WORKSHOP_TRUSTED_ROOM=1")
    check_port_free(s.port, host="0.0.0.0")
    chp = chp_command(quiet=quiet)
    build_learner_image(client, quiet=quiet)
    STATE.mkdir(parents=True, exist_ok=True)
    STATE.chmod(0o700)
    s.admin_password = s.admin_password or secrets.token_hex(16)
    if len(s.admin_password) < 32:
        raise WorkshopError("the instructor's password needs 32 or more characters",
                            "set WORKSHOP_ADMIN_PASSWORD accordingly, or leave it unset to get "
                            "a generated one")
    cards = {n: card_password() for n in names}
    net = client.networks.create(f"ck-{s.id}-net", driver="bridge", labels=workshop_labels(s.id))
    gateway = client.networks.get(net.id).attrs["IPAM"]["Config"][0]["Gateway"]
    public_url = f"http://{_public_host()}:{s.port}"
    state = {"settings": asdict(s), "network": net.name, "gateway": gateway,
             "hub_port": free_port(), "proxy_api_port": free_port(), "chp": chp,
             "api_token": secrets.token_hex(32), "public_url": public_url,
             "boundary": str(edge), "isolated": edge.isolated,
             "accounts": {**{n: hash_password(p) for n, p in cards.items()},
                          ADMIN_USER: hash_password(s.admin_password)}}
    state["settings"]["admin_password"] = ""          # kept as a hash in "accounts" only
    _state_file().write_text(json.dumps(state, indent=1))
    _state_file().chmod(0o600)
    sheet = STATE / "cards.html"
    sheet.touch(mode=0o600)
    sheet.write_text(cards_sheet(s.id, public_url, cards))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    with open(STATE / "hub.log", "ab") as log:          # the child keeps its own copy
        hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)], cwd=STATE,
                               stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    state["pid"] = hub.pid
    _state_file().write_text(json.dumps(state, indent=1))
    say(f"Starting JupyterHub (log: {STATE / 'hub.log'}) ...")
    ok = wait_until(lambda: hub.poll() is not None
                    or _http_status(_hub_url(state) + "/hub/health") == 200, 60, 0.2)
    if not ok or hub.poll() is not None:
        tail = (STATE / "hub.log").read_text(errors="replace")[-2000:]
        stop(client, quiet=True, keep_image=True)
        raise WorkshopError(f"JupyterHub did not start:\n{tail}",
                            "read the log above; `python -m coursekit workshop stop` cleans up")
    say(f"Workshop {s.id} is up: {state['public_url']}  (on this machine: {_hub_url(state)})\n"
        f"  learners: {len(cards)} cards to print and hand out, one each: {sheet}\n"
        f"  instructor: user {ADMIN_USER!r}, password {s.admin_password}\n"
        f"  at most {s.max_servers or len(cards)} servers at once\n"
        f"  boundary: {edge}\n"
        f"  per learner: {s.mem} memory, {s.cpus:g} CPU, {s.pids} processes, culled after "
        f"{s.idle_timeout} s idle\n"
        "  stop it and remove everything it created: make workshop-stop")
    return {**state, "cards": cards}


def _public_host() -> str:
    """This machine's address on the room's network (what learners type), else localhost."""
    import socket
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sk:
            sk.connect(("10.255.255.255", 1))
            return sk.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def api(state: dict, method: str, path: str, body: dict | None = None) -> dict | None:
    """Call the hub's REST API as the course's admin service."""
    req = urllib.request.Request(_hub_url(state) + "/hub/api" + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"token {state['api_token']}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read().decode()
    return json.loads(text) if text else None


def reset_learner(user: str, client=None, quiet: bool = False) -> list[str]:
    """Stop ``user``'s server and delete their engine and home volumes: every container,
    image and volume they made in their engine, and their progress, go; others are untouched."""
    state = read_state()
    if not state:
        raise WorkshopError("no workshop is running here", "start one with `make workshop`")
    client = client or connect()
    ws = state["settings"]["id"]
    try:
        api(state, "DELETE", f"/users/{user}/server")
    except urllib.error.HTTPError as e:
        if e.code == 404:
            raise WorkshopError(f"the hub has no learner called {user!r}",
                                "list them with `python -m coursekit workshop status`") from None
        if e.code != 400:  # 400: the server was not running
            raise
    flt = {"label": [f"{WORKSHOP_LABEL}={ws}", f"{LEARNER_LABEL}={user}"]}
    wait_until(lambda: not client.containers.list(all=True, ignore_removed=True, filters=flt), 30, 0.2)
    for c in client.containers.list(all=True, ignore_removed=True, filters=flt):
        c.remove(force=True)
    removed = []
    for v in client.volumes.list(filters=flt):
        v.remove(force=True)
        removed.append(v.name)
    for n in client.networks.list(filters=flt):
        n.remove()
    release_disk(user, delete=True)
    if not quiet:
        print(f"Reset {user}: server stopped, removed {', '.join(removed) or 'no volumes'}")
    return removed


def stop(client=None, quiet: bool = False, keep_image: bool = False) -> dict[str, list[str]]:
    """Stop the hub and remove everything the workshop created: learner containers, their
    volumes, the network, the learner image (unless ``keep_image``: saves ~90 s on the
    next start) and the hub's state.  Touches nothing else."""
    say = printer(quiet)
    client = client or connect()
    state = read_state()
    pid = (state or {}).get("pid")
    if _alive(pid):
        os.killpg(pid, signal.SIGTERM)   # the hub stops the servers it spawned, and its proxy
        if not wait_until(lambda: not _alive(pid), 60, 0.2):
            os.killpg(pid, signal.SIGKILL)
    # Without the state file the workshop's id is lost: this checkout's label still names
    # exactly what this checkout made (never another checkout's or machine's workshop).
    flt = {"label": f"{WORKSHOP_LABEL}={state['settings']['id']}" if state
           else f"{CHECKOUT_LABEL}={checkout_id()}"}
    removed: dict[str, list[str]] = {"containers": [], "volumes": [], "networks": [], "images": []}

    def gone(kind: str, obj, name: str, **kw) -> None:
        try:
            obj.remove(**kw)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as err:
            if err.status_code != 409 or "in progress" not in str(err):
                raise   # 409 "removal already in progress": the hub's auto-remove got there first
        removed[kind].append(name)

    for c in client.containers.list(all=True, ignore_removed=True, filters=flt):
        gone("containers", c, c.name, force=True, v=False)
    # volumes and the network are free only once every learner container is gone
    if not wait_until(lambda: not client.containers.list(all=True, ignore_removed=True, filters=flt), 60, 0.3):
        raise WorkshopError("learner containers are still being removed after 60 s",
                            "run `make workshop-stop` again in a minute")
    for v in client.volumes.list(filters=flt):
        gone("volumes", v, v.name, force=True)
    for n in client.networks.list(filters=flt):
        gone("networks", n, n.name)
    if _disks().is_dir():
        for img in _disks().glob("*.ext4"):
            release_disk(img.stem, delete=True)
    try:
        if not keep_image:
            client.images.remove(LEARNER_IMAGE)
            removed["images"].append(LEARNER_IMAGE)
    except docker.errors.ImageNotFound:
        pass
    shutil.rmtree(STATE, ignore_errors=True)
    say("Workshop stopped; removed " + "; ".join(f"{len(v)} {k}" for k, v in removed.items()))
    return removed
