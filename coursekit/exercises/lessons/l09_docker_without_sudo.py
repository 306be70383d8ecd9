"""Lesson 09, Docker without sudo: the tasks sudo-user, sudo-owner, sudo-engine."""
from __future__ import annotations

from pathlib import Path

import coursekit as ck

from ..model import Task
from ..support import _container, _running, _setup_open_dir, _tmp

LESSON = "09_docker_without_sudo"
TITLE = "Docker without sudo"


def check_sudo_user(client, p, answer):
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


sudo_user = Task(
    id="sudo-user",
    lesson=LESSON,
    level="easy",
    text="Start a container named {name} (sleep 3600, in the background) whose process runs as the "
         "unprivileged user 65534 (nobody) instead of root.",
    check=check_sudo_user,
    hint="`docker run --help | grep -i user` shows the flag that picks the user a container's process runs as; a number works (65534 is 'nobody'). The SDK's containers.run() has a keyword of the same name.",
    requires="{name} is running, configured with user 65534 (or nobody), and its processes have uid 65534.",
    cli="docker run -d --name {name} --user 65534 coursekit/busybox:1 sleep 3600",
)


@sudo_user.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, user="65534", name=P["name"], labels=ck.labels())


@sudo_user.wrong_answer("root (the default)")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())


@sudo_user.wrong_answer("not as user 65534")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, user="1000", name=P["name"], labels=ck.labels())


@sudo_user.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "true", detach=True, user="65534", name=P["name"], labels=ck.labels()).wait()


@sudo_user.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "sleep 3600", user="65534", name=P["name"], labels=ck.labels())


def check_sudo_owner(client, p, answer):
    f = Path(p["dir"]) / "owner.txt"
    if not f.exists():
        return [f"there is no owner.txt in {p['dir']} (mount that folder and write the file into it)"]
    uid = f.stat().st_uid
    if uid != p["uid"]:
        who = "uid 0 (root, the default user of a container)" if uid == 0 else f"uid {uid}"
        return [f"owner.txt is owned by {who}, not uid {p['uid']}"]
    return []


sudo_owner = Task(
    id="sudo-owner",
    lesson=LESSON,
    level="medium",
    text="The task made the folder {dir}, which anyone may write. Make a container write a file named "
         "owner.txt into it so that on the host the file belongs to uid {uid}, an unprivileged user, "
         "not to root.",
    params=lambda r: {"dir": _tmp("ex-sudo-owner-dir"), "uid": r.choice([1234, 2345, 4321, 5000, 31337])},
    check=check_sudo_owner,
    hint="Files belong to the uid of the process that writes them. Lesson 09's challenge chose that uid with one "
         "`docker run` flag; the SDK's containers.run() takes a keyword of the same name.",
    requires="{dir}/owner.txt exists and belongs to uid {uid} on the host.",
    setup=_setup_open_dir,
    cli="docker run --name {name} --user {uid} -v {dir}:/mnt coursekit/busybox:1 touch /mnt/owner.txt",
)


@sudo_owner.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "touch /mnt/owner.txt", user=str(P["uid"]),
                          volumes={P["dir"]: {"bind": "/mnt", "mode": "rw"}}, name=P["name"], labels=ck.labels())


@sudo_owner.wrong_answer("owned by uid 0 (root")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "touch /mnt/owner.txt",
                          volumes={P["dir"]: {"bind": "/mnt", "mode": "rw"}}, name=P["name"], labels=ck.labels())


@sudo_owner.wrong_answer("owned by uid 65534")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "touch /mnt/owner.txt", user="65534",
                          volumes={P["dir"]: {"bind": "/mnt", "mode": "rw"}}, name=P["name"], labels=ck.labels())


@sudo_owner.wrong_answer("there is no owner.txt")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "touch /owner.txt", user=str(P["uid"]),
                          name=P["name"], labels=ck.labels())


def _engine_facts(client) -> dict[str, str]:
    """What ``docker info`` says about rootless and user-namespace remapping."""
    opts = client.info().get("SecurityOptions") or []
    return {"engine.rootless": str(any("rootless" in o for o in opts)).lower(),
            "engine.userns": str(any("userns" in o for o in opts)).lower()}


def check_sudo_engine(client, p, answer):
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


sudo_engine = Task(
    id="sudo-engine",
    lesson=LESSON,
    level="medium",
    text="Start a container named {name} (sleep 3600, in the background) whose labels say what your engine "
         "is: engine.rootless=true or false (does the engine run rootless?) and engine.userns=true or false "
         "(does it remap users?). Find out from the engine, not by guessing.",
    check=check_sudo_engine,
    hint="`docker info` lists the engine's security options (lesson 09 printed them); each label is true when "
         "the matching word appears there. Labels are set with --label KEY=VALUE (SDK: labels=, a dict).",
    requires="{name} is running and its labels engine.rootless and engine.userns match the engine's "
             "security options (docker info).",
    cli="docker info --format '{{{{.SecurityOptions}}}}'     # rootless? userns?\ndocker run -d --name {name} --label engine.rootless=false --label engine.userns=false coursekit/busybox:1 sleep 3600     # with what docker info said",
)


@sudo_engine.answer
def _(client, P):
    opts = client.info().get("SecurityOptions") or []
    facts = {"engine.rootless": str(any("rootless" in o for o in opts)).lower(),
             "engine.userns": str(any("userns" in o for o in opts)).lower()}
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels={**ck.labels(), **facts})


@sudo_engine.wrong_answer("but this engine's security options say")
def _(client, P):
    opts = client.info().get("SecurityOptions") or []
    facts = {"engine.rootless": str(any("rootless" in o for o in opts)).lower(),
             "engine.userns": str(any("userns" in o for o in opts)).lower()}
    facts = {k: {"true": "false", "false": "true"}[v] for k, v in facts.items()}
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels={**ck.labels(), **facts})


@sudo_engine.wrong_answer("has no label engine.rootless")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())


@sudo_engine.wrong_answer("not running")
def _(client, P):
    opts = client.info().get("SecurityOptions") or []
    facts = {"engine.rootless": str(any("rootless" in o for o in opts)).lower(),
             "engine.userns": str(any("userns" in o for o in opts)).lower()}
    client.containers.run(ck.BUSYBOX, "true", detach=True, name=P["name"], labels={**ck.labels(), **facts}).wait()
