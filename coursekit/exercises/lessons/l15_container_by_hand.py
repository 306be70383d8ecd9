"""Lesson 15, A container by hand: the tasks hand-hostname, hand-mem, hand-pids, hand-ns.

Each task is about a lab container the learner leaves running (``coursekit/python:1``,
with the privileges lesson 15 found) and a container made by hand inside it: a process
in a PID namespace of its own. The checks read that state from the lab (``docker
exec``): the process's namespaces, its hostname, its cgroup and that group's limits."""
from __future__ import annotations

from ..model import MiB, Task
from ..support import WORDS, _container, _running
from ...byhand import inner_pids
from ...images import PYTHON

LESSON = "15_container_by_hand"
TITLE = "A container by hand"
CLI_LAB = ("docker run -d --name {name} --cap-add SYS_ADMIN --security-opt apparmor=unconfined "
           "coursekit/python:1 sleep infinity\n")
CLI_ROOTFS = ("docker create --name {name}-rootfs coursekit/busybox:1 >/dev/null\n"
              "docker export {name}-rootfs -o {name}-rootfs.tar && docker rm {name}-rootfs\n"
              "docker cp {name}-rootfs.tar {name}:/lab/rootfs.tar && rm {name}-rootfs.tar\n")
CLI_WAIT = ("for i in $(seq 100); do [ $(docker exec {name} pidof sleep | wc -w) -ge 2 ] && break; "
            "sleep 0.2; done     # until its sleep runs\n")


def _lab(client, p, problems):
    """The task's lab container, if it is one and runs; else None (with the problem)."""
    c = _container(client, p, problems)
    if c is None:
        return None
    if PYTHON not in (c.image.tags or []):
        problems.append(f"{c.name} runs {', '.join(c.image.tags) or 'an untagged image'}, "
                        f"not the lab image {PYTHON}")
        return None
    return c if _running(c, problems, "a lab keeps running with sleep infinity") else None


def _by_hand(lab, problems) -> list[str]:
    """The first process of each container made by hand in ``lab`` (PIDs as the lab sees them)."""
    pids = [str(pid) for pid in inner_pids(lab)]
    if not pids:
        problems.append(f"nothing made by hand is running in {lab.name}: no process there has "
                        "a PID namespace of its own (is its command still running?)")
    return pids


def _read(lab, cmd) -> str:
    return lab.exec_run(["sh", "-c", cmd]).output.decode(errors="replace").strip()


def _namespaces(lab, pid) -> dict[str, str]:
    out = _read(lab, f"for n in pid mnt uts net ipc; do echo $n $(readlink /proc/{pid}/ns/$n); done")
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


def _limit(lab, pid, controller: str, v2_file: str, v1_file: str) -> tuple[str | None, str]:
    """(value of the limit file of ``pid``'s own group, or None, and why not). The group
    must be one made below the lab's: neither the lab's own nor the lab's root."""
    def path(p):   # the group of p in this controller, as the lab sees /proc/p/cgroup
        for line in _read(lab, f"cat /proc/{p}/cgroup").splitlines():
            _, names, where = line.split(":", 2)
            if names == "" or controller in names.split(","):
                return where, names == ""
        return None, False
    mine, v2 = path(pid)
    labs, _ = path(1)
    if mine is None or mine in ("/", labs):
        return None, "it is in the lab's own cgroup, not in one of its own below the lab's"
    if v2:
        file = f"/sys/fs/cgroup{mine}/{v2_file}"
    else:   # v1: the lab's /sys/fs/cgroup/<controller> is its own group, labs
        file = f"/sys/fs/cgroup/{controller}{mine[len(labs):]}/{v1_file}"
    return _read(lab, f"cat {file}"), ""


def check_hand_hostname(client, p, answer):
    problems = []
    lab = _lab(client, p, problems)
    if lab:
        names = [_read(lab, f"nsenter -t {pid} -u hostname") for pid in _by_hand(lab, problems)]
        if names and p["hostname"] not in names:
            problems.append(f"the container made by hand has hostname {names[0]!r}, not {p['hostname']!r}")
    return problems


