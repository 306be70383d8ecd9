"""Auto-checked exercises: tasks on the learner's real engine.

Each task has its text, per-learner values (seeded by the learner's id, so neighbours
on one engine neither collide nor copy; the same after a kernel restart), a check that
inspects the engine's *state* (never the code typed) and says in the task what it
requires, hints, a reference solution and plausible wrong answers, each with the phrase
its report must contain (the tests run them all on a real engine).  In a notebook:

    P_run_port = ex.show("run-port")   # the task, with your values (P_run_port["port"] ...)
    ... your answer, CLI (!docker ...) or SDK ...
    ex.check("run-port")               # ✅, or ❌ with every failing point and a hint

Each task has its own variable, and a check reads the values the task showed, never
that variable: cells run out of order cannot point one task at another's values.
Answers need no course labels; ``ex.cleanup()`` finds them by the tasks' names.

The exercise notebooks are generated from this file: ``python -m coursekit.exercises``.
"""
from __future__ import annotations

import html
import json
import os
import random
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .cgroups import oom_killed
from .checks import Verdict
from .engine import wait_until
from .images import BUSYBOX, image_summaries
from .labelling import SESSION_ENV, labels, name, session
from .paths import ROOT, exercises_file as _state_file, progress_file as _progress_file

MiB = 2**20


# --- results -----------------------------------------------------------------------
@dataclass(repr=False)
class Result(Verdict):
    task: str
    problems: list[str] = field(default_factory=list)
    hint: str = ""
    note: str = ""     # e.g. the progress file could not be written

    advice_label = "hint"

    @property
    def ok(self) -> bool:
        return not self.problems

    def _view(self):
        detail = ("passed" + (f" ({self.note})" if self.note else "")) if self.ok else "not yet"
        return self.ok, self.task, detail, self.problems, self.hint


class Shown(dict):
    """The task text with the learner's values; also the dict of those values."""

    def __init__(self, task: "Task", params: dict):
        super().__init__(params)
        self.task = task

    def text(self) -> str:
        """The task with your values marked «like this», and what its check requires."""
        values = {k: f"«{v}»" for k, v in self.items()}
        out = self.task.text.format(**values)
        if self.task.requires:
            out += " The check requires: " + self.task.requires.format(**values)
        return out

    def __repr__(self) -> str:
        return f"Task {self.task.id} ({self.task.level}): {self.text()}"

    def _repr_html_(self) -> str:
        body = html.escape(self.text()).replace("«", "«<b><code>").replace("»", "</code></b>»")
        return (f"<div style='border-left:4px solid #2a7ae2;padding:4px 10px'><b>Task "
                f"{html.escape(self.task.id)}</b> <i>({self.task.level})</i><br>{body}</div>")


# --- tasks ---------------------------------------------------------------------------
@dataclass
class Task:
    id: str
    lesson: str
    level: str
    text: str
    params: Callable[[random.Random], dict]
    check: Callable[..., list[str]]      # (client, P, answer) -> problems
    hint: str
    solution: str
    wrong: list[tuple[str, str]]        # plausible wrong answers: (code, a phrase its report must contain)
    requires: str = ""                  # what the check verifies, shown with the task
    setup: Callable | None = None       # (client, P) -> None: what the task provides
    takes_answer: bool = False
    refresh: Callable | None = None     # (client, P) -> None: re-validate values when shown again

    @property
    def var(self) -> str:
        """The task's own variable in the notebooks (P_run_port ...), so that running the
        cells out of order never points one task's answer at another task's values."""
        return "P_" + self.id.replace("-", "_")


def _name(purpose: str) -> str:
    """An exercise object's name: ``ck-<id>-<purpose>`` (see :func:`ident`)."""
    return f"ck-{ident()}-{purpose}"


def _values(task: Task) -> dict:
    r = random.Random(f"{ident()}:{task.id}")
    p = {"name": _name(f"ex-{task.id}")}
    p.update(task.params(r))
    return p


def _get(client, kind: str, ident_: str):
    import docker
    coll = {"container": client.containers, "image": client.images,
            "volume": client.volumes, "network": client.networks}[kind]
    try:
        obj = coll.get(ident_)
        if kind == "container":
            obj.reload()
        return obj
    except docker.errors.NotFound:   # ImageNotFound included
        return None


def _container(client, p, problems, key="name"):
    c = _get(client, "container", p[key])
    if c is None:
        problems.append(f"there is no container named {p[key]} (docker ps -a shows the names)")
    return c


def _running(c, problems, why="its command must keep it running (sleep 3600)") -> bool:
    """The container must be running now: created-only and exited answers fail."""
    if c.status == "running":
        return True
    if c.status == "created":
        problems.append(f"{c.name} was created but never started (status created): "
                        "docker start it, or use docker run -d")
    else:
        problems.append(f"{c.name} is {c.status} (exit code {c.attrs['State'].get('ExitCode')}), "
                        f"not running: {why}")
    return False


def _joined(client, mode: str, target) -> bool:
    """Whether a ``container:REF`` mode (network, IPC) names ``target``."""
    if not (mode or "").startswith("container:") or target is None:
        return False
    other = _get(client, "container", mode.split(":", 1)[1])
    return other is not None and other.id == target.id


def _check_box(client, image: str, cmd=None, **kw):
    """A container a check creates (labelled, named per learner, never the learner's)."""
    return client.containers.create(image, cmd, name=_name(f"ex-check-{random.randrange(10**6)}"),
                                    labels=labels(), **kw)


def _run_image(client, image: str, cmd=None, timeout: float = 30, **kw) -> tuple[int, str]:
    """Run ``image`` once as a check helper (labelled, removed, never hangs): (exit code, output)."""
    import requests
    box = _check_box(client, image, cmd, **kw)
    try:
        box.start()
        try:
            code = box.wait(timeout=timeout)["StatusCode"]
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            code = -1    # still running after the timeout: what it printed so far
        return code, box.logs().decode(errors="replace")
    finally:
        box.remove(force=True)


def _run_quiet(client, cmd, **kw) -> tuple[int, str]:
    return _run_image(client, BUSYBOX, ["sh", "-c", cmd], **kw)


