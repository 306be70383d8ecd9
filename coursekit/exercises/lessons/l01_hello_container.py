"""Lesson 01, Hello, container: the tasks hello-run, hello-hostname."""
from __future__ import annotations

import coursekit as ck

from ..model import Task
from ..support import WORDS, _container, _running

LESSON = "01_hello_container"
TITLE = "Hello, container"


def check_hello_run(client, p, answer):
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


hello_run = Task(
    id="hello-run",
    lesson=LESSON,
    level="easy",
    text="Run a container named {name} from the course's busybox image that prints only the kernel "
         "release (uname -r) and exits. Do not remove it: the check reads its output.",
    check=check_hello_run,
    hint="The task names the command; what matters is how the container runs: one removed when it exits (--rm) leaves nothing for the check to read. Lesson 01 ran the same kind of container with the CLI and with client.containers.run().",
    requires="a container {name} that ran and exited with code 0, whose whole output is the kernel release.",
    cli="docker run --name {name} coursekit/busybox:1 uname -r",
)


@hello_run.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "uname -r", detach=True, name=P["name"], labels=ck.labels()).wait()


@hello_run.wrong_answer("not just the kernel release")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "uname -a", detach=True, name=P["name"], labels=ck.labels()).wait()


@hello_run.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "uname -r", name=P["name"], labels=ck.labels())


@hello_run.wrong_answer("should have printed and exited")
def _(client, P):
    client.containers.run(ck.BUSYBOX, ["sh", "-c", "uname -r; sleep 3600"], detach=True, name=P["name"], labels=ck.labels())


@hello_run.wrong_answer("exited with code 3")
def _(client, P):
    client.containers.run(ck.BUSYBOX, ["sh", "-c", "uname -r; exit 3"], detach=True, name=P["name"], labels=ck.labels()).wait()


def check_hello_hostname(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        if c.attrs["Config"]["Hostname"] != p["hostname"]:
            problems.append(f"its hostname is {c.attrs['Config']['Hostname']!r}, not {p['hostname']!r}")
        _running(c, problems, "start it with -d and a long command (sleep 3600)")
    return problems


hello_hostname = Task(
    id="hello-hostname",
    lesson=LESSON,
    level="easy",
    text="Start a container named {name}, in the background, that keeps running (sleep 3600) and "
         "whose hostname is {hostname}.",
    params=lambda r: {"hostname": f"box-{r.choice(WORDS)}"},
    check=check_hello_hostname,
    hint="A container's hostname is set when it is created: `docker run --help` lists a flag with 'hostname' in its name, and the SDK's containers.run() takes a keyword of the same name. It must keep running, in the background, as lesson 01's sleeper did.",
    requires="{name} is running (not just created, not exited) and its hostname is {hostname}.",
    cli="docker run -d --name {name} --hostname {hostname} coursekit/busybox:1 sleep 3600",
)


@hello_hostname.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, hostname=P["hostname"], name=P["name"], labels=ck.labels())


@hello_hostname.wrong_answer("its hostname is")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())


@hello_hostname.wrong_answer("its hostname is")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, environment={"HOSTNAME": P["hostname"]}, name=P["name"], labels=ck.labels())


@hello_hostname.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "true", detach=True, hostname=P["hostname"], name=P["name"], labels=ck.labels()).wait()


@hello_hostname.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "sleep 3600", hostname=P["hostname"], name=P["name"], labels=ck.labels())
