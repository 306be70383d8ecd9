"""Lesson 04, Control groups: the tasks cg-memory, cg-cpus, cg-pids, cg-oom."""
from __future__ import annotations

import coursekit as ck

from ..model import MiB, Task
from ..support import _container, _running
from ...cgroups import oom_killed

LESSON = "04_cgroups"
TITLE = "Control groups"


def check_cg_memory(client, p, answer):
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


cg_memory = Task(
    id="cg-memory",
    lesson=LESSON,
    level="easy",
    text="Start a container named {name} (sleep 3600, in the background) that may use at most {mem} MiB "
         "of memory.",
    params=lambda r: {"mem": r.choice([48, 64, 96, 128])},
    check=check_cg_memory,
    hint="Lesson 04 limited memory with one `docker run` flag that takes a size with a unit (m for MiB). The SDK's keyword for it ends in _limit.",
    requires="{name} is running with a memory limit of exactly {mem} MiB.",
    cli="docker run -d --name {name} -m {mem}m coursekit/busybox:1 sleep 3600",
)


@cg_memory.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, mem_limit=f"{P['mem']}m", name=P["name"], labels=ck.labels())


@cg_memory.wrong_answer("its memory limit is")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, mem_limit=f"{P['mem'] * 2}m", name=P["name"], labels=ck.labels())


@cg_memory.wrong_answer("a reservation is not a limit")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, mem_reservation=f"{P['mem']}m", name=P["name"], labels=ck.labels())


@cg_memory.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "sleep 3600", mem_limit=f"{P['mem']}m", name=P["name"], labels=ck.labels())


def check_cg_cpus(client, p, answer):
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


cg_cpus = Task(
    id="cg-cpus",
    lesson=LESSON,
    level="easy",
    text="Start a container named {name} (sleep 3600, in the background) limited to {cpus} CPUs.",
    params=lambda r: {"cpus": r.choice([0.25, 0.5, 0.75, 1.5])},
    check=check_cg_cpus,
    hint="Lesson 04 limited CPU time with a flag that takes a number of CPUs, fractions allowed. The SDK counts in billionths of a CPU (nano_cpus).",
    requires="{name} is running with a CPU limit (--cpus, or quota/period) of exactly {cpus} CPUs.",
    cli="docker run -d --name {name} --cpus {cpus} coursekit/busybox:1 sleep 3600",
)


@cg_cpus.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, nano_cpus=int(P["cpus"] * 1e9), name=P["name"], labels=ck.labels())


@cg_cpus.wrong_answer("--cpu-shares is a weight")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, cpu_shares=512, name=P["name"], labels=ck.labels())


@cg_cpus.wrong_answer("--cpuset-cpus picks which CPUs")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, cpuset_cpus="0", name=P["name"], labels=ck.labels())


@cg_cpus.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "true", detach=True, nano_cpus=int(P["cpus"] * 1e9), name=P["name"], labels=ck.labels()).wait()


@cg_cpus.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "sleep 3600", nano_cpus=int(P["cpus"] * 1e9), name=P["name"], labels=ck.labels())


def check_cg_pids(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c:
        limit = c.attrs["HostConfig"].get("PidsLimit")
        if limit != p["pids"]:
            problems.append(f"its pids limit is {limit if limit and limit > 0 else 'unlimited'}, not {p['pids']}")
        _running(c, problems)
    return problems


cg_pids = Task(
    id="cg-pids",
    lesson=LESSON,
    level="easy",
    text="Start a container named {name} (sleep 3600, in the background) that may have at most {pids} "
         "processes.",
    params=lambda r: {"pids": r.choice([20, 30, 40, 50])},
    check=check_cg_pids,
    hint="The cgroup controller that counts processes is called pids: `docker run --help | grep -i pids` finds its flag. The container must still be running when you check.",
    requires="{name} is running with a pids limit of exactly {pids}.",
    cli="docker run -d --name {name} --pids-limit {pids} coursekit/busybox:1 sleep 3600",
)


@cg_pids.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, pids_limit=P["pids"], name=P["name"], labels=ck.labels())


