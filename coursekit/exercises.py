"""Auto-checked exercises: tasks on the learner's real engine.

Each task has its text, per-learner values (seeded by the session, so neighbours on
one engine neither collide nor copy), a check that inspects the engine's *state*
(never the code typed), hints, a reference solution and a plausible wrong answer
(used by the tests).  In a notebook:

    P = ex.show("run-port")     # the task, with your values (P["name"], P["port"] ...)
    ... your answer, CLI (!docker ...) or SDK ...
    ex.check("run-port")        # ✅, or ❌ with every failing point and a hint

The exercise notebooks are generated from this file: ``python -m coursekit.exercises``.
"""
from __future__ import annotations

import html
import json
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .images import BUSYBOX, image_summaries
from .labelling import labels, name, session

MiB = 2**20
ROOT = Path(__file__).resolve().parent.parent


# --- results -----------------------------------------------------------------------
@dataclass
class Result:
    task: str
    problems: list[str] = field(default_factory=list)
    hint: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def __repr__(self) -> str:
        if self.ok:
            return f"✅ {self.task}: passed"
        lines = [f"❌ {self.task}: not yet"] + [f"   - {p}" for p in self.problems]
        return "\n".join(lines + ([f"   hint: {self.hint}"] if self.hint else []))

    def _repr_html_(self) -> str:
        if self.ok:
            return f"<div>✅ <b>{html.escape(self.task)}</b>: passed</div>"
        items = "".join(f"<li>{html.escape(p)}</li>" for p in self.problems)
        hint = f"<div><b>Hint:</b> {html.escape(self.hint)}</div>" if self.hint else ""
        return f"<div>❌ <b>{html.escape(self.task)}</b>: not yet<ul>{items}</ul>{hint}</div>"


class Shown(dict):
    """The task text with the learner's values; also the dict of those values."""

    def __init__(self, task: "Task", params: dict):
        super().__init__(params)
        self.task = task

    def text(self) -> str:
        """The task with your values marked «like this»."""
        return self.task.text.format(**{k: f"«{v}»" for k, v in self.items()})

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
    wrong: str
    wrong_hint: str                     # a phrase the wrong answer's report must contain
    setup: Callable | None = None       # (client, P) -> None: what the task provides
    takes_answer: bool = False


def _values(task: Task) -> dict:
    r = random.Random(f"{session()}:{task.id}")
    p = {"name": name(f"ex-{task.id}")}
    p.update(task.params(r))
    return p


def _get(client, kind: str, ident: str):
    import docker
    coll = {"container": client.containers, "image": client.images,
            "volume": client.volumes, "network": client.networks}[kind]
    try:
        obj = coll.get(ident)
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


def _run_quiet(client, cmd, **kw):
    return client.containers.run(BUSYBOX, ["sh", "-c", cmd], remove=True,
                                 name=name(f"ex-check-{random.randrange(10**6)}"),
                                 labels=labels(), **kw).decode()


