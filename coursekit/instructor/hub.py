"""The workshop's hub on one host: JupyterHub + DockerSpawner, one isolated Docker engine per learner.

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

This module starts, reports on and stops the hub; what it starts comes from its
neighbours: :mod:`.settings`, :mod:`.cards`, :mod:`.boundary`, :mod:`.learners`, :mod:`.image`.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import asdict
from pathlib import Path

import docker

from ..connect import connect
from ..engine import apt_install, wait_until
from ..errors import WorkshopError
from ..paths import HUB_CONFIG as CONFIG, node_dir
from ..ports import check_port_free, free_port
from ..progress import printer
from .boundary import boundary
from .cards import card_password, cards_sheet, hash_password
from .image import build_learner_image
from .learners import (clear_engine_disk, disk_share, disks_dir, free_subnet, release_disk,
                       release_remote_disks)
from .settings import (ADMIN_USER, CHECKOUT_LABEL, LEARNER_IMAGE, LEARNER_LABEL, STATE, WORKSHOP_LABEL,
                       Settings, checkout_id, disk_bytes, learner_names, mem_bytes, workshop_labels)

NODE_DIR = node_dir()
CHP_VERSION = "5.3.0"


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


def is_up(state: dict) -> bool:
    """The hub of ``state`` runs and answers."""
    return _alive(state.get("pid")) and _http_status(_hub_url(state) + "/hub/health") == 200


def status(client=None) -> dict:
    """Is a workshop running, where, and which learners' servers are up (with memory)."""
    state = read_state()
    if not state:
        return {"running": False}
    up = is_up(state)
    out = {"running": up, "url": state["public_url"], "id": state["settings"]["id"],
           "cards": str(STATE / "cards.html"), "boundary": state.get("boundary", ""),
           "room_view": room_view_url(state),
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
    if disk_bytes(s.disk) and not s.hub_ip and (os.geteuid() != 0 or not shutil.which("mkfs.ext4")):
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
    try:
        share = str(disk_share(client, s))
    except (WorkshopError, docker.errors.DockerException) as err:   # a report, not a condition
        share = f"unknown ({err})"
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
             "hub_ip": s.hub_ip or gateway,           # where the learners' servers reach the hub
             "hub_port": free_port(), "proxy_api_port": free_port(), "chp": chp,
             "roomview_port": free_port(),
             "api_token": secrets.token_hex(32), "public_url": public_url,
             "boundary": str(edge), "isolated": edge.isolated, "disk_share": share,
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
        f"  room view (instructor only): {room_view_url(state)}\n"
        f"  at most {s.max_servers or len(cards)} servers at once\n"
        f"  boundary: {edge}\n"
        f"  disk share: {share}\n"
        f"  per learner: {s.mem} memory, {s.cpus:g} CPU, {s.pids} processes, culled after "
        f"{s.idle_timeout} s idle\n"
        "  stop it and remove everything it created: make workshop-stop")
    return {**state, "cards": cards}


def room_view_url(state: dict) -> str:
    """The instructor's room view (coursekit.instructor.roomview), a service of the hub."""
    return f"{state['public_url']}/services/roomview/"


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


def reset_learner(user: str, client=None, quiet: bool = False, keep_home: bool = False) -> list[str]:
    """Stop ``user``'s server and delete their engine and home volumes: every container,
    image and volume they made in their engine, and their progress, go; others are untouched.
    ``keep_home``: only the engine goes (its storage emptied); their home -- notebooks and
    exercise progress -- stays for their next start."""
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
    home = learner_names(ws, user)["home_volume"]
    for v in client.volumes.list(filters=flt):
        if keep_home and v.name == home:
            continue
        v.remove(force=True)
        removed.append(v.name)
    for n in client.networks.list(filters=flt):
        n.remove()
    if state["settings"].get("hub_ip"):          # the disks are on the engine's machine
        if disk_bytes(state["settings"]["disk"]):
            release_remote_disks(client, ws, user, engine_only=keep_home)
    elif keep_home:
        clear_engine_disk(user)
    else:
        release_disk(user, delete=True)
    if not quiet:
        print(f"Reset {user}: server stopped, removed {', '.join(removed) or 'no volumes'}")
    return removed


def _kill_leftovers(state: dict) -> None:
    """What a hub that died (rather than stopped) leaves running: its services (its
    process group) and its proxy (a session of its own), found by the proxy's API port."""
    pid, api = state.get("pid"), f" --api-port {state.get('proxy_api_port')} "
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            pgrp = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2])
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace") + " "
        except (OSError, ValueError, IndexError):
            continue
        if (pid and pgrp == pid) or ("configurable-http-proxy" in cmd and api in cmd):
            try:
                os.kill(int(proc.name), signal.SIGKILL)
            except OSError:
                pass


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
    if state:
        _kill_leftovers(state)
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
    if disks_dir().is_dir():
        for img in disks_dir().glob("*.ext4"):
            release_disk(img.stem, delete=True)
    if state and state["settings"].get("hub_ip") and disk_bytes(state["settings"]["disk"]):
        release_remote_disks(client, state["settings"]["id"])   # on the engine's machine
    try:
        if not keep_image:
            client.images.remove(LEARNER_IMAGE)
            removed["images"].append(LEARNER_IMAGE)
    except docker.errors.ImageNotFound:
        pass
    shutil.rmtree(STATE, ignore_errors=True)
    say("Workshop stopped; removed " + "; ".join(f"{len(v)} {k}" for k, v in removed.items()))
    return removed