@cg_pids.wrong_answer("its pids limit is unlimited")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())


@cg_pids.wrong_answer("its pids limit is")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, pids_limit=P["pids"] * 2, name=P["name"], labels=ck.labels())


@cg_pids.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "true", detach=True, pids_limit=P["pids"], name=P["name"], labels=ck.labels()).wait()


@cg_pids.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "sleep 3600", pids_limit=P["pids"], name=P["name"], labels=ck.labels())


def check_cg_oom(client, p, answer):
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


cg_oom = Task(
    id="cg-oom",
    lesson=LESSON,
    level="hard",
    text="Run a container named {name} with a {mem} MiB memory limit (and no swap) whose workload needs "
         "more than that, so that the kernel OOM-kills it. Keep the container for the check.",
    params=lambda r: {"mem": r.choice([24, 32, 40])},
    check=check_cg_oom,
    hint="Reuse lesson 04's memory hog (coursekit.widgets.HOG) and let it allocate more than the limit. With swap, the kernel could page memory out instead of killing: which flag limits memory and swap together?",
    requires="{name} has a memory limit of {mem} MiB and a memory+swap limit of the same {mem} MiB "
             "(no swap), has stopped, and was OOM-killed by the kernel (not stopped or killed by you).",
    cli="docker run --name {name} -m {mem}m --memory-swap {mem}m coursekit/busybox:1 sh -c 'tail /dev/zero'     # any program that allocates more than {mem} MiB",
)


@cg_oom.answer
def _(client, P):
    from coursekit.widgets import HOG
    c = client.containers.run(ck.BUSYBOX, ["sh", "-c", HOG], environment={"ALLOC": str(P["mem"] * 2), "PAUSE": "10000"}, mem_limit=f"{P['mem']}m", memswap_limit=f"{P['mem']}m", detach=True, name=P["name"], labels=ck.labels())
    c.wait(timeout=60)


@cg_oom.wrong_answer("was not OOM-killed")
def _(client, P):
    from coursekit.widgets import HOG
    c = client.containers.run(ck.BUSYBOX, ["sh", "-c", HOG], environment={"ALLOC": "8", "PAUSE": "10000"}, mem_limit=f"{P['mem']}m", memswap_limit=f"{P['mem']}m", detach=True, name=P["name"], labels=ck.labels())
    c.wait(timeout=60)


@cg_oom.wrong_answer("may also use swap")
def _(client, P):
    from coursekit.widgets import HOG
    c = client.containers.run(ck.BUSYBOX, ["sh", "-c", HOG], environment={"ALLOC": str(P["mem"] * 2), "PAUSE": "10000"}, mem_limit=f"{P['mem']}m", detach=True, name=P["name"], labels=ck.labels())
    c.wait(timeout=60)


@cg_oom.wrong_answer("memory+swap limit unlimited")
def _(client, P):
    from coursekit.widgets import HOG
    c = client.containers.run(ck.BUSYBOX, ["sh", "-c", HOG], environment={"ALLOC": str(P["mem"] * 2), "PAUSE": "10000"}, mem_limit=f"{P['mem']}m", memswap_limit=-1, detach=True, name=P["name"], labels=ck.labels())
    c.wait(timeout=60)


@cg_oom.wrong_answer("was not OOM-killed")
def _(client, P):
    c = client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, mem_limit=f"{P['mem']}m", memswap_limit=f"{P['mem']}m", name=P["name"], labels=ck.labels())
    c.kill()
    c.wait(timeout=60)


@cg_oom.wrong_answer("its memory limit is")
def _(client, P):
    from coursekit.widgets import HOG
    c = client.containers.run(ck.BUSYBOX, ["sh", "-c", HOG], environment={"ALLOC": str(P["mem"] * 4), "PAUSE": "10000"}, mem_limit=f"{P['mem'] * 2}m", memswap_limit=f"{P['mem'] * 2}m", detach=True, name=P["name"], labels=ck.labels())
    c.wait(timeout=60)