# Checks --------------------------------------------------------------------------------
def _c_hello_run(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        want = client.info()["KernelVersion"]
        got = c.logs().decode().strip()
        if c.status != "exited":
            problems.append(f"{p['name']} is {c.status}: it should have printed and exited")
        if got != want:
            problems.append(f"it printed {got[:60]!r}, not just the kernel release {want!r}")
    return problems


def _c_hello_hostname(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        if c.status != "running":
            problems.append(f"{p['name']} is {c.status}, not running: start it with -d and a long command")
        if c.attrs["Config"]["Hostname"] != p["hostname"]:
            problems.append(f"its hostname is {c.attrs['Config']['Hostname']!r}, not {p['hostname']!r}")
    return problems


def _c_vm_hostpid(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
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
    if a and b:
        mode = b.attrs["HostConfig"]["NetworkMode"]
        if mode not in (f"container:{a.id}", f"container:{a.name}", f"container:{a.id[:12]}"):
            problems.append(f"{b.name} uses network mode {mode!r}, not {a.name}'s namespace")
        if b.status != "running":
            problems.append(f"{b.name} is {b.status}, not running")
    return problems


def _c_ns_pid_host(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c and c.attrs["HostConfig"]["PidMode"] != "host":
        problems.append(f"{c.name} has its own PID namespace (PidMode {c.attrs['HostConfig']['PidMode']!r})")
    return problems


def _c_ns_ipc(client, p, answer):
    problems = []
    a = _container(client, p, problems, "a2")
    b = _container(client, p, problems)
    if a and a.attrs["HostConfig"]["IpcMode"] != "shareable":
        problems.append(f"{a.name} must be started with --ipc shareable so others may join it")
    if a and b and b.attrs["HostConfig"]["IpcMode"] not in (f"container:{a.id}", f"container:{a.name}"):
        problems.append(f"{b.name} has IPC mode {b.attrs['HostConfig']['IpcMode']!r}, not {a.name}'s")
    return problems


def _c_cg_memory(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        mem = c.attrs["HostConfig"]["Memory"]
        if mem != p["mem"] * MiB:
            problems.append(f"its memory limit is {mem // MiB if mem else 'unlimited'} MiB, not {p['mem']} MiB"
                            + (" (m means MiB: -m 96m)" if mem and mem != p["mem"] * MiB else ""))
        if c.status != "running":
            problems.append(f"{c.name} is {c.status}, not running")
    return problems


def _c_cg_cpus(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        hc = c.attrs["HostConfig"]
        cpus = hc.get("NanoCpus", 0) / 1e9 or (hc.get("CpuQuota", 0) / hc["CpuPeriod"] if hc.get("CpuPeriod") else 0)
        if abs(cpus - p["cpus"]) > 1e-6:
            problems.append(f"it may use {cpus or 'all'} CPUs, not {p['cpus']}"
                            + (" (--cpu-shares is a weight, not a limit)" if hc.get("CpuShares") else ""))
    return problems


def _c_cg_pids(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c and c.attrs["HostConfig"].get("PidsLimit") != p["pids"]:
        problems.append(f"its pids limit is {c.attrs['HostConfig'].get('PidsLimit')}, not {p['pids']}")
    return problems


def _c_cg_oom(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        st, hc = c.attrs["State"], c.attrs["HostConfig"]
        if hc["Memory"] != p["mem"] * MiB:
            problems.append(f"its memory limit is {hc['Memory'] // MiB} MiB, not {p['mem']} MiB")
        if st["Running"]:
            problems.append(f"{c.name} is still running: its workload must exceed the limit")
        elif not st["OOMKilled"]:
            problems.append(f"{c.name} exited with {st['ExitCode']} but was not OOM-killed: allocate more than the limit")
    return problems


def _c_run_port(client, p, answer):
    import docker
    problems = []
    c = _container(client, p, problems)
    if c:
        binds = c.attrs["HostConfig"].get("PortBindings") or {}
        host = [int(b["HostPort"]) for b in binds.get("80/tcp") or [] if b.get("HostPort")]
        swapped = [k for k, v in binds.items() if v and any(b.get("HostPort") == "80" for b in v)]
        if swapped and not host:
            problems.append(f"port 80 of the container is not published; host port 80 is bound to container "
                            f"port {swapped[0]} instead: remember -p HOST:CONTAINER")
        elif p["port"] not in host:
            problems.append(f"container port 80 is published on host port {host or 'none'}, not {p['port']}")
        if not problems:
            # Asked from the engine's host (a helper on its network), where -p 127.0.0.1
            # publishes: the same answer on a local engine, in a VM or Docker Desktop.
            # (busybox nc, not wget: Debian's static busybox crashes in wget)
            probe = (f"for i in $(seq 30); do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | "
                     f"nc -w 1 127.0.0.1 {p['port']} | grep -q '^HTTP/' && exit 0; sleep 0.1; done; exit 1")
            try:
                _run_quiet(client, probe, network_mode="host")
            except docker.errors.ContainerError:
                problems.append(f"nothing answers on 127.0.0.1:{p['port']} of the engine's host: "
                                "is httpd running?")
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
                     volumes={p["volume"]: {"bind": "/data", "mode": "ro"}}).strip()
    if out == "MISSING":
        problems.append("the volume has no file hello.txt at its top level")
    elif out != p["word"]:
        problems.append(f"hello.txt contains {out!r}, not {p['word']!r}")
    return problems


def _c_run_env(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        env = c.attrs["Config"].get("Env") or []
        if f"GREETING={p['word']}" not in env:
            have = [e for e in env if e.startswith("GREETING=")]
            problems.append(f"GREETING is {have[0].split('=', 1)[1]!r}" if have else "GREETING is not set (-e NAME=value)")
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
    return problems


def _c_img_build(client, p, answer):
    problems = []
    img = _get(client, "image", f"{p['tag']}:1")
    if img is None:
        return [f"there is no image tagged {p['tag']}:1 (docker build -t {p['tag']}:1 ...)"]
    out = client.containers.run(img.id, remove=True, name=name("ex-check-build"),
                                labels=labels()).decode().strip()
    if out != p["word"]:
        problems.append(f"running it prints {out!r}, not {p['word']!r}: set CMD")
    return problems


def _c_img_tag(client, p, answer):
    a, b = _get(client, "image", f"{p['tag']}:1"), _get(client, "image", f"{p['tag']}:stable")
    if a is None:
        return [f"{p['tag']}:1 is missing: the task made it; ex.setup('img-tag') makes it again"]
    if b is None:
        return [f"there is no {p['tag']}:stable"]
    if a.id != b.id:
        return [f"{p['tag']}:stable is a different image from {p['tag']}:1: tag it, do not rebuild"]
    return []


def _c_img_ignore(client, p, answer):
    img = _get(client, "image", f"{p['tag']}:clean")
    if img is None:
        return [f"there is no image tagged {p['tag']}:clean"]
    listing = client.containers.run(img.id, "ls /app", remove=True, name=name("ex-check-ls"),
                                    labels=labels()).decode().split()
    problems = []
    if "secret.env" in listing:
        problems.append("secret.env is in the image: list it in .dockerignore")
    if "app.txt" not in listing:
        problems.append("app.txt should be in /app")
    return problems


def _c_clean_scoped(client, p, answer):
    left = client.containers.list(all=True, ignore_removed=True, filters={"label": [f"coursekit.exercise={p['group']}"]})
    problems = [f"{len(left)} of the group's containers are still there"] if left else []
    if _get(client, "container", p["keep"]) is None:
        problems.append(f"{p['keep']} was removed too: filter on the group's label, not everything")
    return problems


def _c_reg_push(client, p, answer):
    import urllib.request
    from .registry import running_registries
    regs = [c for c in running_registries(client) if c.name == p["registry"]]
    if not regs:
        return ["the task's registry is not running: run ex.setup('reg-push')"]
    try:
        from .connect import engine_address   # the registry API, seen from this notebook
        url = f"http://{engine_address()}:{p['address'].rsplit(':', 1)[1]}/v2/{p['repo']}/tags/list"
        tags = json.load(urllib.request.urlopen(url, timeout=3))
    except OSError:
        return [f"the registry has no repository {p['repo']}: tag {p['address']}/{p['repo']}:1 and push it"]
    return [] if "1" in (tags.get("tags") or []) else [f"{p['repo']} has tags {tags.get('tags')}, not 1"]


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
    raise RuntimeError("no free port found")


WORDS = ["aurora", "basalt", "cobalt", "dunes", "ember", "fjord", "glacier", "harbor", "iris", "jade"]


def _setup_share(client, p):
    if _get(client, "container", p["a"]) is None:
        client.containers.run(BUSYBOX, "sleep 3600", detach=True, name=p["a"], labels=labels(),
                              ipc_mode="shareable")


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


def _c_sudo_user(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        user = c.attrs["Config"].get("User") or ""
        if user.split(":")[0] not in ("65534", "nobody"):
            problems.append(f"it runs as {user or 'root (the default)'}, not as user 65534 (nobody)")
        if c.status != "running":
            problems.append(f"{c.name} is {c.status}, not running")
    return problems


def _tmp(tag):
    import tempfile
    return str(Path(tempfile.gettempdir()) / name(tag))


TASKS: list[Task] = [
    Task("hello-run", "01_hello_container", "easy",
         "Run a container named {name} from the course's busybox image that prints only the kernel "
         "release (uname -r) and exits. Do not remove it: the check reads its output.",
         lambda r: {}, _c_hello_run, "uname -r prints the release; -a prints much more. Leave out --rm.",
         'client.containers.run(ck.BUSYBOX, "uname -r", detach=True, name=P["name"], labels=ck.labels()).wait()',
         'client.containers.run(ck.BUSYBOX, "uname -a", detach=True, name=P["name"], labels=ck.labels()).wait()',
         "not just the kernel release"),
    Task("hello-hostname", "01_hello_container", "easy",
         "Start a container named {name}, in the background, that keeps running (sleep 3600) and "
         "whose hostname is {hostname}.",
         lambda r: {"hostname": f"box-{r.choice(WORDS)}"}, _c_hello_hostname,
         "docker run -d --hostname NAME ... (SDK: hostname=...)",
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, hostname=P["hostname"], name=P["name"], labels=ck.labels())',
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())',
         "its hostname is"),
    Task("vm-hostpid", "02_containers_vs_vms", "medium",
         "Start a container named {name} running sleep 3600 in the background, find the host PID of "
         "its sleep process, and pass it to the check: ex.check('vm-hostpid', answer).",
         lambda r: {}, _c_vm_hostpid, "docker top shows host PIDs; so does State.Pid in docker inspect.",
         'c = client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())\n'
         'c.reload()\nanswer = c.attrs["State"]["Pid"]',
         'c = client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())\n'
         'answer = 1', "PID inside the container", takes_answer=True),
    Task("ns-share-net", "03_namespaces", "medium",
         "The task started {a}. Start a second container named {name} (sleep 3600, in the background) "
         "in {a}'s network namespace.",
         lambda r: {"a": name("ex-ns-share-net-first")}, _c_ns_share_net, "--network container:NAME (SDK: network_mode='container:NAME')",
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, network_mode=f"container:{P[\'a\']}", name=P["name"], labels=ck.labels())',
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())',
         "not ck-", setup=_setup_share),
    Task("ns-pid-host", "03_namespaces", "easy",
         "Start a container named {name} (sleep 3600, in the background) that sees every process of "
         "the host.", lambda r: {}, _c_ns_pid_host, "--pid=host (SDK: pid_mode='host')",
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, pid_mode="host", name=P["name"], labels=ck.labels())',
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ipc_mode="host", name=P["name"], labels=ck.labels())',
         "own PID namespace"),
    Task("ns-ipc", "03_namespaces", "hard",
         "Start {a2} with a shareable IPC namespace, then {name} joining it; both sleep 3600 in the "
         "background.", lambda r: {"a2": name("ex-ns-ipc-first")}, _c_ns_ipc,
         "--ipc shareable on the first, --ipc container:FIRST on the second.",
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ipc_mode="shareable", name=P["a2"], labels=ck.labels())\n'
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ipc_mode=f"container:{P[\'a2\']}", name=P["name"], labels=ck.labels())',
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["a2"], labels=ck.labels())\n'
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())',
         "--ipc shareable"),
    Task("cg-memory", "04_cgroups", "easy",
         "Start a container named {name} (sleep 3600, in the background) that may use at most {mem} MiB "
         "of memory.", lambda r: {"mem": r.choice([48, 64, 96, 128])}, _c_cg_memory,
         "-m {mem}m (SDK: mem_limit='{mem}m')",
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, mem_limit=f"{P[\'mem\']}m", name=P["name"], labels=ck.labels())',
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, mem_limit=f"{P[\'mem\'] * 2}m", name=P["name"], labels=ck.labels())',
         "its memory limit is"),
    Task("cg-cpus", "04_cgroups", "easy",
         "Start a container named {name} (sleep 3600, in the background) limited to {cpus} CPUs.",
         lambda r: {"cpus": r.choice([0.25, 0.5, 0.75, 1.5])}, _c_cg_cpus,
         "--cpus N (SDK: nano_cpus=N * 1e9), or --cpu-quota with --cpu-period.",
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, nano_cpus=int(P["cpus"] * 1e9), name=P["name"], labels=ck.labels())',
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, cpu_shares=512, name=P["name"], labels=ck.labels())',
         "--cpu-shares is a weight"),
    Task("cg-pids", "04_cgroups", "easy",
         "Start a container named {name} (sleep 3600, in the background) that may have at most {pids} "
         "processes.", lambda r: {"pids": r.choice([20, 30, 40, 50])}, _c_cg_pids,
         "--pids-limit N (SDK: pids_limit=N)",
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, pids_limit=P["pids"], name=P["name"], labels=ck.labels())',
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())',
         "its pids limit is"),
    Task("cg-oom", "04_cgroups", "hard",
         "Run a container named {name} with a {mem} MiB memory limit (and no swap) whose workload needs "
         "more than that, so that the kernel OOM-kills it. Keep the container for the check.",
         lambda r: {"mem": r.choice([24, 32, 40])}, _c_cg_oom,
         "the lesson's HOG workload (coursekit.widgets.HOG) with ALLOC above the limit; set memswap_limit too.",
         'from coursekit.widgets import HOG\n'
         'c = client.containers.run(ck.BUSYBOX, ["sh", "-c", HOG], environment={"ALLOC": str(P["mem"] * 2), "PAUSE": "10000"}, mem_limit=f"{P[\'mem\']}m", memswap_limit=f"{P[\'mem\']}m", detach=True, name=P["name"], labels=ck.labels())\n'
         'c.wait(timeout=60)',
         'from coursekit.widgets import HOG\n'
         'c = client.containers.run(ck.BUSYBOX, ["sh", "-c", HOG], environment={"ALLOC": "8", "PAUSE": "10000"}, mem_limit=f"{P[\'mem\']}m", memswap_limit=f"{P[\'mem\']}m", detach=True, name=P["name"], labels=ck.labels())\n'
         'c.wait(timeout=60)', "was not OOM-killed"),
    Task("run-port", "05_docker_run", "medium",
         "Start a container named {name} in the background that serves HTTP on its port 80 (busybox: "
         "mkdir -p /www && echo hi > /www/index.html && httpd -f -p 80 -h /www), published on host "
         "port {port} of 127.0.0.1.", lambda r: {"port": _params_port(r)}, _c_run_port,
         "-p 127.0.0.1:{port}:80: host first, container second.",
         'client.containers.run(ck.BUSYBOX, ["sh", "-c", "mkdir -p /www && echo hi > /www/index.html && httpd -f -p 80 -h /www"], detach=True, ports={"80/tcp": ("127.0.0.1", P["port"])}, name=P["name"], labels=ck.labels())',
         'client.containers.run(ck.BUSYBOX, ["sh", "-c", "mkdir -p /www && echo hi > /www/index.html && httpd -f -p 80 -h /www"], detach=True, ports={f"{P[\'port\']}/tcp": ("127.0.0.1", 80)}, name=P["name"], labels=ck.labels())',
         "remember -p HOST:CONTAINER"),
    Task("run-volume", "05_docker_run", "medium",
         "Create a volume named {volume} and, with a container that removes itself (--rm), write a file "
         "hello.txt containing only the word {word} at the top of the volume.",
         lambda r: {"volume": name("ex-run-volume-data"), "word": r.choice(WORDS)}, _c_run_volume,
         "-v {volume}:/data and echo {word} > /data/hello.txt, with --rm.",
         'client.volumes.create(P["volume"], labels=ck.labels())\n'
         'client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P[\'word\']} > /data/hello.txt"], remove=True, volumes={P["volume"]: {"bind": "/data", "mode": "rw"}}, name=P["name"], labels=ck.labels())',
         'client.volumes.create(P["volume"], labels=ck.labels())\n'
         'client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P[\'word\']} > /data/hello.txt"], volumes={P["volume"]: {"bind": "/data", "mode": "rw"}}, name=P["name"], labels=ck.labels())',
         "write with --rm"),
    Task("run-env", "05_docker_run", "easy",
         "Start a container named {name} (sleep 3600, in the background) with the environment variable "
         "GREETING set to {word}.", lambda r: {"word": r.choice(WORDS)}, _c_run_env,
         "-e GREETING={word} (SDK: environment={{'GREETING': ...}})",
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, environment={"GREETING": P["word"]}, name=P["name"], labels=ck.labels())',
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, environment={"GREETING": "hello"}, name=P["name"], labels=ck.labels())',
         "GREETING is 'hello'"),
    Task("run-bind", "05_docker_run", "medium",
         "The task made the directory {dir}. Start a container named {name} (sleep 3600, in the "
         "background) with that directory mounted read-only at /work.",
         lambda r: {"dir": _tmp("ex-run-bind-dir")}, _c_run_bind,
         "-v {dir}:/work:ro (SDK: volumes={{dir: {{'bind': '/work', 'mode': 'ro'}}}})",
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, volumes={P["dir"]: {"bind": "/work", "mode": "ro"}}, name=P["name"], labels=ck.labels())',
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, volumes={P["dir"]: {"bind": "/work", "mode": "rw"}}, name=P["name"], labels=ck.labels())',
         "add :ro", setup=_setup_scratch),
    Task("img-build", "06_images_and_build", "medium",
         "Build an image tagged {tag}:1 from the course's busybox whose default command prints the word "
         "{word}.", lambda r: {"tag": name("ex-img-build"), "word": r.choice(WORDS)}, _c_img_build,
         "a Dockerfile with FROM and CMD [\"echo\", \"{word}\"]; docker build -t {tag}:1 DIR",
         'from coursekit.images import build_context\n'
         'client.images.build(fileobj=build_context(f\'FROM {ck.BUSYBOX}\\nCMD ["echo", "{P["word"]}"]\\n\', {}), custom_context=True, tag=f"{P[\'tag\']}:1", labels=ck.labels(), rm=True)',
         'from coursekit.images import build_context\n'
         'client.images.build(fileobj=build_context(f"FROM {ck.BUSYBOX}\\n", {}), custom_context=True, tag=f"{P[\'tag\']}:1", labels=ck.labels(), rm=True)',
         "set CMD"),
    Task("img-tag", "06_images_and_build", "easy",
         "The task built {tag}:1. Give the same image a second tag, {tag}:stable.",
         lambda r: {"tag": name("ex-img-tag")}, _c_img_tag, "docker tag SRC DST (SDK: image.tag(repo, tag))",
         'client.images.get(f"{P[\'tag\']}:1").tag(P["tag"], "stable")',
         'from coursekit.images import build_context\n'
         'client.images.build(fileobj=build_context(f"FROM {ck.BUSYBOX}\\nRUN echo other > /x\\n", {}), custom_context=True, tag=f"{P[\'tag\']}:stable", labels=ck.labels(), rm=True)',
         "do not rebuild", setup=_setup_img_tag),
    Task("img-ignore", "06_images_and_build", "medium",
         "The task made a build context in {dir} (a Dockerfile that copies everything to /app, app.txt, "
         "and secret.env). Build {tag}:clean from it so that secret.env is not in the image, without "
         "deleting the file.", lambda r: {"dir": _tmp("ex-img-ignore-ctx"), "tag": name("ex-img-ignore")},
         _c_img_ignore, "a .dockerignore file in the context listing secret.env",
         'from pathlib import Path\n'
         '(Path(P["dir"]) / ".dockerignore").write_text("secret.env\\n")\n'
         'client.images.build(path=P["dir"], tag=f"{P[\'tag\']}:clean", labels=ck.labels(), rm=True)',
         'client.images.build(path=P["dir"], tag=f"{P[\'tag\']}:clean", labels=ck.labels(), rm=True)',
         "list it in .dockerignore", setup=_setup_ignore),
    Task("clean-scoped", "07_cleaning_up", "medium",
         "The task started three containers labelled coursekit.exercise={group} and one more, {keep}. "
         "Remove the three with one filtered command, and keep {keep}.",
         lambda r: {"group": name("ex-clean-group"), "keep": name("ex-clean-keep")}, _c_clean_scoped,
         "docker rm -f $(docker ps -aq --filter label=coursekit.exercise={group})",
         'for c in client.containers.list(all=True, filters={"label": f"coursekit.exercise={P[\'group\']}"}):\n'
         '    c.remove(force=True)',
         'for c in client.containers.list(all=True, filters={"label": ck.label_filter()}):\n'
         '    c.remove(force=True)',
         "was removed too", setup=_setup_clean),
    Task("reg-push", "08_registries", "medium",
         "The task started a course registry at {address}. Push the course's busybox image there as "
         "{address}/{repo}:1.", lambda r: _registry_params(r),
         _c_reg_push, "docker tag IMAGE {address}/{repo}:1, then docker push {address}/{repo}:1",
         'ref = f"{P[\'address\']}/{P[\'repo\']}"\n'
         'client.images.get(ck.BUSYBOX).tag(ref, "1")\n'
         'client.images.push(ref, "1")',
         'ref = f"{P[\'address\']}/{P[\'repo\']}"\n'
         'client.images.get(ck.BUSYBOX).tag(ref, "1")',
         "and push it", setup=_setup_registry),
    Task("sudo-user", "09_docker_without_sudo", "easy",
         "Start a container named {name} (sleep 3600, in the background) whose process runs as the "
         "unprivileged user 65534 (nobody) instead of root.", lambda r: {}, _c_sudo_user,
         "--user 65534 (SDK: user='65534')",
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, user="65534", name=P["name"], labels=ck.labels())',
         'client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())',
         "root (the default)"),
]
TASKS_BY_ID = {t.id: t for t in TASKS}

