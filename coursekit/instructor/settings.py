"""What an instructor chooses for a workshop (``Settings``, from WORKSHOP_* variables),
and the names, labels and sizes of what the workshop creates."""
from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field

from ..errors import InvalidValue, WorkshopError
from ..labelling import COURSE, COURSE_LABEL, WORKSHOP_LABEL
from ..paths import ROOT, workshop_state

LEARNER_LABEL = "coursekit.learner"
LEARNER_IMAGE = "coursekit/workshop-learner:1"
ENGINE_SOCKET = "/run/ck-engine/docker.sock"
STATE = workshop_state()
CHECKOUT_LABEL = "coursekit.workshop.checkout"

# who may log in: one card per learner (coursekit.instructor.cards), and the instructor
ADMIN_USER = "instructor"
USERNAME_PATTERN = r"[a-z][a-z0-9_-]{0,30}"


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
    # The engine on another machine (DOCKER_HOST): this machine's address that the
    # learners' containers reach the hub at; ``subnets`` must be routed to that machine.
    # Empty: the engine is on this machine, and the hub listens on the gateway of the
    # workshop's own network.
    hub_ip: str = ""
    admin_password: str = ""
    id: str = field(default_factory=lambda: "ws" + secrets.token_hex(3))

    @classmethod
    def from_env(cls, env=os.environ) -> "Settings":
        s = cls()
        for f, cast in (("port", int), ("mem", str), ("cpus", float), ("pids", int),
                        ("idle_timeout", int), ("learners", int), ("names", str),
                        ("max_servers", int), ("trusted_room", _flag), ("disk", str),
                        ("subnets", str), ("hub_ip", str), ("admin_password", str)):
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
