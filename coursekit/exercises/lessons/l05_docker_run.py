"""Lesson 05, Running containers: the tasks run-port, run-volume, run-env, run-bind."""
from __future__ import annotations

import os
import random
from pathlib import Path

import coursekit as ck

from ..identity import _name
from ..model import Task
from ..support import WORDS, _container, _get, _params_port, _run_quiet, _running, _tmp

LESSON = "05_docker_run"
TITLE = "Running containers"


def check_run_port(client, p, answer):
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


def _refresh_port(client, p):
    """A port taken since the task chose it (and not by the learner's answer) is replaced."""
    from ...errors import PortBusy
    from ...ports import check_port_free
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


run_port = Task(
    id="run-port",
    lesson=LESSON,
    level="medium",
    text="Start a container named {name} in the background that serves HTTP on its port 80 (busybox: "
         "mkdir -p /www && echo hi > /www/index.html && httpd -f -p 80 -h /www), published on host "
         "port {port} of 127.0.0.1 only (as the course does: not on every interface of the host).",
    params=lambda r: {"port": _params_port(r)},
    check=check_run_port,
    hint="-p takes up to three parts, ADDRESS:HOST_PORT:CONTAINER_PORT: which side comes first? Lesson 05 published on 127.0.0.1 only, so that no other machine reaches it. Your port is {port}.",
    requires="{name} is running, its port 80 is published on 127.0.0.1:{port} and on no other "
             "address, and an HTTP request to 127.0.0.1:{port} on the engine's host gets an answer.",
    refresh=_refresh_port,
    cli="docker run -d --name {name} -p 127.0.0.1:{port}:80 coursekit/busybox:1 sh -c 'mkdir -p /www && echo hi > /www/index.html && httpd -f -p 80 -h /www'",
)


@run_port.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, ["sh", "-c", "mkdir -p /www && echo hi > /www/index.html && httpd -f -p 80 -h /www"], detach=True, ports={"80/tcp": ("127.0.0.1", P["port"])}, name=P["name"], labels=ck.labels())


@run_port.wrong_answer("remember -p HOST:CONTAINER")
def _(client, P):
    client.containers.run(ck.BUSYBOX, ["sh", "-c", "mkdir -p /www && echo hi > /www/index.html && httpd -f -p 80 -h /www"], detach=True, ports={f"{P['port']}/tcp": ("127.0.0.1", 80)}, name=P["name"], labels=ck.labels())


@run_port.wrong_answer("all interfaces")
def _(client, P):
    client.containers.run(ck.BUSYBOX, ["sh", "-c", "mkdir -p /www && echo hi > /www/index.html && httpd -f -p 80 -h /www"], detach=True, ports={"80/tcp": P["port"]}, name=P["name"], labels=ck.labels())


@run_port.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, ["sh", "-c", "mkdir -p /www && echo hi > /www/index.html && httpd -f -p 80 -h /www"], ports={"80/tcp": ("127.0.0.1", P["port"])}, name=P["name"], labels=ck.labels())


@run_port.wrong_answer("nothing answers HTTP")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ports={"80/tcp": ("127.0.0.1", P["port"])}, name=P["name"], labels=ck.labels())


@run_port.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "true", detach=True, ports={"80/tcp": ("127.0.0.1", P["port"])}, name=P["name"], labels=ck.labels()).wait()


def check_run_volume(client, p, answer):
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


run_volume = Task(
    id="run-volume",
    lesson=LESSON,
    level="medium",
    text="Create a volume named {volume} and, with a container that removes itself (--rm), write a file "
         "hello.txt containing only the word {word} at the top of the volume.",
    params=lambda r: {"volume": _name("ex-run-volume-data"), "word": r.choice(WORDS)},
    check=check_run_volume,
    hint="A named volume is mounted with the same -v flag as a folder, with its name where the path would be. Write the file from a container that is removed when it exits: the volume keeps what it wrote.",
    requires="the volume {volume} exists, no container (running or stopped) still uses it, and its "
             "top-level hello.txt contains only {word}.",
    cli="docker volume create {volume}\ndocker run --rm --name {name} -v {volume}:/data coursekit/busybox:1 sh -c 'echo {word} > /data/hello.txt'",
)


