"""Lesson 03, Namespaces: the tasks ns-share-net, ns-pid-host, ns-ipc."""
from __future__ import annotations

import coursekit as ck

from ..identity import _name
from ..model import Task
from ..support import _container, _get, _running
from ...images import BUSYBOX
from ...labelling import labels

LESSON = "03_namespaces"
TITLE = "Namespaces"


def _joined(client, mode: str, target) -> bool:
    """Whether a ``container:REF`` mode (network, IPC) names ``target``."""
    if not (mode or "").startswith("container:") or target is None:
        return False
    other = _get(client, "container", mode.split(":", 1)[1])
    return other is not None and other.id == target.id


def check_ns_share_net(client, p, answer):
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


def _setup_share(client, p):
    a = _get(client, "container", p["a"])
    if a is None:
        client.containers.run(BUSYBOX, "sleep 3600", detach=True, name=p["a"], labels=labels(),
                              ipc_mode="shareable")
    elif a.status != "running":
        a.start()


ns_share_net = Task(
    id="ns-share-net",
    lesson=LESSON,
    level="medium",
    text="The task started {a}. Start a second container named {name} (sleep 3600, in the background) "
         "in {a}'s network namespace.",
    params=lambda r: {"a": _name("ex-ns-share-net-first")},
    check=check_ns_share_net,
    hint="Lesson 03 started a container inside another container's namespace. Which --network value names a container instead of a network? (SDK: network_mode.)",
    requires="{a} and {name} are both running, and {name}'s network mode is container:{a}.",
    setup=_setup_share,
    cli="docker run -d --name {name} --network container:{a} coursekit/busybox:1 sleep 3600",
)


@ns_share_net.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, network_mode=f"container:{P['a']}", name=P["name"], labels=ck.labels())


@ns_share_net.wrong_answer("not the network namespace of")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())


@ns_share_net.wrong_answer("not the network namespace of")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, network_mode="host", name=P["name"], labels=ck.labels())


@ns_share_net.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "true", detach=True, network_mode=f"container:{P['a']}", name=P["name"], labels=ck.labels()).wait()


@ns_share_net.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "sleep 3600", network_mode=f"container:{P['a']}", name=P["name"], labels=ck.labels())


def check_ns_pid_host(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        if c.attrs["HostConfig"]["PidMode"] != "host":
            problems.append(f"{c.name} has its own PID namespace (PidMode {c.attrs['HostConfig']['PidMode']!r})")
        _running(c, problems)
    return problems


ns_pid_host = Task(
    id="ns-pid-host",
    lesson=LESSON,
    level="easy",
    text="Start a container named {name} (sleep 3600, in the background) that sees every process of "
         "the host.",
    check=check_ns_pid_host,
    hint="--pid chooses the PID namespace, and one of its values means 'no new one: the host's'. (SDK: pid_mode.) Lesson 03's namespace table compares the links afterwards.",
    requires="{name} is running and shares the host's PID namespace (PidMode host).",
    cli="docker run -d --name {name} --pid host coursekit/busybox:1 sleep 3600",
)


@ns_pid_host.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, pid_mode="host", name=P["name"], labels=ck.labels())


@ns_pid_host.wrong_answer("own PID namespace")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ipc_mode="host", name=P["name"], labels=ck.labels())


@ns_pid_host.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "ps", detach=True, pid_mode="host", name=P["name"], labels=ck.labels()).wait()


@ns_pid_host.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "sleep 3600", pid_mode="host", name=P["name"], labels=ck.labels())


def check_ns_ipc(client, p, answer):
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


ns_ipc = Task(
    id="ns-ipc",
    lesson=LESSON,
    level="hard",
    text="Start {a2} with a shareable IPC namespace, then {name} joining it; both sleep 3600 in the "
         "background.",
    params=lambda r: {"a2": _name("ex-ns-ipc-first")},
    check=check_ns_ipc,
    hint="`docker run --help` lists the --ipc modes: one lets a container offer its IPC namespace to others, another joins a named container's. (SDK: ipc_mode.)",
    requires="{a2} (IPC mode shareable) and {name} (IPC mode container:{a2}) are both running.",
    cli="docker run -d --name {a2} --ipc shareable coursekit/busybox:1 sleep 3600\ndocker run -d --name {name} --ipc container:{a2} coursekit/busybox:1 sleep 3600",
)


@ns_ipc.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ipc_mode="shareable", name=P["a2"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ipc_mode=f"container:{P['a2']}", name=P["name"], labels=ck.labels())


@ns_ipc.wrong_answer("--ipc shareable")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["a2"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())


@ns_ipc.wrong_answer("has IPC mode")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ipc_mode="shareable", name=P["a2"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())


@ns_ipc.wrong_answer("has IPC mode")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ipc_mode="shareable", name=P["a2"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ipc_mode="host", name=P["name"], labels=ck.labels())


@ns_ipc.wrong_answer("--ipc shareable")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ipc_mode="private", name=P["a2"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ipc_mode=f"container:{P['a2']}", name=P["name"], labels=ck.labels())


@ns_ipc.wrong_answer("never started")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, ipc_mode="shareable", name=P["a2"], labels=ck.labels())
    client.containers.create(ck.BUSYBOX, "sleep 3600", ipc_mode=f"container:{P['a2']}", name=P["name"], labels=ck.labels())
