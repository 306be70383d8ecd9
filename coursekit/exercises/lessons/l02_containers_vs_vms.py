"""Lesson 02, Containers vs virtual machines: the tasks vm-hostpid."""
from __future__ import annotations

import coursekit as ck

from ..model import Task
from ..support import _container, _running

LESSON = "02_containers_vs_vms"
TITLE = "Containers vs virtual machines"


def check_vm_hostpid(client, p, answer):
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


vm_hostpid = Task(
    id="vm-hostpid",
    lesson=LESSON,
    level="medium",
    text="Start a container named {name} running sleep 3600 in the background, find the host PID of "
         "its sleep process, and pass it to the check: ex.check('vm-hostpid', answer).",
    check=check_vm_hostpid,
    hint="The PID a process has inside its container is not the one the host gives it. Lesson 02 listed a container's processes from the host's side; `docker inspect` shows the same number under State.",
    requires="{name} is running, and your answer is the host PID of its main process.",
    takes_answer=True,
    cli="docker run -d --name {name} coursekit/busybox:1 sleep 3600\ndocker inspect --format '{{{{.State.Pid}}}}' {name}     # pass that number as answer",
)


@vm_hostpid.answer
def _(client, P):
    c = client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())
    c.reload()
    answer = c.attrs["State"]["Pid"]
    return answer


@vm_hostpid.wrong_answer("PID inside the container")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())
    answer = 1
    return answer


@vm_hostpid.wrong_answer("is not the host PID")
def _(client, P):
    import os
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())
    answer = os.getpid()
    return answer


@vm_hostpid.wrong_answer("never started")
def _(client, P):
    c = client.containers.create(ck.BUSYBOX, "sleep 3600", name=P["name"], labels=ck.labels())
    c.reload()
    answer = c.attrs["State"]["Pid"]
    return answer


@vm_hostpid.wrong_answer("not running")
def _(client, P):
    c = client.containers.run(ck.BUSYBOX, "true", detach=True, name=P["name"], labels=ck.labels())
    c.wait()
    c.reload()
    answer = c.attrs["State"]["Pid"]
    return answer