hand_hostname = Task(
    id="hand-hostname",
    lesson=LESSON,
    level="easy",
    text="Start a lab container named {name} from coursekit/python:1 (sleep infinity, with the "
         "privileges lesson 15 found), and leave a container made by hand running in it "
         "(exec sleep 3600) whose hostname is {hostname}.",
    params=lambda r: {"hostname": f"hand-{r.choice(WORDS)}"},
    check=check_hand_hostname,
    hint="Lesson 15's program takes the container's name first, and uses it as the hostname too. "
         "The lab image holds the program at /lab/container.py; give the lab a root file system "
         "(/lab/rootfs.tar, a docker export) and run the program in the background (docker exec -d, "
         "SDK exec_run(..., detach=True)).",
    requires="{name} runs coursekit/python:1, a process in it has a PID namespace of its own, "
             "and that process's hostname (its UTS namespace) is {hostname}.",
    cli=CLI_LAB + CLI_ROOTFS
    + "docker exec -d {name} python3 /lab/container.py {hostname} 33554432 20 'exec sleep 3600'\n"
    + CLI_WAIT,
)


@hand_hostname.answer
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"])     # coursekit/python:1, /lab/container.py and /lab/rootfs.tar
    lab.exec_run(["python3", "/lab/container.py", P["hostname"], str(32 * 2**20), "20", "exec sleep 3600"], detach=True)
    byhand.wait_started(lab)


@hand_hostname.wrong_answer("nothing made by hand is running")
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"])     # the lab itself renamed: not a container made in it
    lab.exec_run(["hostname", P["hostname"]])


@hand_hostname.wrong_answer("has hostname 'box'")
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"])
    lab.exec_run(["python3", "/lab/container.py", "box", str(32 * 2**20), "20", "exec sleep 3600"], detach=True)
    byhand.wait_started(lab)


@hand_hostname.wrong_answer("nothing made by hand is running")
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"], cap_add=[])     # no CAP_SYS_ADMIN: the program fails
    lab.exec_run(["python3", "/lab/container.py", P["hostname"], str(32 * 2**20), "20", "exec sleep 3600"])


def _own_limit(client, p, controller, v2_file, v1_file, what, verdict) -> list[str]:
    """The problems of a task whose container made by hand must be in a cgroup of its own
    whose ``controller`` limit passes ``verdict(value)`` (None if it does, else the problem)."""
    problems = []
    lab = _lab(client, p, problems)
    for pid in _by_hand(lab, problems) if lab else []:
        value, why = _limit(lab, pid, controller, v2_file, v1_file)
        if value is None:
            problems.append(f"the container made by hand has no {what} of its own: {why}")
        elif (wrong := verdict(value)) is not None:
            problems.append(wrong)
        else:
            return []
    return problems


def check_hand_mem(client, p, answer):
    def verdict(value):
        if value == str(p["mem"] * MiB):
            return None
        shown = f"{int(value) // MiB} MiB" if value.isdigit() and int(value) < 2**40 else value
        return f"its cgroup's memory limit is {shown}, not {p['mem']} MiB"
    return _own_limit(client, p, "memory", "memory.max", "memory.limit_in_bytes", "memory limit", verdict)

hand_mem = Task(
    id="hand-mem",
    lesson=LESSON,
    level="medium",
    text="In a lab container named {name} (coursekit/python:1, sleep infinity, the privileges of "
         "lesson 15), leave a container made by hand running (exec sleep 3600) in a cgroup of its "
         "own, below the lab's, that limits its memory to {mem} MiB.",
    params=lambda r: {"mem": r.choice([24, 40, 48, 56])},
    check=check_hand_mem,
    hint="Lesson 15's program makes the cgroup: its second argument is the memory limit, in bytes. "
         "A limit on the lab container itself (-m) is the lab's group, not one of its own.",
    requires="{name} runs coursekit/python:1; a process in it has a PID namespace of its own and is "
             "in a cgroup below the lab's whose memory limit is {mem} MiB.",
    cli=CLI_LAB + CLI_ROOTFS
    + "docker exec -d {name} python3 /lab/container.py box $(( {mem} * 1048576 )) 20 'exec sleep 3600'\n"
    + CLI_WAIT,
)


@hand_mem.answer
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"])
    lab.exec_run(["python3", "/lab/container.py", "box", str(P["mem"] * 2**20), "20", "exec sleep 3600"], detach=True)
    byhand.wait_started(lab)


@hand_mem.wrong_answer("not in one of its own")
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"], mem_limit=f"{P['mem']}m", **byhand.privileges(client))
    lab.exec_run(["unshare", "-p", "-f", "-m", "-u", "--mount-proc", "sleep", "3600"], detach=True)   # namespaces, no cgroup
    byhand.wait_started(lab)


@hand_mem.wrong_answer("memory limit is 32 MiB, not")
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"])     # the lesson's call, unchanged: 32 MiB
    lab.exec_run(["python3", "/lab/container.py", "box", str(32 * 2**20), "20", "exec sleep 3600"], detach=True)
    byhand.wait_started(lab)