# --- progress ---------------------------------------------------------------------------
def _progress_file() -> Path:
    return Path(os.environ.get("COURSEKIT_PROGRESS", ROOT / ".coursekit" / "progress.json"))


def _record(task_id: str) -> None:
    f = _progress_file()
    f.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(f.read_text()) if f.exists() else {}
    data.setdefault(task_id, time.strftime("%Y-%m-%d %H:%M"))
    f.write_text(json.dumps(data, indent=1))


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


# --- the notebook API ----------------------------------------------------------------------
_shown: dict[str, dict] = {}


def _client():
    from .connect import connect
    return connect()


def show(task_id: str) -> Shown:
    """Prepare the task (what it provides) and show it with your values."""
    task = TASKS_BY_ID[task_id]
    p = _shown.get(task_id) or _values(task)
    if task.setup:
        task.setup(_client(), p)
    _shown[task_id] = p
    return Shown(task, p)


def check(task_id: str, answer=None) -> Result:
    """Inspect the engine for the task; ✅ or ❌ with every failing point. Never raises."""
    try:
        task = TASKS_BY_ID[task_id]
    except KeyError:
        return Result(str(task_id), [f"no task {task_id!r}; the tasks are {', '.join(TASKS_BY_ID)}"])
    p = _shown.get(task_id) or _values(task)
    try:
        problems = task.check(_client(), p, answer)
    except Exception as err:  # a stopped engine, bad input, anything: a ❌, not a traceback
        problems = [getattr(err, "message", None) or f"{type(err).__name__}: {err}"]
        fix = getattr(err, "fix", None)
        if fix:
            problems.append(f"fix: {fix}")
    res = Result(task_id, problems, "" if not problems else task.hint.format(**p))
    if res.ok:
        _record(task_id)
    return res