# Checks --------------------------------------------------------------------------------
def _c_hello_run(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        if c.status == "created":
            problems.append(f"{c.name} was created but never started: it printed nothing")
            return problems
        if c.status != "exited":
            problems.append(f"{c.name} is {c.status}: it should have printed and exited")
        elif c.attrs["State"]["ExitCode"] != 0:
            problems.append(f"it exited with code {c.attrs['State']['ExitCode']}, not 0")
        want = client.info()["KernelVersion"]
        got = c.logs().decode(errors="replace").strip()
        if got != want:
            problems.append(f"it printed {got[:60]!r}, not just the kernel release {want!r}")
    return problems


def _c_hello_hostname(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        if c.attrs["Config"]["Hostname"] != p["hostname"]:
            problems.append(f"its hostname is {c.attrs['Config']['Hostname']!r}, not {p['hostname']!r}")
        _running(c, problems, "start it with -d and a long command (sleep 3600)")
    return problems


def _c_vm_hostpid(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c and _running(c, problems, "start it with -d running sleep 3600; a stopped container has no PID"):
        pid = c.attrs["State"]["Pid"]
        if answer is None:
            problems.append("pass your answer: ex.check('vm-hostpid', answer)")
        elif str(answer).strip() == "1":
            problems.append("1 is its PID inside the container; the host knows it by another number")
        elif str(answer).strip() != str(pid):
            problems.append(f"{answer!r} is not the host PID of {p['name']}'s main process")
    return problems


def _c_ns_share_net(client, p, answer):
    problems = []
    a = _container(client, p, problems, "a")
    b = _container(client, p, problems)
    if a and a.status != "running":
        problems.append(f"the task's {a.name} is {a.status}: run the task's show cell again to restart it")
    if b:
        mode = b.attrs["HostConfig"]["NetworkMode"]
        if not _joined(client, mode, a):
            problems.append(f"{b.name} uses network mode {mode!r}, not the network namespace of {p['a']}")
        _running(b, problems)
    return problems


def _c_ns_pid_host(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        if c.attrs["HostConfig"]["PidMode"] != "host":
            problems.append(f"{c.name} has its own PID namespace (PidMode {c.attrs['HostConfig']['PidMode']!r})")
        _running(c, problems)
    return problems


def _c_ns_ipc(client, p, answer):
    problems = []
    a = _container(client, p, problems, "a2")
    b = _container(client, p, problems)
    if a:
        if a.attrs["HostConfig"]["IpcMode"] != "shareable":
            problems.append(f"{a.name} must be started with --ipc shareable so others may join it "
                            f"(its IPC mode is {a.attrs['HostConfig']['IpcMode']!r})")
        _running(a, problems)
    if b:
        if not _joined(client, b.attrs["HostConfig"]["IpcMode"], a):
            problems.append(f"{b.name} has IPC mode {b.attrs['HostConfig']['IpcMode']!r}, not {p['a2']}'s")
        _running(b, problems)
    return problems


def _c_cg_memory(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        mem = c.attrs["HostConfig"]["Memory"]
        if mem != p["mem"] * MiB:
            problems.append(f"its memory limit is {f'{mem // MiB} MiB' if mem else 'unlimited'}, not {p['mem']} MiB"
                            + (" (m means MiB: -m 96m)" if mem else
                               " (a reservation is not a limit: -m)" if c.attrs["HostConfig"].get("MemoryReservation") else ""))
        _running(c, problems)
    return problems


def _c_cg_cpus(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        hc = c.attrs["HostConfig"]
        cpus = (hc.get("NanoCpus") or 0) / 1e9 or ((hc.get("CpuQuota") or 0) / hc["CpuPeriod"] if hc.get("CpuPeriod") else 0)
        if abs(cpus - p["cpus"]) > 1e-6:
            problems.append(f"it may use {cpus or 'all'} CPUs, not {p['cpus']}"
                            + (" (--cpu-shares is a weight, not a limit)" if hc.get("CpuShares") else "")
                            + (" (--cpuset-cpus picks which CPUs, not how much of them)" if hc.get("CpusetCpus") else ""))
        _running(c, problems)
    return problems


def _c_cg_pids(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        limit = c.attrs["HostConfig"].get("PidsLimit")
        if limit != p["pids"]:
            problems.append(f"its pids limit is {limit if limit and limit > 0 else 'unlimited'}, not {p['pids']}")
        _running(c, problems)
    return problems


def _c_cg_oom(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        st, hc = c.attrs["State"], c.attrs["HostConfig"]
        mem, swap = hc.get("Memory") or 0, hc.get("MemorySwap") or 0
        if mem != p["mem"] * MiB:
            problems.append(f"its memory limit is {f'{mem // MiB} MiB' if mem else 'unlimited'}, not {p['mem']} MiB")
        elif swap != mem and client.info().get("SwapLimit", True):
            problems.append(f"it may also use swap (memory+swap limit "
                            f"{'unlimited' if swap < 0 else f'{swap // MiB} MiB'}, not {p['mem']} MiB): "
                            f"no swap means --memory-swap {p['mem']}m, the same as -m")
        if st["Running"]:
            problems.append(f"{c.name} is still running: its workload must exceed the limit")
        elif st.get("Status") == "created":
            problems.append(f"{c.name} was created but never started")
        elif (oom := oom_killed(client, c)) is None:
            problems.append(f"{c.name} exited with 137 (SIGKILL), but the engine no longer remembers whether it "
                            "sent that signal (it keeps its last 256 events): start the container again "
                            f"(docker start {c.name}) and check right after it stops")
        elif not oom:
            problems.append(f"{c.name} exited with {st['ExitCode']} but was not OOM-killed: "
                            "allocate more than the limit (being killed by docker kill or stop does not count)")
    return problems


def _c_run_port(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        binds = c.attrs["HostConfig"].get("PortBindings") or {}
        host = [(b.get("HostIp") or "", int(b["HostPort"])) for b in binds.get("80/tcp") or []
                if (b.get("HostPort") or "").isdigit()]
        swapped = [k for k, v in binds.items() if v and any(b.get("HostPort") == "80" for b in v)]
        ports = [port for _, port in host]
        if swapped and not host:
            problems.append(f"port 80 of the container is not published; host port 80 is bound to container "
                            f"port {swapped[0]} instead: remember -p HOST:CONTAINER")
        elif p["port"] not in ports:
            problems.append(f"container port 80 is published on host port {ports or 'none'}, not {p['port']}")
        else:
            wide = sorted({ip or "0.0.0.0" for ip, port in host if port == p["port"] and ip != "127.0.0.1"})
            if wide:
                problems.append(f"it is published on {', '.join(wide)}"
                                + (" (all interfaces)" if {"0.0.0.0", "::"} & set(wide) else "")
                                + f", reachable from the network: publish on 127.0.0.1 only "
                                  f"(-p 127.0.0.1:{p['port']}:80)")
        if c.status == "created":
            problems.append(f"{c.name} was created but never started (was host port {p['port']} busy? "
                            "run the task's show cell again for a free one)")
        else:
            _running(c, problems, "httpd -f stays in the foreground and keeps it running")
        if not problems:
            # Asked from the engine's host (a helper on its network), where -p 127.0.0.1
            # publishes: the same answer on a local engine, in a VM or Docker Desktop.
            # (busybox nc, not wget: Debian's static busybox crashes in wget)
            probe = (f"for i in $(seq 30); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | "
                     f"nc -w 1 127.0.0.1 {p['port']} | grep -q '^HTTP/' && exit 0; sleep 0.1; done; exit 1")
            if _run_quiet(client, probe, network_mode="host")[0] != 0:
                problems.append(f"nothing answers HTTP on 127.0.0.1:{p['port']} of the engine's host: "
                                "is httpd running on port 80 of the container?")
    return problems


def _c_run_volume(client, p, answer):
    problems = []
    vol = _get(client, "volume", p["volume"])
    if vol is None:
        return [f"there is no volume named {p['volume']}"]
    users = client.containers.list(all=True, ignore_removed=True, filters={"volume": p["volume"]})
    if users:
        problems.append(f"containers still use the volume ({', '.join(u.name for u in users)}): write with --rm")
    out = _run_quiet(client, "cat /data/hello.txt 2>/dev/null || echo MISSING",
                     volumes={p["volume"]: {"bind": "/data", "mode": "ro"}})[1].strip()
    if out == "MISSING":
        problems.append("the volume has no file hello.txt at its top level")
    elif out != p["word"]:
        problems.append(f"hello.txt contains {out[:60]!r}, not {p['word']!r}")
    return problems


def _c_run_env(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        env = c.attrs["Config"].get("Env") or []
        if f"GREETING={p['word']}" not in env:
            have = [e for e in env if e.startswith("GREETING=")]
            problems.append(f"GREETING is {have[0].split('=', 1)[1]!r}" if have
                            else "GREETING is not set (-e NAME=value; names are case-sensitive)")
        _running(c, problems)
    return problems


def _c_run_bind(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        mounts = [m for m in c.attrs.get("Mounts", []) if m.get("Destination") == "/work"]
        if not mounts:
            problems.append("nothing is mounted at /work")
        else:
            m = mounts[0]
            if m["Type"] != "bind" or os.path.realpath(m["Source"]) != os.path.realpath(p["dir"]):
                problems.append(f"/work is a {m['Type']} of {m.get('Source') or m.get('Name')}, not a bind mount of {p['dir']}")
            if m.get("RW"):
                problems.append("the mount is writable: add :ro")
        if _running(c, problems) and not problems:
            code, out = c.exec_run(["cat", "/work/notes.txt"])
            if code != 0 or b"mounted from the host" not in out:
                problems.append(f"/work/notes.txt cannot be read inside {c.name}: {out.decode(errors='replace')[:80]!r}")
    return problems


def _c_img_build(client, p, answer):
    problems = []
    img = _get(client, "image", f"{p['tag']}:1")
    if img is None:
        return [f"there is no image tagged {p['tag']}:1 (docker build -t {p['tag']}:1 ...)"]
    base = _get(client, "image", BUSYBOX)
    layers = base.attrs["RootFS"].get("Layers") or [] if base else []
    if layers and (img.attrs["RootFS"].get("Layers") or [])[:len(layers)] != layers:
        problems.append(f"{p['tag']}:1 is not built FROM the course's busybox ({BUSYBOX})")
    code, out = _run_image(client, img.id, timeout=20)
    out = out.strip()
    if out != p["word"]:
        problems.append(f"running it prints {out[:60]!r}, not {p['word']!r}: set CMD")
    return problems


def _c_img_tag(client, p, answer):
    a, b = _get(client, "image", f"{p['tag']}:1"), _get(client, "image", f"{p['tag']}:stable")
    if a is None:
        return [f"{p['tag']}:1 is missing: the task made it; run the task's show cell to make it again"]
    if b is None:
        return [f"there is no {p['tag']}:stable"]
    if a.id != b.id:
        return [f"{p['tag']}:stable is a different image from {p['tag']}:1: tag it, do not rebuild"]
    return []


def _c_img_ignore(client, p, answer):
    problems = []
    if not (Path(p["dir"]) / "secret.env").exists():
        problems.append(f"secret.env is gone from {p['dir']}: keep the file, leave it out of the image "
                        "(run the task's show cell to make it again)")
    img = _get(client, "image", f"{p['tag']}:clean")
    if img is None:
        return problems + [f"there is no image tagged {p['tag']}:clean"]
    listing = _run_image(client, img.id, ["ls", "-a", "/app"], timeout=20)[1].split()
    if "secret.env" in listing:
        problems.append("secret.env is in the image: list it in .dockerignore")
    if "app.txt" not in listing:
        problems.append("app.txt should be in /app")
    return problems


def _c_clean_scoped(client, p, answer):
    left = client.containers.list(all=True, ignore_removed=True, filters={"label": [f"coursekit.exercise={p['group']}"]})
    problems = []
    if left:
        stopped = all(c.status != "running" for c in left)
        problems.append(f"{len(left)} of the group's containers are still there"
                        + (" (stopped is not removed: docker rm)" if stopped else ""))
    if _get(client, "container", p["keep"]) is None:
        problems.append(f"{p['keep']} was removed too: filter on the group's label, not everything")
    return problems


def _c_reg_push(client, p, answer):
    import urllib.request
    from .registry import running_registries
    regs = [c for c in running_registries(client) if c.name == p["registry"]]
    if not regs:
        return ["the task's registry is not running: run the task's show cell again"]
    from .connect import engine_address   # the registry API, seen from this notebook
    api = f"http://{engine_address()}:{p['address'].rsplit(':', 1)[1]}/v2/{p['repo']}"
    try:
        tags = json.load(urllib.request.urlopen(f"{api}/tags/list", timeout=3))
    except OSError:
        return [f"the registry has no repository {p['repo']}: tag {p['address']}/{p['repo']}:1 and push it"]
    if "1" not in (tags.get("tags") or []):
        return [f"{p['repo']} has tags {tags.get('tags')}, not 1"]
    req = urllib.request.Request(f"{api}/manifests/1", headers={"Accept": ", ".join([
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json"])})
    with urllib.request.urlopen(req, timeout=3) as resp:
        digest = resp.headers.get("Docker-Content-Digest") or ""
        manifest = json.load(resp)
    config = (manifest.get("config") or {}).get("digest")
    base = _get(client, "image", BUSYBOX)
    if base is not None and config and config != base.id and digest != base.id and not any(
            d.endswith("@" + digest) for d in base.attrs.get("RepoDigests") or [] if digest):
        # the config digest is the image ID; with the containerd image store the ID is the
        # manifest's digest, and a pushed image records it in RepoDigests
        return [f"{p['address']}/{p['repo']}:1 in the registry is not the course's busybox ({BUSYBOX})"]
    return []


def _c_sudo_user(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        user = c.attrs["Config"].get("User") or ""
        if user.split(":")[0] not in ("65534", "nobody"):
            problems.append(f"it runs as {user or 'root (the default)'}, not as user 65534 (nobody)")
        if _running(c, problems) and not problems:
            code, out = c.exec_run(["id", "-u"])
            if out.decode(errors="replace").strip() != "65534":
                problems.append(f"its processes run as uid {out.decode(errors='replace').strip()!r}, not 65534")
    return problems


def _c_sudo_owner(client, p, answer):
    f = Path(p["dir"]) / "owner.txt"
    if not f.exists():
        return [f"there is no owner.txt in {p['dir']} (mount that folder and write the file into it)"]
    uid = f.stat().st_uid
    if uid != p["uid"]:
        who = "uid 0 (root, the default user of a container)" if uid == 0 else f"uid {uid}"
        return [f"owner.txt is owned by {who}, not uid {p['uid']}"]
    return []


def _engine_facts(client) -> dict[str, str]:
    """What ``docker info`` says about rootless and user-namespace remapping."""
    opts = client.info().get("SecurityOptions") or []
    return {"engine.rootless": str(any("rootless" in o for o in opts)).lower(),
            "engine.userns": str(any("userns" in o for o in opts)).lower()}


def _c_sudo_engine(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        for key, truth in _engine_facts(client).items():
            said = c.labels.get(key)
            if said is None:
                problems.append(f"{c.name} has no label {key} (true or false)")
            elif said.strip().lower() != truth:
                problems.append(f"{key} says {said!r}, but this engine's security options say {truth}")
        _running(c, problems)
    return problems


def _c_life_restart(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if not c:
        return problems
    pol = c.attrs["HostConfig"].get("RestartPolicy") or {}
    kind, most = pol.get("Name") or "no", pol.get("MaximumRetryCount") or 0
    if kind != "on-failure" or most != p["n"]:
        problems.append(f"its restart policy is {kind}{f':{most}' if kind == 'on-failure' and most else ''}, "
                        f"not on-failure:{p['n']}"
                        + (" (it restarts after any exit, without end)" if kind in ("always", "unless-stopped") else "")
                        + (" (without a number it retries without end)" if kind == "on-failure" and not most else ""))
    if c.status == "created":
        problems.append(f"{c.name} was created but never started (status created): docker start it, or use docker run -d")
        return problems

    running_since = None

    def settled():
        nonlocal running_since
        c.reload()
        st = c.attrs["State"]
        if st["Status"] == "running" and c.attrs["RestartCount"] == 0:   # a command that does not exit?
            running_since = running_since or time.monotonic()
            return time.monotonic() - running_since > 5
        return st["Status"] == "exited" and (st["ExitCode"] == 0 or c.attrs["RestartCount"] >= most)

    # The engine restarts it over a second or two here; an emulated engine (the reference
    # VM) took more than 8 s for three restarts, so the deadline is generous.
    if kind == "on-failure" and most:
        wait_until(settled, 45)
    st, count = c.attrs["State"], c.attrs["RestartCount"]
    if kind in ("always", "unless-stopped"):
        pass            # it never stays exited: the policy's point says all
    elif st["Status"] in ("running", "restarting"):
        problems.append(f"{c.name} is still {st['Status']} after {count} restarts: its command must exit "
                        f"at once with code {p['code']} (not sleep)" if count == 0 and st["Status"] == "running"
                        else f"{c.name} is still {st['Status']} after {count} restarts")
    elif st["ExitCode"] == 0:
        problems.append("it exited with code 0, which means success: on-failure restarts only after a "
                        f"non-zero exit code ({p['code']})")
    elif st["ExitCode"] != p["code"]:
        problems.append(f"it exited with code {st['ExitCode']}, not {p['code']}")
    elif kind == "on-failure" and most == p["n"] and count != p["n"]:
        problems.append(f"its RestartCount is {count}, not {p['n']}"
                        + (": the engine is still restarting it, check again in a moment" if count < p["n"] else ""))
    return problems


def _health(c) -> str:
    c.reload()
    return (c.attrs["State"].get("Health") or {}).get("Status") or "none"


def _c_life_health(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if not c:
        return problems
    hc = c.attrs["Config"].get("Healthcheck") or {}
    test = hc.get("Test") or []
    if not test or test[0] == "NONE":
        problems.append(f"{c.name} has no health check (docker inspect shows no Config.Healthcheck)")
    else:
        if p["path"] not in " ".join(test[1:]):
            problems.append(f"its health check runs {' '.join(test[1:])[:60]!r}, which does not test {p['path']}")
        every = (hc.get("Interval") or 30 * 10**9) / 1e9
        if every != 1:
            problems.append(f"its health check runs every {every:g} s{'' if hc.get('Interval') else ' (the default)'}, "
                            "not every 1 s")
    if not _running(c, problems, "the health check runs only in a running container (sleep 3600)"):
        return problems
    if c.exec_run(["test", "-f", p["path"]]).exit_code != 0:
        problems.append(f"there is no file {p['path']} in {c.name}: create it in the running container")
    if not problems:   # the next check, at most an interval away, must succeed
        wait_until(lambda: _health(c) == "healthy", 5)
        if (status := _health(c)) != "healthy":
            problems.append(f"its health status is {status}, not healthy")
    return problems


def _task_container(client, p):
    """The container the task's set-up started, or the problem that it is gone."""
    c = _get(client, "container", p["name"])
    return c, ([] if c else [f"there is no container named {p['name']}: run the task's show cell again to start it"])


def _kept_in_place(c, p, new_why: str, restart_why: str) -> list[str]:
    """The task's own container, neither replaced nor restarted since the task started it
    (tasks whose point is changing a running container in place)."""
    again = f"docker rm -f {p['name']}, then run the task's show cell again to start over"
    if p.get("id") and c.id != p["id"]:
        return [f"{c.name} is a new container, not the one the task started: {new_why} ({again})"]
    if c.status == "running" and p.get("started") and c.attrs["State"]["StartedAt"] != p["started"]:
        return [f"{c.name} was restarted since the task started it (its StartedAt changed): "
                f"{restart_why} ({again})"]
    return []


def _c_life_update(client, p, answer):
    c, problems = _task_container(client, p)
    if c is None:
        return problems
    problems += _kept_in_place(c, p, "docker update changes a container in place",
                               "docker update needs no restart")
    hc = c.attrs["HostConfig"]
    mem = hc.get("Memory") or 0
    if mem != p["mem"] * MiB:
        problems.append(f"its memory limit is {f'{mem // MiB} MiB' if mem else 'unlimited'}, not {p['mem']} MiB"
                        + (" (a reservation is not a limit)" if hc.get("MemoryReservation") == p["mem"] * MiB else ""))
    if _running(c, problems, "run the task's show cell again to start it; docker update needs no stop or restart") \
            and mem == p["mem"] * MiB:
        from . import cgroups
        path = cgroups.files(cgroups.version(client))["memory.limit"]
        code, out = c.exec_run(["cat", path])
        got = cgroups.parse_limit(out.decode(errors="replace")) if code == 0 else -1
        if got != p["mem"] * MiB:
            problems.append(f"its cgroup's {path} says {out.decode(errors='replace').strip()[:40]!r}, "
                            f"not {p['mem'] * MiB} ({p['mem']} MiB)")
    return problems


def _c_life_cp(client, p, answer):
    import io
    import tarfile
    import docker
    c, problems = _task_container(client, p)
    if c is None:
        return problems
    try:
        stream, stat = c.get_archive(p["path"])
    except docker.errors.NotFound:
        problems.append(f"there is no file {p['path']} in {c.name} (the path in the container comes after the colon)")
    else:
        if stat.get("mode", 0) & (1 << 31):     # Go's os.ModeDir
            problems.append(f"{p['path']} is a directory, not a file: copy the file itself")
        else:
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
                member = tar.getmembers()[0]
                data = tar.extractfile(member).read() if member.isfile() else b""
            got = data.decode(errors="replace").strip()
            if got != p["word"]:
                problems.append(f"{p['path']} contains {got[:60]!r}, not {p['word']!r}")
    _running(c, problems, "run the task's show cell again to start it; docker cp needs no stop")
    return problems


def _setup_open_dir(client, p):
    d = Path(p["dir"])
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o777)   # the container's user, whoever it is, may write here


def _params_port(r):
    from .ports import check_port_free
    from .errors import PortBusy
    for _ in range(50):
        port = r.randrange(20000, 40000)
        try:
            check_port_free(port)
            return port
        except PortBusy:
            continue
    raise PortBusy("no free port for this task: 50 random ports from 20000 to 39999 were all taken",
                   "stop what holds so many ports on 127.0.0.1, or show the task again")


def _refresh_port(client, p):
    """A port taken since the task chose it (and not by the learner's answer) is replaced."""
    from .errors import PortBusy
    from .ports import check_port_free
    try:
        check_port_free(p["port"])
        return
    except PortBusy:
        pass
    c = _get(client, "container", p["name"])
    binds = (c.attrs["HostConfig"].get("PortBindings") or {}) if c is not None else {}
    if any(b.get("HostPort") == str(p["port"]) for v in binds.values() for b in v or []):
        return      # the learner's own answer holds it
    p["port"] = _params_port(random.Random())


WORDS = ["aurora", "basalt", "cobalt", "dunes", "ember", "fjord", "glacier", "harbor", "iris", "jade"]


def _setup_share(client, p):
    a = _get(client, "container", p["a"])
    if a is None:
        client.containers.run(BUSYBOX, "sleep 3600", detach=True, name=p["a"], labels=labels(),
                              ipc_mode="shareable")
    elif a.status != "running":
        a.start()


def _setup_scratch(client, p):
    Path(p["dir"]).mkdir(parents=True, exist_ok=True)
    (Path(p["dir"]) / "notes.txt").write_text("mounted from the host\n")


def _setup_img_tag(client, p):
    from .images import build_context
    if _get(client, "image", f"{p['tag']}:1") is None:
        client.images.build(fileobj=build_context(f"FROM {BUSYBOX}\nRUN echo {p['tag']} > /id\n", {}),
                            custom_context=True, tag=f"{p['tag']}:1", labels=labels(), rm=True)


def _setup_ignore(client, p):
    d = Path(p["dir"])
    d.mkdir(parents=True, exist_ok=True)
    (d / "Dockerfile").write_text(f"FROM {BUSYBOX}\nCOPY . /app\n")
    (d / "app.txt").write_text("the app\n")
    (d / "secret.env").write_text("PASSWORD=hunter2\n")


def _setup_clean(client, p):
    for i in range(3):
        if _get(client, "container", f"{p['name']}-{i}") is None:
            client.containers.run(BUSYBOX, "sleep 3600", detach=True, name=f"{p['name']}-{i}",
                                  labels=labels(exercise=p["group"]))
    if _get(client, "container", p["keep"]) is None:
        client.containers.run(BUSYBOX, "sleep 3600", detach=True, name=p["keep"], labels=labels())


def _setup_registry(client, p):
    from .registry import running_registries, start_registry
    from .errors import PortBusy
    from .ports import free_port
    if not [c for c in running_registries(client) if c.name == p["registry"]]:
        try:
            reg = start_registry(client=client, port=p["port"], purpose="ex-reg-push-registry")
        except PortBusy:   # taken since the task chose it: take another, and show that one
            p["port"] = free_port()
            reg = start_registry(client=client, port=p["port"], purpose="ex-reg-push-registry")
        p["address"] = reg.address


def _registry_params(r):
    port = _params_port(r)
    return {"port": port, "address": f"127.0.0.1:{port}", "registry": name("ex-reg-push-registry"),
            "repo": f"ex-{r.choice(WORDS)}"}


def _setup_sleeper(client, p, **kw):
    """The task's own running container ``p["name"]`` (sleep 3600), marked as the task's;
    its id and start time are recorded when it is (re)started, for checks that must find
    the same container, not restarted."""
    c = _get(client, "container", p["name"])
    if c is None:
        c = client.containers.run(BUSYBOX, "sleep 3600", detach=True, name=p["name"],
                                  labels=labels(exercise=p["name"]), **kw)
    elif c.status != "running":
        c.start()
    elif p.get("id") == c.id or c.labels.get("coursekit.exercise") != p["name"]:
        return      # as recorded; or not the task's (the check says so)
    c.reload()
    p["id"], p["started"] = c.id, c.attrs["State"]["StartedAt"]


def _setup_update(client, p):
    _setup_sleeper(client, p, mem_limit=f"{p['start']}m", memswap_limit=f"{p['start']}m")


def _tmp(tag):
    import tempfile
    return str(Path(tempfile.gettempdir()) / _name(tag))


# Answer code (solutions and wrong answers) -----------------------------------------------
def _sleep(kw: str = "") -> str:
    """A background sleep 3600 container named P["name"] with ``kw`` (SDK arguments)."""
    return f'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, {kw}name=P["name"], labels=ck.labels())'


def _created(kw: str = "") -> str:
    """The same, created but never started."""
    return f'client.containers.create(ck.BUSYBOX, "sleep 3600", {kw}name=P["name"], labels=ck.labels())'


def _exited(kw: str = "", cmd: str = "true") -> str:
    """The same settings, but a command that exits at once."""
    return f'client.containers.run(ck.BUSYBOX, "{cmd}", detach=True, {kw}name=P["name"], labels=ck.labels()).wait()'


def _stopped(kw: str = "", cmd: str = "true") -> list[tuple[str, str]]:
    """The two wrong answers every "keeps running" task rejects: the same settings in a
    container that exited at once, and in one created but never started."""
    return [(_exited(kw, cmd), "not running"), (_created(kw), "never started")]


ENGINE_SOL = ('opts = client.info().get("SecurityOptions") or []\n'
              'facts = {"engine.rootless": str(any("rootless" in o for o in opts)).lower(),\n'
              '         "engine.userns": str(any("userns" in o for o in opts)).lower()}\n')
def _touch(user: str = "", mount: bool = True) -> str:
    """A container named P["name"] that creates owner.txt as ``user`` (an SDK argument,
    e.g. 'user="65534"'), in the task's folder mounted at /mnt (or, not mounted, in /)."""
    head = f'client.containers.run(ck.BUSYBOX, "touch {"/mnt" if mount else ""}/owner.txt",'
    head += f" {user},\n" if user else "\n"
    if not mount:
        return head + '                      name=P["name"], labels=ck.labels())'
    return head + ('                      volumes={P["dir"]: {"bind": "/mnt", "mode": "rw"}}, '
                   'name=P["name"], labels=ck.labels())')


HTTPD = '["sh", "-c", "mkdir -p /www && echo hi > /www/index.html && httpd -f -p 80 -h /www"]'
HOG_RUN = ('from coursekit.widgets import HOG\n'
           'c = client.containers.run(ck.BUSYBOX, ["sh", "-c", HOG], environment={{"ALLOC": {alloc}, "PAUSE": "10000"}}, '
           '{limits}detach=True, name=P["name"], labels=ck.labels())\n'
           'c.wait(timeout=60)')
NO_SWAP = 'mem_limit=f"{P[\'mem\']}m", memswap_limit=f"{P[\'mem\']}m", '
BUILD = ('from coursekit.images import build_context\n'
         'client.images.build(fileobj=build_context(f\'{dockerfile}\', {{}}), custom_context=True, '
         'tag=f"{tag}", labels=ck.labels(), rm=True)')

def _failing(kw: str = "", cmd: str = 'f"exit {P[\'code\']}"', run: bool = True) -> str:
    """A container named P["name"] whose shell exits at once with P["code"] (or ``cmd``)."""
    if not run:
        return f'client.containers.create(ck.BUSYBOX, ["sh", "-c", {cmd}], {kw}name=P["name"], labels=ck.labels())'
    return f'client.containers.run(ck.BUSYBOX, ["sh", "-c", {cmd}], detach=True, {kw}name=P["name"], labels=ck.labels())'


ON_FAILURE = 'restart_policy={"Name": "on-failure", "MaximumRetryCount": P["n"]}, '
HEALTH = 'healthcheck={{"test": ["CMD", "test", "-f", P["path"]]{interval}}}, '
HEALTHY = HEALTH.format(interval=', "interval": 10**9')
TOUCH = '\nc.exec_run(["touch", P["path"]])'
UPDATE = 'c = client.containers.get(P["name"])\nc.update({kw})'
RAISE = 'mem_limit=f"{P[\'mem\']}m", memswap_limit=f"{P[\'mem\']}m"'


def _put(content: str = 'f"{P[\'word\']}\\n"', folder: str = 'P["path"].rsplit("/", 1)[0]',
         member: str = 'P["path"].rsplit("/", 1)[1]', then: str = "") -> str:
    """Copy a file (a tar archive of one member) into the task's container with put_archive()."""
    return ('import io, tarfile\n'
            f'data = {content}.encode()\n'
            'buf = io.BytesIO()\n'
            'with tarfile.open(fileobj=buf, mode="w") as tar:\n'
            f'    info = tarfile.TarInfo({member})\n'
            '    info.size = len(data)\n'
            '    tar.addfile(info, io.BytesIO(data))\n'
            'c = client.containers.get(P["name"])\n'
            f'c.put_archive({folder}, buf.getvalue()){then}')


# --- lesson 11: Networks and Compose (checks, set-ups, answer code) -----------------------
def _c_net_alias(client, p, answer):
    problems = []
    net = _get(client, "network", p["net"])
    if net is None:
        problems.append(f"there is no network named {p['net']} (docker network ls shows the names)")
    elif net.attrs.get("Driver") != "bridge":
        problems.append(f"{net.name} has the driver {net.attrs.get('Driver')}, not bridge")
    c = _container(client, p, problems)
    if c is None or net is None:
        return problems
    nets = c.attrs["NetworkSettings"]["Networks"] or {}
    if net.name not in nets:
        problems.append(f"{c.name} is not on {net.name} (its networks: {', '.join(nets) or 'none'}): "
                        f"start it with --network {net.name}")
    elif p["alias"] not in (nets[net.name].get("Aliases") or []):
        problems.append(f"{c.name} has no alias {p['alias']} on {net.name}")
    if _running(c, problems) and not problems:
        ip = nets[net.name]["IPAddress"]
        code, out = _run_quiet(client, f"nslookup {p['alias']}", network=net.name)
        if code != 0 or ip not in out:
            problems.append(f"a container on {net.name} does not resolve {p['alias']} to {ip}: {out.strip()[-80:]!r}")
    return problems


def _c_net_connect(client, p, answer):
    c, problems = _task_container(client, p)
    if c is None:
        return problems
    problems += _kept_in_place(c, p, "docker network connect adds a network to a running container",
                               "connecting needs no restart")
    nets = c.attrs["NetworkSettings"]["Networks"] or {}
    if _get(client, "network", p["net"]) is None:
        problems.append(f"there is no network named {p['net']} (docker network ls shows the names)")
    elif p["net"] not in nets:
        problems.append(f"{c.name} is not on {p['net']} (its networks: {', '.join(nets) or 'none'})")
    if "bridge" not in nets:
        problems.append(f"{c.name} is no longer on the default bridge (bridge): it must keep it (docker rm -f "
                        f"{p['name']}, then run the task's show cell again to start over)")
    _running(c, problems, "run the task's show cell again to start it; connecting needs no stop")
    return problems


def _setup_envfile(client, p):
    Path(p["file"]).write_text(f"# the app's settings\nMODE=production\nCOLOR={p['color']}\nLEVEL={p['level']}\n")


def _c_net_envfile(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c is None or not _running(c, problems):
        return problems
    code, out = c.exec_run("env")
    env = dict(line.split("=", 1) for line in out.decode(errors="replace").splitlines() if "=" in line)
    for key, want in (("COLOR", p["color"]), ("LEVEL", p["level"]), ("MODE", p["mode"])):
        if key not in env:
            problems.append(f"its processes' environment has no {key}" + ("" if key == "MODE" else f" (from {p['file']})"))
        elif env[key] != want:
            problems.append(f"{key} is {env[key]!r} in it, not {want!r}")
    return problems


def _c_net_compose(client, p, answer):
    problems = []
    mine = client.containers.list(all=True, filters={"label": f"com.docker.compose.project={p['name']}"})
    if not mine:
        return [f"there is no Compose project named {p['name']} (no container has the label "
                f"com.docker.compose.project={p['name']}; docker compose ls lists projects)"]
    by_service: dict[str, list] = {}
    for c in mine:
        by_service.setdefault(c.labels.get("com.docker.compose.service", "?"), []).append(c)
    boxes = by_service.get(p["service"])
    if not boxes:
        return [f"the project has no service {p['service']} (its services: {', '.join(sorted(by_service))})"]
    running = [c for c in boxes if c.status == "running"]
    if len(running) != p["n"]:
        problems.append(f"{len(running)} containers of {p['service']} are running, not {p['n']}")
    if any(not c.attrs["HostConfig"].get("Init") for c in boxes):
        problems.append(f"{p['service']} runs without init: true (HostConfig.Init is not set)")
    return problems


NET_CREATE = 'net = client.networks.create(P["net"], labels=ck.labels())\n'
NET_ALIAS = ('network=P["net"], networking_config={P["net"]: client.api.create_endpoint_config('
             'aliases=[P["alias"]])}, ')
ENV_READ = ('lines = open(P["file"]).read().splitlines()\n'
            'settings = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))\n')
COMPOSE_SOL = ('import subprocess\n'
               'from pathlib import Path\n'
               'file = Path(P["dir"]) / "compose.yaml"\n'
               'file.write_text(f"services:\\n  {{P[\'service\']}}:\\n    image: coursekit/busybox:1\\n"\n'
               '                f"    command: sleep 3600{init}\\n")\n'
               'up = subprocess.run(["docker", "compose", "-p", P["name"], "-f", str(file), "up", "-d",\n'
               '                     "--scale", {scale}], check=True, capture_output=True)')


TASKS: list[Task] = [
    Task("hello-run", "01_hello_container", "easy",
         "Run a container named {name} from the course's busybox image that prints only the kernel "
         "release (uname -r) and exits. Do not remove it: the check reads its output.",
         lambda r: {}, _c_hello_run, "The task names the command; what matters is how the container runs: one removed when it exits (--rm) leaves nothing for the check to read. Lesson 01 ran the same kind of container with the CLI and with client.containers.run().",
         'client.containers.run(ck.BUSYBOX, "uname -r", detach=True, name=P["name"], labels=ck.labels()).wait()',
         [('client.containers.run(ck.BUSYBOX, "uname -a", detach=True, name=P["name"], labels=ck.labels()).wait()',
           "not just the kernel release"),
          ('client.containers.create(ck.BUSYBOX, "uname -r", name=P["name"], labels=ck.labels())',
           "never started"),
          (_sleep().replace('"sleep 3600"', '["sh", "-c", "uname -r; sleep 3600"]'),
           "should have printed and exited"),
          ('client.containers.run(ck.BUSYBOX, ["sh", "-c", "uname -r; exit 3"], detach=True, name=P["name"], labels=ck.labels()).wait()',
           "exited with code 3")],
         requires="a container {name} that ran and exited with code 0, whose whole output is the kernel release."),
    Task("hello-hostname", "01_hello_container", "easy",
         "Start a container named {name}, in the background, that keeps running (sleep 3600) and "
         "whose hostname is {hostname}.",
         lambda r: {"hostname": f"box-{r.choice(WORDS)}"}, _c_hello_hostname,
         "A container's hostname is set when it is created: `docker run --help` lists a flag with 'hostname' in its name, and the SDK's containers.run() takes a keyword of the same name. It must keep running, in the background, as lesson 01's sleeper did.",
         _sleep('hostname=P["hostname"], '),
         [(_sleep(), "its hostname is"),
          (_sleep('environment={"HOSTNAME": P["hostname"]}, '), "its hostname is"),
          *_stopped('hostname=P["hostname"], ')],
         requires="{name} is running (not just created, not exited) and its hostname is {hostname}."),
    Task("vm-hostpid", "02_containers_vs_vms", "medium",
         "Start a container named {name} running sleep 3600 in the background, find the host PID of "
         "its sleep process, and pass it to the check: ex.check('vm-hostpid', answer).",
         lambda r: {}, _c_vm_hostpid, "The PID a process has inside its container is not the one the host gives it. Lesson 02 listed a container's processes from the host's side; `docker inspect` shows the same number under State.",
         'c = ' + _sleep() + '\nc.reload()\nanswer = c.attrs["State"]["Pid"]',
         [('c = ' + _sleep() + '\nanswer = 1', "PID inside the container"),
          ('import os\nc = ' + _sleep() + '\nanswer = os.getpid()', "is not the host PID"),
          ('c = ' + _created() + '\nc.reload()\nanswer = c.attrs["State"]["Pid"]', "never started"),
          ('c = client.containers.run(ck.BUSYBOX, "true", detach=True, name=P["name"], labels=ck.labels())\n'
           'c.wait()\nc.reload()\nanswer = c.attrs["State"]["Pid"]', "not running")],
         requires="{name} is running, and your answer is the host PID of its main process.",
         takes_answer=True),
    Task("ns-share-net", "03_namespaces", "medium",
         "The task started {a}. Start a second container named {name} (sleep 3600, in the background) "
         "in {a}'s network namespace.",
         lambda r: {"a": _name("ex-ns-share-net-first")}, _c_ns_share_net,
         "Lesson 03 started a container inside another container's namespace. Which --network value names a container instead of a network? (SDK: network_mode.)",
         _sleep('network_mode=f"container:{P[\'a\']}", '),
         [(_sleep(), "not the network namespace of"),
          (_sleep('network_mode="host", '), "not the network namespace of"),
          *_stopped('network_mode=f"container:{P[\'a\']}", ')],
         requires="{a} and {name} are both running, and {name}'s network mode is container:{a}.",
         setup=_setup_share),
    Task("ns-pid-host", "03_namespaces", "easy",
         "Start a container named {name} (sleep 3600, in the background) that sees every process of "
         "the host.", lambda r: {}, _c_ns_pid_host, "--pid chooses the PID namespace, and one of its values means 'no new one: the host's'. (SDK: pid_mode.) Lesson 03's namespace table compares the links afterwards.",
         _sleep('pid_mode="host", '),
         [(_sleep('ipc_mode="host", '), "own PID namespace"),
          *_stopped('pid_mode="host", ', cmd="ps")],
         requires="{name} is running and shares the host's PID namespace (PidMode host)."),
    Task("ns-ipc", "03_namespaces", "hard",
         "Start {a2} with a shareable IPC namespace, then {name} joining it; both sleep 3600 in the "
         "background.", lambda r: {"a2": _name("ex-ns-ipc-first")}, _c_ns_ipc,
         "`docker run --help` lists the --ipc modes: one lets a container offer its IPC namespace to others, another joins a named container's. (SDK: ipc_mode.)",
         _sleep('ipc_mode="shareable", ').replace('P["name"]', 'P["a2"]') + '\n'
         + _sleep('ipc_mode=f"container:{P[\'a2\']}", '),
         [(_sleep().replace('P["name"]', 'P["a2"]') + '\n' + _sleep(), "--ipc shareable"),
          (_sleep('ipc_mode="shareable", ').replace('P["name"]', 'P["a2"]') + '\n' + _sleep(), "has IPC mode"),
          (_sleep('ipc_mode="shareable", ').replace('P["name"]', 'P["a2"]') + '\n' + _sleep('ipc_mode="host", '),
           "has IPC mode"),
          (_sleep('ipc_mode="private", ').replace('P["name"]', 'P["a2"]') + '\n'
           + _sleep('ipc_mode=f"container:{P[\'a2\']}", '), "--ipc shareable"),
          (_sleep('ipc_mode="shareable", ').replace('P["name"]', 'P["a2"]') + '\n'
           + _created('ipc_mode=f"container:{P[\'a2\']}", '), "never started")],
         requires="{a2} (IPC mode shareable) and {name} (IPC mode container:{a2}) are both running."),
    Task("cg-memory", "04_cgroups", "easy",
         "Start a container named {name} (sleep 3600, in the background) that may use at most {mem} MiB "
         "of memory.", lambda r: {"mem": r.choice([48, 64, 96, 128])}, _c_cg_memory,
         "Lesson 04 limited memory with one `docker run` flag that takes a size with a unit (m for MiB). The SDK's keyword for it ends in _limit.",
         _sleep('mem_limit=f"{P[\'mem\']}m", '),
         [(_sleep('mem_limit=f"{P[\'mem\'] * 2}m", '), "its memory limit is"),
          (_sleep('mem_reservation=f"{P[\'mem\']}m", '), "a reservation is not a limit"),
          (_created('mem_limit=f"{P[\'mem\']}m", '), "never started")],
         requires="{name} is running with a memory limit of exactly {mem} MiB."),
    Task("cg-cpus", "04_cgroups", "easy",
         "Start a container named {name} (sleep 3600, in the background) limited to {cpus} CPUs.",
         lambda r: {"cpus": r.choice([0.25, 0.5, 0.75, 1.5])}, _c_cg_cpus,
         "Lesson 04 limited CPU time with a flag that takes a number of CPUs, fractions allowed. The SDK counts in billionths of a CPU (nano_cpus).",
         _sleep('nano_cpus=int(P["cpus"] * 1e9), '),
         [(_sleep('cpu_shares=512, '), "--cpu-shares is a weight"),
          (_sleep('cpuset_cpus="0", '), "--cpuset-cpus picks which CPUs"),
          *_stopped('nano_cpus=int(P["cpus"] * 1e9), ')],
         requires="{name} is running with a CPU limit (--cpus, or quota/period) of exactly {cpus} CPUs."),
    Task("cg-pids", "04_cgroups", "easy",
         "Start a container named {name} (sleep 3600, in the background) that may have at most {pids} "
         "processes.", lambda r: {"pids": r.choice([20, 30, 40, 50])}, _c_cg_pids,
         "The cgroup controller that counts processes is called pids: `docker run --help | grep -i pids` finds its flag. The container must still be running when you check.",
         _sleep('pids_limit=P["pids"], '),
         [(_sleep(), "its pids limit is unlimited"),
          (_sleep('pids_limit=P["pids"] * 2, '), "its pids limit is"),
          *_stopped('pids_limit=P["pids"], ')],
         requires="{name} is running with a pids limit of exactly {pids}."),
    Task("cg-oom", "04_cgroups", "hard",
         "Run a container named {name} with a {mem} MiB memory limit (and no swap) whose workload needs "
         "more than that, so that the kernel OOM-kills it. Keep the container for the check.",
         lambda r: {"mem": r.choice([24, 32, 40])}, _c_cg_oom,
         "Reuse lesson 04's memory hog (coursekit.widgets.HOG) and let it allocate more than the limit. With swap, the kernel could page memory out instead of killing: which flag limits memory and swap together?",
         HOG_RUN.format(alloc='str(P["mem"] * 2)', limits=NO_SWAP),
         [(HOG_RUN.format(alloc='"8"', limits=NO_SWAP), "was not OOM-killed"),
          (HOG_RUN.format(alloc='str(P["mem"] * 2)', limits='mem_limit=f"{P[\'mem\']}m", '), "may also use swap"),
          (HOG_RUN.format(alloc='str(P["mem"] * 2)', limits='mem_limit=f"{P[\'mem\']}m", memswap_limit=-1, '),
           "memory+swap limit unlimited"),
          ('c = ' + _sleep(NO_SWAP) + '\nc.kill()\nc.wait(timeout=60)', "was not OOM-killed"),
          (HOG_RUN.format(alloc='str(P["mem"] * 4)', limits=NO_SWAP.replace("P['mem']", "P['mem'] * 2")),
           "its memory limit is")],
         requires="{name} has a memory limit of {mem} MiB and a memory+swap limit of the same {mem} MiB "
                  "(no swap), has stopped, and was OOM-killed by the kernel (not stopped or killed by you)."),
    Task("run-port", "05_docker_run", "medium",
         "Start a container named {name} in the background that serves HTTP on its port 80 (busybox: "
         "mkdir -p /www && echo hi > /www/index.html && httpd -f -p 80 -h /www), published on host "
         "port {port} of 127.0.0.1 only (as the course does: not on every interface of the host).",
         lambda r: {"port": _params_port(r)}, _c_run_port,
         "-p takes up to three parts, ADDRESS:HOST_PORT:CONTAINER_PORT: which side comes first? Lesson 05 published on 127.0.0.1 only, so that no other machine reaches it. Your port is {port}.",
         f'client.containers.run(ck.BUSYBOX, {HTTPD}, detach=True, ports={{"80/tcp": ("127.0.0.1", P["port"])}}, name=P["name"], labels=ck.labels())',
         [(f'client.containers.run(ck.BUSYBOX, {HTTPD}, detach=True, ports={{f"{{P[\'port\']}}/tcp": ("127.0.0.1", 80)}}, name=P["name"], labels=ck.labels())',
           "remember -p HOST:CONTAINER"),
          (f'client.containers.run(ck.BUSYBOX, {HTTPD}, detach=True, ports={{"80/tcp": P["port"]}}, name=P["name"], labels=ck.labels())',
           "all interfaces"),
          (f'client.containers.create(ck.BUSYBOX, {HTTPD}, ports={{"80/tcp": ("127.0.0.1", P["port"])}}, name=P["name"], labels=ck.labels())',
           "never started"),
          (_sleep('ports={"80/tcp": ("127.0.0.1", P["port"])}, '), "nothing answers HTTP"),
          (_exited('ports={"80/tcp": ("127.0.0.1", P["port"])}, '), "not running")],
         requires="{name} is running, its port 80 is published on 127.0.0.1:{port} and on no other "
                  "address, and an HTTP request to 127.0.0.1:{port} on the engine's host gets an answer.",
         refresh=_refresh_port),
    Task("run-volume", "05_docker_run", "medium",
         "Create a volume named {volume} and, with a container that removes itself (--rm), write a file "
         "hello.txt containing only the word {word} at the top of the volume.",
         lambda r: {"volume": _name("ex-run-volume-data"), "word": r.choice(WORDS)}, _c_run_volume,
         "A named volume is mounted with the same -v flag as a folder, with its name where the path would be. Write the file from a container that is removed when it exits: the volume keeps what it wrote.",
         'client.volumes.create(P["volume"], labels=ck.labels())\n'
         'client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P[\'word\']} > /data/hello.txt"], remove=True, volumes={P["volume"]: {"bind": "/data", "mode": "rw"}}, name=P["name"], labels=ck.labels())',
         [('client.volumes.create(P["volume"], labels=ck.labels())\n'
           'client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P[\'word\']} > /data/hello.txt"], volumes={P["volume"]: {"bind": "/data", "mode": "rw"}}, name=P["name"], labels=ck.labels())',
           "write with --rm"),
          ('client.volumes.create(P["volume"], labels=ck.labels())\n'
           'client.containers.run(ck.BUSYBOX, ["sh", "-c", f"mkdir /data/sub && echo {P[\'word\']} > /data/sub/hello.txt"], remove=True, volumes={P["volume"]: {"bind": "/data", "mode": "rw"}}, name=P["name"], labels=ck.labels())',
           "no file hello.txt at its top level"),
          ('client.volumes.create(P["volume"], labels=ck.labels())\n'
           'client.containers.run(ck.BUSYBOX, ["sh", "-c", "echo hello > /data/hello.txt"], remove=True, volumes={P["volume"]: {"bind": "/data", "mode": "rw"}}, name=P["name"], labels=ck.labels())',
           "hello.txt contains 'hello'")],
         requires="the volume {volume} exists, no container (running or stopped) still uses it, and its "
                  "top-level hello.txt contains only {word}."),
    Task("run-env", "05_docker_run", "easy",
         "Start a container named {name} (sleep 3600, in the background) with the environment variable "
         "GREETING set to {word}.", lambda r: {"word": r.choice(WORDS)}, _c_run_env,
         "`docker run --help | grep -i env` shows the flag that sets an environment variable; the SDK's containers.run() takes a dict for it.",
         _sleep('environment={"GREETING": P["word"]}, '),
         [(_sleep('environment={"GREETING": "hello"}, '), "GREETING is 'hello'"),
          (_sleep('environment={"greeting": P["word"]}, '), "GREETING is not set"),
          *_stopped('environment={"GREETING": P["word"]}, ', cmd="env")],
         requires="{name} is running and its environment has GREETING={word}."),
    Task("run-bind", "05_docker_run", "medium",
         "The task made the directory {dir}. Start a container named {name} (sleep 3600, in the "
         "background) with that directory mounted read-only at /work.",
         lambda r: {"dir": _tmp("ex-run-bind-dir")}, _c_run_bind,
         "A bind mount is -v HOST_PATH:CONTAINER_PATH, and a third part after another colon sets its mode: which mode forbids writes? In the SDK, volumes= takes a dict per folder.",
         _sleep('volumes={P["dir"]: {"bind": "/work", "mode": "ro"}}, '),
         [(_sleep('volumes={P["dir"]: {"bind": "/work", "mode": "rw"}}, '), "add :ro"),
          *_stopped('volumes={P["dir"]: {"bind": "/work", "mode": "ro"}}, '),
          (_sleep('tmpfs={"/work": ""}, '), "nothing is mounted at /work"),
          ('import os\n' + _sleep('volumes={os.path.dirname(P["dir"]): {"bind": "/work", "mode": "ro"}}, '),
           "not a bind mount of")],
         requires="{name} is running with {dir} bind-mounted read-only at /work, and reads its notes.txt there.",
         setup=_setup_scratch),
    Task("img-build", "06_images_and_build", "medium",
         "Build an image tagged {tag}:1 from the course's busybox whose default command prints the word "
         "{word}.", lambda r: {"tag": _name("ex-img-build"), "word": r.choice(WORDS)}, _c_img_build,
         "A Dockerfile needs a base image (FROM) and a default command (CMD, in the exec form with square brackets). Lesson 06 wrote one into a folder and built that folder, naming the result with -t.",
         BUILD.format(dockerfile='FROM {ck.BUSYBOX}\\nCMD ["echo", "{P["word"]}"]\\n', tag="{P['tag']}:1"),
         [(BUILD.format(dockerfile='FROM {ck.BUSYBOX}\\n', tag="{P['tag']}:1"), "prints '', not"),
          (BUILD.format(dockerfile='FROM {ck.BUSYBOX}\\nCMD ["echo", "hello"]\\n', tag="{P['tag']}:1"),
           "prints 'hello', not"),
          (BUILD.format(dockerfile='FROM {ck.BUSYBOX}\\nCMD ["echo", "{P["word"]}"]\\n', tag="{P['tag']}"),
           "there is no image tagged")],
         requires="an image {tag}:1 exists, built FROM the course's busybox, and a container run from it "
                  "with no command prints only {word}."),
    Task("img-tag", "06_images_and_build", "easy",
         "The task built {tag}:1. Give the same image a second tag, {tag}:stable.",
         lambda r: {"tag": _name("ex-img-tag")}, _c_img_tag, "An image can have several names. Which docker command adds a name to an image that exists, without building or copying anything? (SDK: a method of the Image object.)",
         'client.images.get(f"{P[\'tag\']}:1").tag(P["tag"], "stable")',
         [(BUILD.format(dockerfile='FROM {ck.BUSYBOX}\\nRUN echo other > /x\\n', tag="{P['tag']}:stable"),
           "do not rebuild"),
          ('client.images.get(f"{P[\'tag\']}:1").tag(P["tag"], "latest")', "there is no"),
          ('client.images.get(ck.BUSYBOX).tag(P["tag"], "stable")', "is a different image")],
         requires="{tag}:1 and {tag}:stable both exist and are the same image (the same ID).",
         setup=_setup_img_tag),
    Task("img-ignore", "06_images_and_build", "medium",
         "The task made a build context in {dir} (a Dockerfile that copies everything to /app, app.txt, "
         "and secret.env). Build {tag}:clean from it so that secret.env is not in the image, without "
         "deleting the file.", lambda r: {"dir": _tmp("ex-img-ignore-ctx"), "tag": _name("ex-img-ignore")},
         _c_img_ignore, "The build sends the whole folder (the context) to the engine. Lesson 06 shows a file at the top of that folder whose lines name what to leave out.",
         'from pathlib import Path\n'
         '(Path(P["dir"]) / ".dockerignore").write_text("secret.env\\n")\n'
         'client.images.build(path=P["dir"], tag=f"{P[\'tag\']}:clean", labels=ck.labels(), rm=True)',
         [('client.images.build(path=P["dir"], tag=f"{P[\'tag\']}:clean", labels=ck.labels(), rm=True)',
           "list it in .dockerignore"),
          ('from pathlib import Path\n'
           '(Path(P["dir"]) / "secret.env").unlink()\n'
           'client.images.build(path=P["dir"], tag=f"{P[\'tag\']}:clean", labels=ck.labels(), rm=True)',
           "secret.env is gone"),
          ('from pathlib import Path\n'
           '(Path(P["dir"]) / ".dockerignore").write_text("secret.env\\napp.txt\\n")\n'
           'client.images.build(path=P["dir"], tag=f"{P[\'tag\']}:clean", labels=ck.labels(), rm=True)',
           "app.txt should be in /app")],
         requires="{tag}:clean exists, its /app has app.txt but no secret.env, and secret.env is still in {dir}.",
         setup=_setup_ignore),
    Task("clean-scoped", "07_cleaning_up", "medium",
         "The task started three containers labelled coursekit.exercise={group} and one more, {keep}. "
         "Remove the three with one filtered command, and keep {keep}.",
         lambda r: {"group": _name("ex-clean-scoped-group"), "keep": _name("ex-clean-scoped-keep")},
         _c_clean_scoped, "`docker ps` lists stopped containers too with -a, filters by label with --filter and prints only ids with -q; give those ids to the command that removes containers, forcing the running ones. Nothing outside the group may go.",
         'for c in client.containers.list(all=True, filters={"label": f"coursekit.exercise={P[\'group\']}"}):\n'
         '    c.remove(force=True)',
         [('for c in client.containers.list(all=True, filters={"label": ck.label_filter()}):\n'
           '    c.remove(force=True)', "was removed too"),
          ('client.containers.list(all=True, filters={"label": f"coursekit.exercise={P[\'group\']}"})[0].remove(force=True)',
           "2 of the group's containers are still there"),
          ('for c in client.containers.list(all=True, filters={"label": f"coursekit.exercise={P[\'group\']}"}):\n'
           '    c.stop(timeout=0)', "stopped is not removed")],
         requires="no container labelled coursekit.exercise={group} is left (running or stopped), and {keep} "
                  "still exists.",
         setup=_setup_clean),
    Task("reg-push", "08_registries", "medium",
         "The task started a course registry at {address}. Push the course's busybox image there as "
         "{address}/{repo}:1.", lambda r: _registry_params(r),
         _c_reg_push, "A push goes to the registry named at the start of the image's name. Give the image a second name that starts with the registry's address ({address}), then push that name.",
         'ref = f"{P[\'address\']}/{P[\'repo\']}"\n'
         'client.images.get(ck.BUSYBOX).tag(ref, "1")\n'
         'client.images.push(ref, "1")',
         [('ref = f"{P[\'address\']}/{P[\'repo\']}"\n'
           'client.images.get(ck.BUSYBOX).tag(ref, "1")', "and push it"),
          ('ref = f"{P[\'address\']}/{P[\'repo\']}"\n'
           'client.images.get(ck.BUSYBOX).tag(ref, "latest")\n'
           'client.images.push(ref, "latest")', "not 1"),
          ('ref = f"{P[\'address\']}/{P[\'repo\']}"\n'
           + BUILD.format(dockerfile='FROM {ck.BUSYBOX}\\nRUN echo other > /x\\n', tag="{ref}:1") + '\n'
           'client.images.push(ref, "1")', "is not the course's busybox")],
         requires="the task's registry is running and holds {repo}:1, and that is the course's busybox image.",
         setup=_setup_registry),
    Task("sudo-user", "09_docker_without_sudo", "easy",
         "Start a container named {name} (sleep 3600, in the background) whose process runs as the "
         "unprivileged user 65534 (nobody) instead of root.", lambda r: {}, _c_sudo_user,
         "`docker run --help | grep -i user` shows the flag that picks the user a container's process runs as; a number works (65534 is 'nobody'). The SDK's containers.run() has a keyword of the same name.",
         _sleep('user="65534", '),
         [(_sleep(), "root (the default)"),
          (_sleep('user="1000", '), "not as user 65534"),
          *_stopped('user="65534", ')],
         requires="{name} is running, configured with user 65534 (or nobody), and its processes have uid 65534."),
    Task("sudo-owner", "09_docker_without_sudo", "medium",
         "The task made the folder {dir}, which anyone may write. Make a container write a file named "
         "owner.txt into it so that on the host the file belongs to uid {uid}, an unprivileged user, "
         "not to root.", lambda r: {"dir": _tmp("ex-sudo-owner-dir"), "uid": r.choice([1234, 2345, 4321, 5000, 31337])},
         _c_sudo_owner,
         "Files belong to the uid of the process that writes them. Lesson 09's challenge chose that uid with one "
         "`docker run` flag; the SDK's containers.run() takes a keyword of the same name.",
         _touch('user=str(P["uid"])'),
         [(_touch(), "owned by uid 0 (root"),
          (_touch('user="65534"'), "owned by uid 65534"),
          (_touch('user=str(P["uid"])', mount=False), "there is no owner.txt")],
         requires="{dir}/owner.txt exists and belongs to uid {uid} on the host.",
         setup=_setup_open_dir),
    Task("sudo-engine", "09_docker_without_sudo", "medium",
         "Start a container named {name} (sleep 3600, in the background) whose labels say what your engine "
         "is: engine.rootless=true or false (does the engine run rootless?) and engine.userns=true or false "
         "(does it remap users?). Find out from the engine, not by guessing.", lambda r: {}, _c_sudo_engine,
         "`docker info` lists the engine's security options (lesson 09 printed them); each label is true when "
         "the matching word appears there. Labels are set with --label KEY=VALUE (SDK: labels=, a dict).",
         ENGINE_SOL + 'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels={**ck.labels(), **facts})',
         [(ENGINE_SOL + 'facts = {k: {"true": "false", "false": "true"}[v] for k, v in facts.items()}\n'
           'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels={**ck.labels(), **facts})',
           "but this engine's security options say"),
          (_sleep(), "has no label engine.rootless"),
          (ENGINE_SOL + 'client.containers.run(ck.BUSYBOX, "true", detach=True, name=P["name"], labels={**ck.labels(), **facts}).wait()',
           "not running")],
         requires="{name} is running and its labels engine.rootless and engine.userns match the engine's "
                  "security options (docker info)."),
    Task("life-restart", "10_container_lifecycle", "medium",
         "Start a container named {name} in the background whose command fails at once: sh -c 'exit {code}'. "
         "Give it a restart policy under which the engine starts it again after a failure, at most {n} times. "
         "Keep the container for the check.",
         lambda r: {"code": r.choice([2, 3, 5, 7, 42]), "n": r.choice([2, 3])}, _c_life_restart,
         "Lesson 10's section 'Restart policies' lists four policies: one restarts only after a non-zero exit "
         "code, and takes the most restarts after a colon. `docker run --help | grep restart` shows the flag; "
         "the SDK's containers.run() takes restart_policy=, a dict with a Name and a MaximumRetryCount. "
         "docker inspect shows RestartCount.",
         _failing(ON_FAILURE),
         [(_failing('restart_policy={"Name": "always"}, '), "its restart policy is always"),
          (_failing(ON_FAILURE.replace('P["n"]', 'P["n"] + 2')), "its restart policy is on-failure:"),
          (_failing(), "its restart policy is no"),
          (_failing(ON_FAILURE, cmd='"exit 0"'), "exited with code 0"),
          (_failing(ON_FAILURE, cmd='"exit 1"'), "exited with code 1, not"),
          (_failing(ON_FAILURE, run=False), "never started")],
         requires="{name} has the restart policy on-failure:{n}, its command exited with code {code}, and the "
                  "engine restarted it exactly {n} times (RestartCount {n}) before it stayed exited."),
    Task("life-health", "10_container_lifecycle", "medium",
         "Start a container named {name} (sleep 3600, in the background) with a health check, run every "
         "second, that succeeds only when the file {path} exists in it. Then create that file in the running "
         "container, so that it turns healthy.",
         lambda r: {"path": f"/tmp/{r.choice(WORDS)}.ready"}, _c_life_health,
         "Lesson 10's section 'Health checks' did the same with another file: `docker run --help | grep health` "
         "lists the flags for the command and for how often it runs (the default is every 30 s). The SDK's "
         "healthcheck= is a dict whose times are in nanoseconds. A file inside a running container is made "
         "with docker exec (SDK: exec_run()).",
         'c = ' + _sleep(HEALTHY) + TOUCH,
         [('c = ' + _sleep() + TOUCH, "has no health check"),
          ('c = ' + _sleep('healthcheck={"test": ["CMD", "true"], "interval": 10**9}, ') + TOUCH, "does not test"),
          ('c = ' + _sleep(HEALTH.format(interval="")) + TOUCH, "every 30 s (the default)"),
          (_sleep(HEALTHY), "there is no file"),
          *_stopped(HEALTHY)],
         requires="{name} is running with a health check every 1 s that tests {path}, the file exists in it, "
                  "and its health status is healthy."),
    Task("life-update", "10_container_lifecycle", "hard",
         "The task started {name} (sleep 3600) with a memory limit of {start} MiB and no swap. Raise its "
         "memory limit to {mem} MiB while it runs: do not recreate, stop or restart it.",
         lambda r: {"start": r.choice([48, 64]), "mem": r.choice([128, 160, 192, 256])}, _c_life_update,
         "Lesson 10's section on rename, update and stats changed a running container's limits in place; "
         "`docker update --help | grep -i mem` lists the memory flags (the SDK's Container.update() takes "
         "the same keywords as containers.run()). If the engine refuses, read its error: it names a second "
         "limit that must change at the same time.",
         UPDATE.format(kw=RAISE),
         [(UPDATE.format(kw='mem_limit=f"{P[\'mem\']}m"'), "its memory limit is"),
          ('client.containers.get(P["name"]).remove(force=True)\n'
           + _sleep(NO_SWAP), "is a new container"),
          (UPDATE.format(kw=RAISE) + '\nc.restart(timeout=0)', "was restarted"),
          (UPDATE.format(kw='mem_reservation=f"{P[\'mem\']}m"'), "a reservation is not a limit"),
          (UPDATE.format(kw=RAISE) + '\nc.kill()', "not running")],
         requires="{name} is the container the task started, running since then without a restart, with a "
                  "memory limit of {mem} MiB in its configuration and in its cgroup's limit file.",
         setup=_setup_update),
    Task("life-cp", "10_container_lifecycle", "easy",
         "The task started {name} (sleep 3600). Copy a file from your side into it, at {path}, containing "
         "only the line {word}. The container keeps running.",
         lambda r: {"word": (w := r.choice(WORDS)), "path": f"/etc/{w}-{r.randrange(10, 100)}.conf"},
         _c_life_cp,
         "Lesson 10's section on docker cp copied a note into a running container: the container's side is "
         "written NAME:PATH. The SDK's put_archive() takes a folder in the container and a tar archive "
         "(Python's tarfile module) that holds the file.",
         _put(),
         [(_put(content='"hello\\n"'), "contains 'hello'"),
          (_put(folder='"/tmp"'), "there is no file"),
          (_put(member='P["path"].rsplit("/", 1)[1] + "/" + P["path"].rsplit("/", 1)[1]'), "is a directory"),
          (_put(then='\nc.kill()'), "not running")],
         requires="{name} is running, and {path} in it is a file whose content is the line {word}.",
         setup=_setup_sleeper),
    # --- lesson 11: Networks and Compose
    Task("net-alias", "11_networks_compose", "easy",
         "Create a user-defined network named {net}. Start a container named {name} on it (sleep 3600, in "
         "the background) that the other containers of {net} also reach under the extra name {alias}.",
         lambda r: {"net": _name("ex-net-alias-net"), "alias": r.choice(["db", "cache", "api", "queue", "store"])},
         _c_net_alias,
         "Lesson 11 started web2 on its own network with a second name: `docker run --help | grep network` "
         "lists both flags. The SDK's containers.run() takes network= and networking_config=, a dict from "
         "the network's name to client.api.create_endpoint_config(aliases=[...]).",
         NET_CREATE + _sleep(NET_ALIAS),
         [(NET_CREATE + _sleep(), "is not on"),
          (NET_CREATE + _sleep('network=P["net"], '), "has no alias"),
          (_sleep(), "there is no network named"),
          *[(NET_CREATE + code, phrase) for code, phrase in _stopped(NET_ALIAS, "true")]],
         requires="{net} is a bridge network, {name} is running on it with the alias {alias}, and a container "
                  "on {net} resolves {alias} to {name}'s address there."),
    Task("net-connect", "11_networks_compose", "medium",
         "The task started {name} (sleep 3600) on the default bridge. Create a network named {net} and "
         "connect the running {name} to it too: it keeps its place on the default bridge, and is neither "
         "recreated nor restarted.",
         lambda r: {"net": _name("ex-net-connect-net")}, _c_net_connect,
         "Lesson 11 added the running probe to a second network with one `docker network` command "
         "(`docker network --help` lists them); the SDK's Network object has a method of the same name, "
         "which takes the container.",
         NET_CREATE + 'net.connect(P["name"])',
         [(NET_CREATE, "is not on"),
          ('client.containers.get(P["name"]).remove(force=True)\n' + NET_CREATE + _sleep('network=P["net"], '),
           "is a new container"),
          (NET_CREATE + 'net.connect(P["name"])\nclient.networks.get("bridge").disconnect(P["name"])',
           "no longer on the default bridge"),
          (NET_CREATE + 'net.connect(P["name"])\nclient.containers.get(P["name"]).restart(timeout=0)',
           "was restarted")],
         requires="{name} is the container the task started, running since then without a restart, and "
                  "attached to both the default bridge and the bridge network {net}.",
         setup=_setup_sleeper),
    Task("net-envfile", "11_networks_compose", "easy",
         "The task wrote the settings file {file} (one NAME=VALUE a line). Start a container named {name} "
         "(sleep 3600, in the background) with every setting of that file in its environment, except "
         "MODE, which must be {mode} in it.",
         lambda r: {"file": _tmp("ex-net-envfile.env"), "mode": r.choice(["debug", "staging", "test"]),
                    "color": r.choice(WORDS), "level": str(r.randrange(2, 9))},
         _c_net_envfile,
         "Lesson 11's section on -e and --env-file passed a file and one more setting in one docker run; "
         "when both set a name, one of them wins. The SDK has no env file: read it into a dict for "
         "environment=, then change MODE.",
         ENV_READ + _sleep('environment={**settings, "MODE": P["mode"]}, '),
         [(ENV_READ + _sleep('environment=settings, '), "MODE is 'production'"),
          (_sleep('environment={"MODE": P["mode"]}, '), "has no COLOR"),
          *_stopped('environment={"MODE": P["mode"]}, ')],
         requires="{name} is running and the environment of its processes has COLOR and LEVEL as in {file}, "
                  "and MODE={mode}.",
         setup=_setup_envfile),
    Task("net-compose", "11_networks_compose", "hard",
         "Run a Compose project named {name} with one service, {service}: the lab image coursekit/busybox:1 "
         "running sleep 3600, with init: true, scaled to {n} running containers.",
         lambda r: {"service": r.choice(["api", "worker", "cache", "queue"]), "n": 3,   # fixed: ex.cleanup() counts them
                    "dir": _tmp("ex-net-compose-dir")},
         _c_net_compose,
         "Lesson 11's Compose section: docker compose -p NAME names the project, and up -d has a flag that "
         "runs several containers of one service. The compose file's service needs image, command and "
         "init. You may write the file into the task's folder {dir}.",
         COMPOSE_SOL.format(init="\\n    init: true", scale='f"{P[\'service\']}={P[\'n\']}"'),
         [(COMPOSE_SOL.format(init="", scale='f"{P[\'service\']}={P[\'n\']}"'), "without init"),
          (COMPOSE_SOL.format(init="\\n    init: true", scale='f"{P[\'service\']}=1"'), "are running, not"),
          (COMPOSE_SOL.format(init="\\n    init: true", scale='f"{P[\'service\']}={P[\'n\']}"').replace(
              '"-p", P["name"]', '"-p", P["name"] + "x"'), "there is no Compose project"),
          (COMPOSE_SOL.format(init="\\n    init: true", scale='f"{P[\'service\']}={P[\'n\']}"').replace(
              "{P['service']}:", "app:").replace("f\"{P['service']}=", 'f"app='), "has no service")],
         requires="{n} running containers carry the labels com.docker.compose.project={name} and "
                  "com.docker.compose.service={service}, each running with init (HostConfig.Init).",
         setup=_setup_open_dir),
]

# --- lesson 12: Dockerfiles with BuildKit -------------------------------------------------
# Its checks read the built image's configuration (attrs), run it, copy files out of a
# container created from it (never started), and search its history and `docker save`.
def _built(client, p, from_busybox=True):
    """The task's image {tag}:1 and the problems found so far: (None, [why]) if it is
    missing; a problem if it is not FROM busybox."""
    problems: list[str] = []
    img = _get(client, "image", f"{p['tag']}:1")
    if img is None:
        return None, [f"there is no image tagged {p['tag']}:1 (docker build -t {p['tag']}:1 ...)"]
    base = _get(client, "image", BUSYBOX)
    layers = base.attrs["RootFS"].get("Layers") or [] if base else []
    if from_busybox and layers and (img.attrs["RootFS"].get("Layers") or [])[:len(layers)] != layers:
        problems.append(f"{p['tag']}:1 is not built FROM the course's busybox ({BUSYBOX})")
    return img, problems


def _run_args(client, img, args) -> str:
    """What a container of ``img`` prints with ``args`` (None: the image's own CMD)."""
    import docker
    try:
        return _run_image(client, img.id, args, timeout=20)[1].strip()
    except docker.errors.APIError as err:       # the engine could not start args[0]
        return f"(does not start: {str(err.explanation)[:60]})"


def _c_build_entry(client, p, answer):
    img, problems = _built(client, p)
    if img is None:
        return problems
    out, want = _run_args(client, img, None), f"{p['word']} hello"
    if out != want:
        problems.append(f"run with no arguments it prints {out!r}, not {want!r}")
    out, want = _run_args(client, img, [p["arg"]]), f"{p['word']} {p['arg']}"
    if out.startswith("(does not start"):
        problems.append(f"run with the argument {p['arg']} it does not start: the argument replaced "
                        f"the whole CMD, and the engine tried to run a program called {p['arg']}")
    elif out != want:
        problems.append(f"run with the argument {p['arg']} it prints {out!r}, not {want!r}")
    return problems


def _c_build_config(client, p, answer):
    img, problems = _built(client, p)
    if img is None:
        return problems
    cfg = img.attrs["Config"]
    if f"APP_MODE={p['mode']}" not in (cfg.get("Env") or []):
        problems.append(f"APP_MODE={p['mode']} is not in the image's environment (Config.Env): "
                        "a build argument is gone after the build")
    if cfg.get("WorkingDir") != p["dir"]:
        problems.append(f"the working folder (Config.WorkingDir) is {cfg.get('WorkingDir')!r}, not {p['dir']!r}")
    if (cfg.get("User") or "").split(":")[0] != "65534":
        problems.append(f"the container's user (Config.User) is {cfg.get('User') or 'root (unset)'!r}, not 65534")
    if (cfg.get("Labels") or {}).get("course.team") != p["team"]:
        problems.append(f"the label course.team is {(cfg.get('Labels') or {}).get('course.team')!r}, not {p['team']!r}")
    return problems


def _c_build_multi(client, p, answer):
    import docker
    import io
    import tarfile
    img, problems = _built(client, p, from_busybox=False)
    if img is None:
        return problems
    box = _check_box(client, img.id, ["none"])       # never started: only its files are read
    try:
        try:
            stream, _ = box.get_archive("/site/index.html")
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
                member = tar.getmembers()[0]
                text = tar.extractfile(member).read().decode(errors="replace").strip() if member.isfile() else None
            if text != p["word"]:
                problems.append(f"/site/index.html contains {text!r}, not {p['word']!r}")
        except docker.errors.NotFound:
            problems.append("there is no /site/index.html in the image")
        try:
            box.get_archive("/bin/busybox")
            problems.append("the image still holds /bin/busybox, the build stage's tools: the final "
                            "stage should start FROM scratch and copy only /site")
        except docker.errors.NotFound:
            pass
    finally:
        box.remove(force=True)
    return problems


def _c_build_secret(client, p, answer):
    import hashlib
    img, problems = _built(client, p)
    if img is None:
        return problems
    want = hashlib.sha256(p["token"].encode()).hexdigest()
    out = _run_args(client, img, ["cat", "/token.sha"])
    if out != want:
        problems.append(f"/token.sha holds {out[:80]!r}, not the 64 hex digits of token.txt's SHA-256 alone"
                        " (if the build said CACHED for that step, it reused a step run with another "
                        "token: a secret is not part of BuildKit's cache key; build with --no-cache)")
    if any(p["token"] in (row.get("CreatedBy") or "") for row in img.history()):
        problems.append("the token is in the image's history (docker history --no-trunc): "
                        "a build argument is recorded there")
    elif p["token"].encode() in b"".join(img.save()):
        problems.append("the token is in a layer of the image (docker save): a file copied in "
                        "stays in its layer, even if a later step deletes it")
    return problems


def _c_build_order(client, p, answer):
    img, problems = _built(client, p)
    if img is None:
        return problems
    out = _run_args(client, img, None)
    if out != p["word"]:
        problems.append(f"run with no arguments it prints {out[:60]!r}, not {p['word']!r}: app.txt must "
                        "still be copied to /app/app.txt (and CMD kept)")
    base = _get(client, "image", BUSYBOX)
    rows = [r.get("CreatedBy") or "" for r in img.history()]      # newest first
    rows = rows[:len(rows) - len(base.history())] if base else rows
    install = [i for i, r in enumerate(rows) if f"installing {p['pkg']}" in r]
    if not install:
        problems.append(f"the install step (RUN echo installing {p['pkg']} ...) is missing")
    elif any(i > install[0] for i, r in enumerate(rows) if "COPY" in r):     # older: before it
        problems.append("the install step runs after a COPY: an edit to app.txt makes it run again")
    return problems


def _setup_order(client, p):
    d = Path(p["dir"])
    d.mkdir(parents=True, exist_ok=True)
    (d / "Dockerfile").write_text(f"FROM {BUSYBOX}\nCOPY app.txt /app/app.txt\n{INSTALL.format(pkg=p['pkg'])}\n"
                                  'CMD ["cat", "/app/app.txt"]\n')
    (d / "app.txt").write_text(p["word"] + "\n")


def _setup_secret(client, p):
    Path(p["dir"]).mkdir(parents=True, exist_ok=True)
    (Path(p["dir"]) / "token.txt").write_text(p["token"])


def _cli_build(dockerfile: str, flags: str = "") -> str:
    """Answer code: build P["tag"]:1 with the CLI (BuildKit) from Python, the Dockerfile on
    stdin (no context needed)."""
    return ('import subprocess\n'
            f'dockerfile = f\'{dockerfile}\'\n'
            f'done = subprocess.run(["docker", "build", {flags}"-t", f"{{P[\'tag\']}}:1", *ck.cli_labels().split(), "-"],\n'
            '                      input=dockerfile, text=True, capture_output=True, check=True)')


ENTRY = 'FROM {{ck.BUSYBOX}}\\n{lines}'
SECRET_RUN = ('RUN --mount=type=secret,id={P["id"]} sha256sum /run/secrets/{P["id"]} | cut -c1-64 '
              '> /token.sha\\n')
SECRET_FLAG = '"--no-cache", "--secret", f"id={P[\'id\']},src={P[\'dir\']}/token.txt", '
MULTI = ('FROM {{ck.BUSYBOX}} AS build\\nRUN mkdir /site && echo {word} > /site/index.html\\n'
         'FROM {final}\\nCOPY --from=build /site{src} /site{dst}\\n')
CONFIG = ('FROM {{ck.BUSYBOX}}\\n{env}\\n{workdir}\\n{user}LABEL course.team={{P["team"]}}\\n')
CONFIG_OK = dict(env='ENV APP_MODE={P["mode"]}', workdir='WORKDIR {P["dir"]}', user="USER 65534\\n")
ORDER = 'FROM {{ck.BUSYBOX}}\\n{first}\\n{then}\\nCMD ["cat", "/app/app.txt"]\\n'
INSTALL = "RUN echo installing {pkg} && sleep 1 && echo {pkg} > /deps.txt"
ORDER_SDK = ('from pathlib import Path\n'
             '(Path(P["dir"]) / "Dockerfile").write_text(f\'{dockerfile}\')\n'
             'client.images.build(path=P["dir"], tag=f"{{P[\'tag\']}}:1", labels=ck.labels(), rm=True)')
SDK_CTX = ('from pathlib import Path\n'
           '(Path(P["dir"]) / "Dockerfile").write_text(f\'FROM {{ck.BUSYBOX}}\\n{lines}\')\n'
           'client.images.build(path=P["dir"], tag=f"{{P[\'tag\']}}:1", labels=ck.labels(), rm=True{kw})')

TASKS += [
    Task("build-entrypoint", "12_dockerfiles", "easy",
         "Build an image {tag}:1 from the course's busybox such that `docker run {tag}:1` prints "
         "`{word} hello` and `docker run {tag}:1 {arg}` prints `{word} {arg}`.",
         lambda r: {"tag": _name("ex-build-entrypoint"), "word": r.choice(WORDS),
                    "arg": r.choice(["north", "south", "east", "west"])},
         _c_build_entry,
         "Lesson 12's three images: which instruction's words stay when docker run is given arguments, "
         "and which one's are replaced by them? Use the exec form (a JSON list) for both.",
         BUILD.format(dockerfile=ENTRY.format(lines='ENTRYPOINT ["echo", "{P["word"]}"]\\nCMD ["hello"]\\n'),
                      tag="{P['tag']}:1"),
         [(BUILD.format(dockerfile=ENTRY.format(lines='CMD ["echo", "{P["word"]}", "hello"]\\n'),
                        tag="{P['tag']}:1"), "does not start"),
          (BUILD.format(dockerfile=ENTRY.format(lines='ENTRYPOINT echo {P["word"]} hello\\n'),
                        tag="{P['tag']}:1"), "with the argument"),
          (BUILD.format(dockerfile=ENTRY.format(lines='ENTRYPOINT ["echo", "{P["word"]}", "hello"]\\n'),
                        tag="{P['tag']}:1"), "with the argument"),
          (BUILD.format(dockerfile=ENTRY.format(lines='ENTRYPOINT ["echo", "{P["word"]}"]\\n'),
                        tag="{P['tag']}:1"), "with no arguments")],
         requires="{tag}:1 exists, built FROM the course's busybox; run with no arguments it prints only "
                  "`{word} hello`, run with the one argument {arg} it prints only `{word} {arg}`."),
    Task("build-config", "12_dockerfiles", "medium",
         "Build an image {tag}:1 from the course's busybox whose containers start in the folder {dir}, "
         "as the user 65534, with the environment variable APP_MODE={mode}; label the image "
         "course.team={team}.",
         lambda r: {"tag": _name("ex-build-config"), "dir": f"/srv/{r.choice(WORDS)}",
                    "mode": r.choice(["production", "staging", "debug"]), "team": r.choice(WORDS)},
         _c_build_config,
         "Four instructions of lesson 12's configuration table: one for the environment (not ARG: it ends "
         "with the build), one for the folder, one for the user, one for metadata. docker inspect "
         "--format '{{json .Config}}' shows what you got.",
         BUILD.format(dockerfile=CONFIG.format(**CONFIG_OK), tag="{P['tag']}:1"),
         [(BUILD.format(dockerfile=CONFIG.format(**{**CONFIG_OK, "env": 'ARG APP_MODE={P["mode"]}'}),
                        tag="{P['tag']}:1"), "not in the image's environment"),
          (BUILD.format(dockerfile=CONFIG.format(**{**CONFIG_OK, "workdir": 'RUN mkdir -p {P["dir"]} && cd {P["dir"]}'}),
                        tag="{P['tag']}:1"), "the working folder"),
          (BUILD.format(dockerfile=CONFIG.format(**{**CONFIG_OK, "user": ""}), tag="{P['tag']}:1"),
           "the container's user"),
          (BUILD.format(dockerfile=CONFIG.format(**CONFIG_OK).replace("course.team", "team"),
                        tag="{P['tag']}:1"), "the label course.team")],
         requires="{tag}:1 exists, built FROM the course's busybox, and its configuration has APP_MODE={mode} "
                  "in its environment, {dir} as working folder, 65534 as user and the label course.team={team}."),
    Task("build-multistage", "12_dockerfiles", "medium",
         "Build an image {tag}:1 with a multi-stage Dockerfile: a first stage, FROM the course's busybox, "
         "writes the word {word} into /site/index.html; the final image holds that /site/index.html and "
         "none of busybox's tools.",
         lambda r: {"tag": _name("ex-build-multistage"), "word": r.choice(WORDS)},
         _c_build_multi,
         "Lesson 12's multi-stage build: give the first stage a name (FROM ... AS NAME), start the last "
         "stage from the empty image, and copy the folder across from the named stage (a flag of COPY).",
         _cli_build(MULTI.format(word='{P["word"]}', final="scratch", src="", dst="")),
         [(_cli_build('FROM {ck.BUSYBOX}\\nRUN mkdir /site && echo {P["word"]} > /site/index.html\\n'),
           "still holds /bin/busybox"),
          (_cli_build(MULTI.format(word='{P["word"]}', final="{ck.BUSYBOX}", src="", dst="")),
           "still holds /bin/busybox"),
          (_cli_build(MULTI.format(word='{P["word"]}', final="scratch", src="/index.html", dst="-index.html")),
           "there is no /site/index.html"),
          (_cli_build(MULTI.format(word="hello", final="scratch", src="", dst="")), "contains 'hello'")],
         requires="{tag}:1 exists, its /site/index.html contains only {word}, and it has no /bin/busybox."),
    Task("build-secret", "12_dockerfiles", "hard",
         "The task wrote a token into {dir}/token.txt. Build an image {tag}:1 from the course's busybox "
         "whose file /token.sha holds the token's SHA-256 (the 64 hex digits alone), computed during "
         "the build, while the token itself is in no layer and not in the image's history. Give the "
         "build secret the id {id} (your own: a neighbour's build of the same Dockerfile at the same "
         "moment could be merged with yours).",
         lambda r: {"tag": _name("ex-build-secret"), "dir": _tmp("ex-build-secret-ctx"),
                    "token": f"{r.getrandbits(128):032x}", "id": f"token-{r.getrandbits(24):06x}"},
         _c_build_secret,
         "Lesson 12's build secrets: of the three ways it tried, only one left the token in neither "
         "docker history nor docker save. It needs BuildKit, so the CLI (the SDK's builder has no "
         "RUN --mount). `sha256sum FILE | cut -c1-64` prints the digits alone; --no-cache makes sure the step "
         "reads your token, not a cached result of someone else's.",
         _cli_build('FROM {ck.BUSYBOX}\\n' + SECRET_RUN, SECRET_FLAG),
         [(SDK_CTX.format(lines='COPY token.txt /t\\nRUN sha256sum /t | cut -c1-64 > /token.sha\\nRUN rm /t\\n', kw=""),
           "in a layer of the image"),
          (SDK_CTX.format(lines='ARG TOKEN\\nRUN echo -n $TOKEN | sha256sum | cut -c1-64 > /token.sha\\n',
                          kw=', buildargs={"TOKEN": P["token"]}'), "in the image's history"),
          (_cli_build('FROM {ck.BUSYBOX}\\n' + SECRET_RUN.replace(" | cut -c1-64", ""), SECRET_FLAG),
           "not the 64 hex digits")],
         requires="{tag}:1 exists, built FROM the course's busybox; a container of it prints the SHA-256 of "
                  "token.txt's content with `cat /token.sha`; the token is in none of its history rows "
                  "and nowhere in `docker save` of it.",
         setup=_setup_secret),
    Task("build-order", "12_dockerfiles", "medium",
         "The task wrote a build context into {dir}: its Dockerfile copies app.txt, then runs a slow "
         "install of {pkg}. Reorder it so that an edit to app.txt no longer makes the install run again, "
         "and build it as {tag}:1. The image still prints app.txt.",
         lambda r: {"tag": _name("ex-build-order"), "dir": _tmp("ex-build-order-ctx"), "word": r.choice(WORDS),
                    "pkg": r.choice(["libfoo", "libbar", "libbaz"])},
         _c_build_order,
         "Lesson 12's cache demo: a step runs again when anything before it changed. Which of the two "
         "steps changes more often, and which should come first? docker history lists the steps, newest first.",
         ORDER_SDK.format(dockerfile=ORDER.format(first=INSTALL.format(pkg='{P["pkg"]}'),
                                                  then="COPY app.txt /app/app.txt")),
         [('client.images.build(path=P["dir"], tag=f"{P[\'tag\']}:1", labels=ck.labels(), rm=True)',
           "runs after a COPY"),
          (ORDER_SDK.format(dockerfile=ORDER.format(first="COPY . /app/", then=INSTALL.format(pkg='{P["pkg"]}'))),
           "runs after a COPY"),
          (ORDER_SDK.format(dockerfile=ORDER.format(first=INSTALL.format(pkg='{P["pkg"]}'), then="RUN mkdir /app")),
           "must still be copied"),
          (ORDER_SDK.format(dockerfile=ORDER.format(first="COPY app.txt /app/app.txt", then="RUN true")),
           "the install step")],
         requires="{tag}:1 exists, built FROM the course's busybox; run with no arguments it prints {word} "
                  "(app.txt); its history has the install of {pkg}, and no COPY before it.",
         setup=_setup_order),
]
TASKS_BY_ID = {t.id: t for t in TASKS}

# The same solutions with the CLI, ``{key}`` being the task's values (``P_<task>[key]``);
# tests/integration/test_exercises.py runs each through a shell and checks it passes.
CLI = {
    "hello-run": "docker run --name {name} coursekit/busybox:1 uname -r",
    "hello-hostname": "docker run -d --name {name} --hostname {hostname} coursekit/busybox:1 sleep 3600",
    "vm-hostpid": "docker run -d --name {name} coursekit/busybox:1 sleep 3600\n"
                  "docker inspect --format '{{{{.State.Pid}}}}' {name}     # pass that number as answer",
    "ns-share-net": "docker run -d --name {name} --network container:{a} coursekit/busybox:1 sleep 3600",
    "ns-pid-host": "docker run -d --name {name} --pid host coursekit/busybox:1 sleep 3600",
    "ns-ipc": "docker run -d --name {a2} --ipc shareable coursekit/busybox:1 sleep 3600\n"
              "docker run -d --name {name} --ipc container:{a2} coursekit/busybox:1 sleep 3600",
    "cg-memory": "docker run -d --name {name} -m {mem}m coursekit/busybox:1 sleep 3600",
    "cg-cpus": "docker run -d --name {name} --cpus {cpus} coursekit/busybox:1 sleep 3600",
    "cg-pids": "docker run -d --name {name} --pids-limit {pids} coursekit/busybox:1 sleep 3600",
    "cg-oom": "docker run --name {name} -m {mem}m --memory-swap {mem}m coursekit/busybox:1 "
              "sh -c 'tail /dev/zero'     # any program that allocates more than {mem} MiB",
    "run-port": "docker run -d --name {name} -p 127.0.0.1:{port}:80 coursekit/busybox:1 "
                "sh -c 'mkdir -p /www && echo hi > /www/index.html && httpd -f -p 80 -h /www'",
    "run-volume": "docker volume create {volume}\n"
                  "docker run --rm --name {name} -v {volume}:/data coursekit/busybox:1 sh -c 'echo {word} > /data/hello.txt'",
    "run-env": "docker run -d --name {name} -e GREETING={word} coursekit/busybox:1 sleep 3600",
    "run-bind": "docker run -d --name {name} -v {dir}:/work:ro coursekit/busybox:1 sleep 3600",
    "img-build": "printf 'FROM coursekit/busybox:1\\nCMD [\"echo\", \"{word}\"]\\n' | docker build -t {tag}:1 -",
    "img-tag": "docker tag {tag}:1 {tag}:stable",
    "img-ignore": "echo secret.env > {dir}/.dockerignore\n"
                  "docker build -t {tag}:clean {dir}",
    "clean-scoped": "docker rm -f $(docker ps -aq --filter label=coursekit.exercise={group})",
    "reg-push": "docker tag coursekit/busybox:1 {address}/{repo}:1\n"
                "docker push {address}/{repo}:1",
    "sudo-user": "docker run -d --name {name} --user 65534 coursekit/busybox:1 sleep 3600",
    "sudo-owner": "docker run --name {name} --user {uid} -v {dir}:/mnt coursekit/busybox:1 touch /mnt/owner.txt",
    "sudo-engine": "docker info --format '{{{{.SecurityOptions}}}}'     # rootless? userns?\n"
                   "docker run -d --name {name} --label engine.rootless=false --label engine.userns=false "
                   "coursekit/busybox:1 sleep 3600     # with what docker info said",
    "life-restart": "docker run -d --name {name} --restart on-failure:{n} coursekit/busybox:1 sh -c 'exit {code}'\n"
                    "docker inspect --format '{{{{.RestartCount}}}} {{{{.State.Status}}}}' {name}     # a moment later",
    "life-health": "docker run -d --name {name} --health-cmd 'test -f {path}' --health-interval 1s "
                   "coursekit/busybox:1 sleep 3600\n"
                   "docker exec {name} touch {path}",
    "life-update": "docker update --memory {mem}m --memory-swap {mem}m {name}",
    "life-cp": "f=$(mktemp)\necho {word} > $f\ndocker cp $f {name}:{path}\nrm $f",
    # lesson 12
    "build-entrypoint": "printf 'FROM coursekit/busybox:1\\nENTRYPOINT [\"echo\", \"{word}\"]\\nCMD [\"hello\"]\\n' "
                        "| docker build -t {tag}:1 -",
    "build-config": "printf 'FROM coursekit/busybox:1\\nENV APP_MODE={mode}\\nWORKDIR {dir}\\nUSER 65534\\n"
                    "LABEL course.team={team}\\n' | docker build -t {tag}:1 -",
    "build-multistage": "printf 'FROM coursekit/busybox:1 AS build\\nRUN mkdir /site && echo {word} > /site/index.html\\n"
                        "FROM scratch\\nCOPY --from=build /site /site\\n' | docker build -t {tag}:1 -",
    "build-secret": "printf 'FROM coursekit/busybox:1\\nRUN --mount=type=secret,id={id} "
                    "sha256sum /run/secrets/{id} | cut -c1-64 > /token.sha\\n' "
                    "| docker build --no-cache --secret id={id},src={dir}/token.txt -t {tag}:1 -",
    "build-order": "printf 'FROM coursekit/busybox:1\\nRUN echo installing {pkg} && sleep 1 && echo {pkg} > /deps.txt\\n"
                   "COPY app.txt /app/app.txt\\nCMD [\"cat\", \"/app/app.txt\"]\\n' > {dir}/Dockerfile\n"
                   "docker build -t {tag}:1 {dir}",
    "net-alias": "docker network create {net}\n"
                 "docker run -d --name {name} --network {net} --network-alias {alias} coursekit/busybox:1 sleep 3600",
    "net-connect": "docker network create {net}\n"
                   "docker network connect {net} {name}",
    "net-envfile": "docker run -d --name {name} --env-file {file} -e MODE={mode} coursekit/busybox:1 sleep 3600",
    "net-compose": "printf 'services:\\n  {service}:\\n    image: coursekit/busybox:1\\n    command: sleep 3600\\n"
                   "    init: true\\n' > {dir}/compose.yaml\n"
                   "docker compose -p {name} -f {dir}/compose.yaml up -d --scale {service}={n}",
}


def cli_text(task_id: str) -> str:
    """The CLI solution with the task's values as ``<key>`` placeholders."""
    import string
    keys = {f for _, f, _, _ in string.Formatter().parse(CLI[task_id]) if f}
    return CLI[task_id].format(**{k: f"<{k}>" for k in keys})

# --- progress ---------------------------------------------------------------------------
def _record(task_id: str) -> str | None:
    """Note a passed task; never raises (a check's verdict must not turn into a
    traceback): returns why the progress could not be saved, or None."""
    f = _progress_file()
    try:
        f.parent.mkdir(parents=True, exist_ok=True)
        try:
            data = json.loads(f.read_text()) if f.exists() else {}
        except ValueError:   # a damaged file: start again rather than fail the check
            data = {}
        data.setdefault(task_id, time.strftime("%Y-%m-%d %H:%M"))
        tmp = f.with_name(f".{f.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(f)
        return None
    except OSError as err:
        return f"progress not saved ({err.strerror}: {f})"


def reset_progress() -> None:
    _progress_file().unlink(missing_ok=True)


class Progress(dict):
    def __repr__(self) -> str:
        lines = []
        for lesson, (done, total) in self.items():
            lines.append(f"{lesson:<24} {'█' * done}{'░' * (total - done)} {done}/{total}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(l)}</td><td><progress value='{d}' max='{t}'></progress>"
                       f"</td><td>{d}/{t}</td></tr>" for l, (d, t) in self.items())
        return f"<table>{rows}</table>"


def progress() -> Progress:
    """Done / total tasks per lesson, from the local progress file."""
    f = _progress_file()
    done = set(json.loads(f.read_text())) if f.exists() else set()
    out = Progress()
    for t in TASKS:
        d, n = out.get(t.lesson, (0, 0))
        out[t.lesson] = (d + (t.id in done), n + 1)
    return out


# --- who: names and values that survive a kernel restart ---------------------------------
_IDENT_RE = re.compile(r"^[a-z0-9]{4,12}$")
_stored_ident: dict[str, str] = {}


def _state() -> dict:
    try:
        data = json.loads(_state_file().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_state(data: dict) -> bool:
    f = _state_file()
    try:
        f.parent.mkdir(parents=True, exist_ok=True)
        tmp = f.with_name(f".{f.name}.{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(f)
        return True
    except OSError:
        return False


def _pinned() -> bool:
    """Exercises are this session's alone, and nothing is stored: when a session id is
    given from outside (tests, parallel notebook runs), or outside a notebook kernel
    (scripts and test processes never act on a learner's exercises)."""
    return bool(os.environ.get(SESSION_ENV, "").strip()) or not _in_kernel()


def _in_kernel() -> bool:
    try:
        import IPython
    except ImportError:
        return False
    shell = IPython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def ident() -> str:
    """Whose exercise objects these are, in their names ``ck-<id>-ex-...``.

    ``$COURSEKIT_SESSION`` when it is set (the tests; two copies of the notebooks at once
    never collide) or outside a notebook kernel, else (in a notebook) a per-learner id
    stored beside the progress file, so the names
    and values of the tasks stay the same after a kernel restart and the checks and
    ``cleanup()`` find what the learner made before it. Where nothing can be stored, the
    kernel's session id."""
    if _pinned():
        return session()
    key = str(_state_file())
    if key not in _stored_ident:
        sid = _state().get("learner", "")
        if not (isinstance(sid, str) and _IDENT_RE.match(sid)):
            sid = "l" + secrets.token_hex(3)
            data = _state()
            data["learner"] = sid
            if not _save_state(data):
                sid = session()
        _stored_ident[key] = sid
    return _stored_ident[key]


# --- the notebook API ----------------------------------------------------------------------
_shown: dict[str, dict] = {}


def _client():
    from .connect import connect
    return connect()


def _params(task: Task) -> dict:
    """The task's values: as shown in this kernel, else as stored for this learner, else new."""
    key = f"{ident()}:{task.id}"
    if key in _shown:
        return _shown[key]
    if not _pinned():
        stored = (_state().get("values") or {}).get(task.id)
        if isinstance(stored, dict) and stored.get("name") == _name(f"ex-{task.id}"):
            return stored
    return _values(task)


def _remember(task: Task, p: dict) -> None:
    _shown[f"{ident()}:{task.id}"] = p
    if not _pinned():
        data = _state()
        if (data.get("values") or {}).get(task.id) != p:
            data.setdefault("values", {})[task.id] = p
            _save_state(data)


def show(task_id: str) -> Shown:
    """Prepare the task (what it provides) and show it with your values.

    In the notebooks each task has its own variable (``P_run_port = ex.show("run-port")``),
    and the checks never read it: running the cells in any order is safe."""
    task = TASKS_BY_ID[task_id]
    p = dict(_params(task))
    client = _client() if (task.setup or task.refresh) else None
    if task.refresh:
        task.refresh(client, p)
    if task.setup:
        task.setup(client, p)
    _remember(task, p)
    return Shown(task, p)


def check(task_id: str, answer=None) -> Result:
    """Inspect the engine for the task; ✅ or ❌ with every failing point. Never raises."""
    try:
        task = TASKS_BY_ID[task_id]
    except KeyError:
        return Result(str(task_id), [f"no task {task_id!r}; the tasks are {', '.join(TASKS_BY_ID)}"])
    try:
        p = _params(task)
        problems = task.check(_client(), p, answer)
    except Exception as err:  # a stopped engine, bad input, anything: a ❌, not a traceback
        p = {}
        problems = [getattr(err, "message", None) or f"{type(err).__name__}: {err}"]
        fix = getattr(err, "fix", None)
        if fix:
            problems.append(f"fix: {fix}")
    try:
        hint_text = task.hint.format(**p) if problems else ""
    except (KeyError, IndexError):
        hint_text = task.hint
    res = Result(task_id, problems, hint_text)
    if res.ok:
        res.note = _record(task_id) or ""
    return res


def hint(task_id: str) -> str:
    task = TASKS_BY_ID[task_id]
    return task.hint.format(**_params(task))


def _prefixes() -> set[str]:
    """Exercise names: ``ck-<id>-ex-`` (see :func:`ident`) and this kernel's ``ck-<session>-ex-``
    (the course registry of reg-push is named by the session)."""
    return {_name("ex-"), name("ex-")}


def cleanup(task_id: str | None = None):
    """Remove what the task(s) created or asked for, labelled or not: containers, images and
    volumes named by the tasks (``ck-<id>-ex-...``), their folders and registry tags."""
    import shutil
    import docker
    client = _client()
    ids = [t.id for t in TASKS] if task_id is None else [task_id]
    mine = tuple(f"{pre}{t}" for pre in _prefixes() for t in ids) if task_id else tuple(_prefixes())
    params = {t: _params(TASKS_BY_ID[t]) for t in ids if t in TASKS_BY_ID}
    removed = []
    for pre in _prefixes():
        for c in client.containers.list(all=True, ignore_removed=True, filters={"name": pre}):
            if c.name.startswith(mine):
                try:
                    c.remove(force=True, v=True)
                    removed.append(c.name)
                except docker.errors.NotFound:
                    pass
    tags = tuple(f"{p['address']}/" for p in params.values() if "address" in p)
    for img in image_summaries(client):
        for tag in img.get("RepoTags") or []:
            if tag.startswith(mine) or (tags and tag.startswith(tags)):
                try:
                    client.images.remove(tag, force=tag.startswith(mine))
                    removed.append(tag)
                except docker.errors.ImageNotFound:
                    pass
                except docker.errors.APIError:
                    pass
    for pre in _prefixes():
        for n in client.networks.list(names=None, filters={"name": pre}):
            if n.name.startswith(mine):
                try:
                    n.remove()
                    removed.append(n.name)
                except (docker.errors.NotFound, docker.errors.APIError):
                    pass
    for pre in _prefixes():
        for v in client.volumes.list(filters={"name": pre}):
            if v.name.startswith(mine):
                try:
                    v.remove(force=True)
                    removed.append(v.name)
                except docker.errors.NotFound:
                    pass
    for p in params.values():
        if "dir" in p and Path(p["dir"]).name.startswith(tuple(_prefixes())) and Path(p["dir"]).exists():
            shutil.rmtree(p["dir"], ignore_errors=True)
            removed.append(p["dir"])
        if "file" in p and Path(p["file"]).name.startswith(tuple(_prefixes())) and Path(p["file"]).is_file():
            Path(p["file"]).unlink()
            removed.append(p["file"])
    return f"exercises: removed {len(removed)} objects"


# --- notebooks, generated from this one source ----------------------------------------
LESSON_TITLES = {
    "01_hello_container": "Hello, container", "02_containers_vs_vms": "Containers vs virtual machines",
    "03_namespaces": "Namespaces", "04_cgroups": "Control groups", "05_docker_run": "Running containers",
    "06_images_and_build": "Images", "07_cleaning_up": "Cleaning up", "08_registries": "Registries",
    "09_docker_without_sudo": "Docker without sudo", "10_container_lifecycle": "Container lifecycle",
    "12_dockerfiles": "Dockerfiles with BuildKit",
    "11_networks_compose": "Networks and Compose",
}
ANSWER_PLACEHOLDER = "# Your answer here: CLI (!docker ...) or SDK (client.containers.run(...)).\n"


def notebook_code(task: Task, code: str) -> str:
    """Answer code as written in the notebooks: ``P[...]`` becomes the task's own variable."""
    return re.sub(r"\bP\[", f"{task.var}[", code)


def _quiet(code: str) -> str:
    """Solutions end in a statement, so a cell shows no object reprs (ids, addresses)."""
    lines = code.rstrip("\n").split("\n")
    last = lines[-1]
    if not last.startswith((" ", "for ", "import ", "from ")) and " = " not in last.split("(")[0]:
        lines[-1] = "_ = " + last
    return "\n".join(lines)


def build_notebooks() -> dict[str, "object"]:
    """{relative path: notebook} for the learner copies and the solution copies."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    out = {}
    for lesson, title in LESSON_TITLES.items():
        tasks = [t for t in TASKS if t.lesson == lesson]
        if not tasks:
            continue
        for kind in ("learner", "solution"):
            nb = new_notebook()
            nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                         "language": "python"}
            heading = f"# Exercises: {title}" + (" (solutions)" if kind == "solution" else "")
            cells = [new_markdown_cell(
                f"{heading}\n\nTasks for the lesson [{title}](../{'../' if kind == 'solution' else ''}"
                f"notebooks/{lesson}.ipynb). Each task shows **your** values (names, ports, limits); "
                "do it with the CLI (`!docker ...`) or the SDK, then run its check: it inspects your "
                "engine and answers ✅, or ❌ with every point still missing and a hint. Each task says "
                "what its check requires. Its values are in its own variable (`P_run_port[\"port\"]` "
                "for the task `run-port`), so the tasks can be done in any order, and they stay the "
                "same after a kernel restart. You need no course labels. Checks never change "
                "anything; `ex.cleanup()` at the end removes what the tasks made, labelled or not."
                + ("\n\nEach solution is folded: click to show it." if kind == "solution" else "")),
                new_code_cell("import coursekit as ck\nfrom coursekit import exercises as ex\n\n"
                              "client = ck.connect()")]
            for i, t in enumerate(tasks, 1):
                cells.append(new_markdown_cell(f"## Task {i}: `{t.id}` ({t.level})"))
                cells.append(new_code_cell(f'{t.var} = ex.show("{t.id}")\n{t.var}'))
                answer = new_code_cell(_quiet(notebook_code(t, t.solution)) + "\n" if kind == "solution"
                                       else ANSWER_PLACEHOLDER)
                answer.metadata["tags"] = ["answer"] + (["hide-input"] if kind == "solution" else [])
                cells.append(answer)
                if kind == "solution" and t.id in CLI:
                    cells.append(new_markdown_cell(
                        f"The same with the CLI, in a terminal (`<...>`: your values, in `{t.var}`):\n\n"
                        f"```bash\n{cli_text(t.id)}\n```"))
                cells.append(new_code_cell(f'ex.check("{t.id}", answer)' if t.takes_answer
                                           else f'ex.check("{t.id}")'))
                if kind == "learner":
                    cells.append(new_markdown_cell(f'Stuck? `ex.hint("{t.id}")` shows a hint; '
                                                   "a failed check shows it too."))
            cells.append(new_markdown_cell("## Your progress, and cleaning up"))
            cells.append(new_code_cell("ex.progress()"))
            cells.append(new_code_cell("ex.cleanup()"))
            for j, c in enumerate(cells):
                c["id"] = f"{lesson[:2]}-{kind[0]}-{j:02d}"
            nb.cells = cells
            path = (f"exercises/{lesson}.ipynb" if kind == "learner"
                    else f"exercises/solutions/{lesson}.ipynb")
            out[path] = nb
    return out


def sources_of(nb) -> list[tuple[str, str, list]]:
    """What must match between a generated and a committed copy (not outputs)."""
    return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]


def write_notebooks(root: Path = ROOT) -> list[str]:
    """(Re)generate the exercise notebooks; keeps stored outputs of unchanged cells."""
    import nbformat
    written = []
    for rel, nb in build_notebooks().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            old = nbformat.read(path, as_version=4)
            if sources_of(old) == sources_of(nb):
                continue
            before = {c.get("id"): c for c in old.cells if c.cell_type == "code"}
            for c in nb.cells:      # a cell that did not change keeps its recorded output
                was = before.get(c.get("id"))
                if c.cell_type == "code" and was is not None and was.source == c.source:
                    c.outputs, c.execution_count = was.outputs, was.execution_count
                    c.metadata.update({k: v for k, v in was.metadata.items() if k == "execution"})
        nbformat.write(nb, path)
        written.append(rel)
    return written


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["--reset-progress"]:
        reset_progress()
        print("progress reset")
    else:
        done = write_notebooks()
        print("\n".join(done) or "exercise notebooks are current")