@run_volume.answer
def _(client, P):
    client.volumes.create(P["volume"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /data/hello.txt"], remove=True, volumes={P["volume"]: {"bind": "/data", "mode": "rw"}}, name=P["name"], labels=ck.labels())


@run_volume.wrong_answer("write with --rm")
def _(client, P):
    client.volumes.create(P["volume"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /data/hello.txt"], volumes={P["volume"]: {"bind": "/data", "mode": "rw"}}, name=P["name"], labels=ck.labels())


@run_volume.wrong_answer("no file hello.txt at its top level")
def _(client, P):
    client.volumes.create(P["volume"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"mkdir /data/sub && echo {P['word']} > /data/sub/hello.txt"], remove=True, volumes={P["volume"]: {"bind": "/data", "mode": "rw"}}, name=P["name"], labels=ck.labels())


@run_volume.wrong_answer("hello.txt contains 'hello'")
def _(client, P):
    client.volumes.create(P["volume"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["sh", "-c", "echo hello > /data/hello.txt"], remove=True, volumes={P["volume"]: {"bind": "/data", "mode": "rw"}}, name=P["name"], labels=ck.labels())


def check_run_env(client, p, answer):
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


run_env = Task(
    id="run-env",
    lesson=LESSON,
    level="easy",
    text="Start a container named {name} (sleep 3600, in the background) with the environment variable "
         "GREETING set to {word}.",
    params=lambda r: {"word": r.choice(WORDS)},
    check=check_run_env,
    hint="`docker run --help | grep -i env` shows the flag that sets an environment variable; the SDK's containers.run() takes a dict for it.",
    requires="{name} is running and its environment has GREETING={word}.",
    cli="docker run -d --name {name} -e GREETING={word} coursekit/busybox:1 sleep 3600",
)


@run_env.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, environment={"GREETING": P["word"]}, name=P["name"], labels=ck.labels())


@run_env.wrong_answer("GREETING is 'hello'")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, environment={"GREETING": "hello"}, name=P["name"], labels=ck.labels())


@run_env.wrong_answer("GREETING is not set")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, environment={"greeting": P["word"]}, name=P["name"], labels=ck.labels())


@run_env.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "env", detach=True, environment={"GREETING": P["word"]}, name=P["name"], labels=ck.labels()).wait()


@run_env.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "sleep 3600", environment={"GREETING": P["word"]}, name=P["name"], labels=ck.labels())


def check_run_bind(client, p, answer):
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


def _setup_scratch(client, p):
    Path(p["dir"]).mkdir(parents=True, exist_ok=True)
    (Path(p["dir"]) / "notes.txt").write_text("mounted from the host\n")


run_bind = Task(
    id="run-bind",
    lesson=LESSON,
    level="medium",
    text="The task made the directory {dir}. Start a container named {name} (sleep 3600, in the "
         "background) with that directory mounted read-only at /work.",
    params=lambda r: {"dir": _tmp("ex-run-bind-dir")},
    check=check_run_bind,
    hint="A bind mount is -v HOST_PATH:CONTAINER_PATH, and a third part after another colon sets its mode: which mode forbids writes? In the SDK, volumes= takes a dict per folder.",
    requires="{name} is running with {dir} bind-mounted read-only at /work, and reads its notes.txt there.",
    setup=_setup_scratch,
    cli="docker run -d --name {name} -v {dir}:/work:ro coursekit/busybox:1 sleep 3600",
)


@run_bind.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, volumes={P["dir"]: {"bind": "/work", "mode": "ro"}}, name=P["name"], labels=ck.labels())


@run_bind.wrong_answer("add :ro")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, volumes={P["dir"]: {"bind": "/work", "mode": "rw"}}, name=P["name"], labels=ck.labels())


@run_bind.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "true", detach=True, volumes={P["dir"]: {"bind": "/work", "mode": "ro"}}, name=P["name"], labels=ck.labels()).wait()


@run_bind.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "sleep 3600", volumes={P["dir"]: {"bind": "/work", "mode": "ro"}}, name=P["name"], labels=ck.labels())


@run_bind.wrong_answer("nothing is mounted at /work")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, tmpfs={"/work": ""}, name=P["name"], labels=ck.labels())


@run_bind.wrong_answer("not a bind mount of")
def _(client, P):
    import os
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, volumes={os.path.dirname(P["dir"]): {"bind": "/work", "mode": "ro"}}, name=P["name"], labels=ck.labels())