def hint(task_id: str) -> str:
    task = TASKS_BY_ID[task_id]
    return task.hint.format(**(_shown.get(task_id) or _values(task)))


def cleanup(task_id: str | None = None):
    """Remove what the task(s) created or asked for: objects named ck-<session>-ex-..."""
    import shutil
    import docker
    client = _client()
    prefix = name("ex-")
    removed = []
    for c in client.containers.list(all=True, ignore_removed=True, filters={"name": prefix}):
        if c.name.startswith(prefix) and (task_id is None or c.name.startswith(name(f"ex-{task_id}"))):
            c.remove(force=True)
            removed.append(c.name)
    for img in image_summaries(client):
        for tag in img["RepoTags"]:
            if tag.startswith(prefix) and (task_id is None or tag.startswith(name(f"ex-{task_id}"))):
                try:
                    client.images.remove(tag, force=True)
                    removed.append(tag)
                except docker.errors.ImageNotFound:
                    pass
    for v in client.volumes.list(filters={"name": prefix}):
        if v.name.startswith(prefix):
            v.remove(force=True)
            removed.append(v.name)
    for t in TASKS:
        if task_id in (None, t.id):
            p = _shown.get(t.id) or _values(t)
            if "dir" in p and Path(p["dir"]).exists():
                shutil.rmtree(p["dir"], ignore_errors=True)
            if "address" in p:
                for img in image_summaries(client):
                    for tag in img["RepoTags"]:
                        if tag.startswith(p["address"] + "/"):
                            try:
                                client.images.remove(tag)
                            except docker.errors.ImageNotFound:
                                pass
    return f"exercises: removed {len(removed)} objects"