def check_hand_pids(client, p, answer):
    def verdict(value):
        return None if value == str(p["pids"]) else f"its cgroup's pids.max is {value}, not {p['pids']}"
    return _own_limit(client, p, "pids", "pids.max", "pids.max", "process limit", verdict)

hand_pids = Task(
    id="hand-pids",
    lesson=LESSON,
    level="medium",
    text="In a lab container named {name} (coursekit/python:1, sleep infinity, the privileges of "
         "lesson 15), leave a container made by hand running (exec sleep 3600) in a cgroup of its "
         "own, below the lab's, that allows it at most {pids} processes.",
    params=lambda r: {"pids": r.choice([12, 16, 24, 30])},
    check=check_hand_pids,
    hint="Lesson 15's program writes pids.max from its third argument. A process limit on the lab "
         "container limits the lab's own group, not a group made below it.",
    requires="{name} runs coursekit/python:1; a process in it has a PID namespace of its own and is "
             "in a cgroup below the lab's whose pids.max is {pids}.",
    cli=CLI_LAB + CLI_ROOTFS
    + "docker exec -d {name} python3 /lab/container.py box 33554432 {pids} 'exec sleep 3600'\n"
    + CLI_WAIT,
)


@hand_pids.answer
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"])
    lab.exec_run(["python3", "/lab/container.py", "box", str(32 * 2**20), str(P["pids"]), "exec sleep 3600"], detach=True)
    byhand.wait_started(lab)


@hand_pids.wrong_answer("not in one of its own")
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"], pids_limit=P["pids"], **byhand.privileges(client))
    lab.exec_run(["unshare", "-p", "-f", "-m", "--mount-proc", "sleep", "3600"], detach=True)
    byhand.wait_started(lab)


@hand_pids.wrong_answer("pids.max is 20, not")
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"])
    lab.exec_run(["python3", "/lab/container.py", "box", str(32 * 2**20), "20", "exec sleep 3600"], detach=True)
    byhand.wait_started(lab)


NEW = ("pid", "mnt", "uts")


def check_hand_ns(client, p, answer):
    problems = []
    lab = _lab(client, p, problems)
    pids = _by_hand(lab, problems) if lab else []
    if not pids:
        return problems
    labs = _namespaces(lab, 1)
    found = []
    for pid in pids:
        ns = _namespaces(lab, pid)
        wrong = [f"shares the lab's {n} namespace" for n in NEW if ns.get(n) == labs.get(n)]
        if ns.get("net") != labs.get("net"):
            wrong.append("has a network namespace of its own, not the lab's")
        if not wrong:
            return []
        found.append("; ".join(wrong))
    problems.append(f"the process made by hand {found[0]}")
    return problems


hand_ns = Task(
    id="hand-ns",
    lesson=LESSON,
    level="hard",
    text="In a lab container named {name} (coursekit/python:1, sleep infinity, the privileges of "
         "lesson 15), leave a process running (sleep 3600) in new PID, mount and UTS namespaces "
         "of its own, but in the lab's network namespace: it keeps the lab's network, as a "
         "container started with --network container:<lab> would.",
    check=check_hand_ns,
    hint="Lesson 15's program always makes a network namespace too. busybox's unshare, as in "
         "lesson 03, takes one flag per namespace: leave out the network one (-n). A new PID "
         "namespace needs -f (fork), and --mount-proc gives the new one its own /proc.",
    requires="{name} runs coursekit/python:1; a process in it has PID, mount and UTS namespaces "
             "different from the lab's PID 1's, and the same network namespace.",
    cli=CLI_LAB
    + "docker exec -d {name} unshare -p -f -m -u --mount-proc sleep 3600\n" + CLI_WAIT,
)


@hand_ns.answer
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"])
    lab.exec_run(["unshare", "--pid", "--fork", "--mount", "--uts", "--mount-proc", "sleep", "3600"], detach=True)
    byhand.wait_started(lab)


@hand_ns.wrong_answer("has a network namespace of its own")
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"])
    lab.exec_run(["python3", "/lab/container.py", "box", str(32 * 2**20), "20", "exec sleep 3600"], detach=True)
    byhand.wait_started(lab)


@hand_ns.wrong_answer("shares the lab's uts namespace")
def _(client, P):
    from coursekit import byhand
    lab = byhand.start_lab(client, P["name"])
    lab.exec_run(["unshare", "--pid", "--fork", "--mount-proc", "sleep", "3600"], detach=True)
    byhand.wait_started(lab)