# --- notebooks, generated from this one source ----------------------------------------
LESSON_TITLES = {
    "01_hello_container": "Hello, container", "02_containers_vs_vms": "Containers vs virtual machines",
    "03_namespaces": "Namespaces", "04_cgroups": "Control groups", "05_docker_run": "Running containers",
    "06_images_and_build": "Images", "07_cleaning_up": "Cleaning up", "08_registries": "Registries",
    "09_docker_without_sudo": "Docker without sudo",
}
ANSWER_PLACEHOLDER = "# Your answer here: CLI (!docker ...) or SDK (client.containers.run(...)).\n"


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
                "engine and answers ✅, or ❌ with every point still missing and a hint. Checks never "
                "change anything; `ex.cleanup()` at the end removes what the tasks made."
                + ("\n\nEach solution is folded: click to show it." if kind == "solution" else "")),
                new_code_cell("import coursekit as ck\nfrom coursekit import exercises as ex\n\n"
                              "client = ck.connect()")]
            for i, t in enumerate(tasks, 1):
                cells.append(new_markdown_cell(f"## Task {i}: `{t.id}` ({t.level})"))
                cells.append(new_code_cell(f'P = ex.show("{t.id}")\nP'))
                answer = new_code_cell(_quiet(t.solution) + "\n" if kind == "solution" else ANSWER_PLACEHOLDER)
                answer.metadata["tags"] = ["answer"] + (["hide-input"] if kind == "solution" else [])
                cells.append(answer)
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
