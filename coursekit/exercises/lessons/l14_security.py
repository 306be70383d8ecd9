"""Lesson 14, Security: the tasks sec-capdrop, sec-readonly, sec-nnp, sec-user."""
from __future__ import annotations

import re

import coursekit as ck

from ..identity import _name
from ..model import Task
from ..support import _container, _get, _run_image, _running
from ...images import BUSYBOX

LESSON = "14_security"
TITLE = "Security"

# linux/capability.h: capability number N is bit N of CapEff (the lesson's table)
CAPS = ("CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
        "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER "
        "SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE "
        "SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP "
        "MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF "
        "CHECKPOINT_RESTORE").split()


def _status(c) -> str:
    """/proc/1/status of a running container: its main process, as the kernel sees it."""
    return c.exec_run(["cat", "/proc/1/status"]).output.decode(errors="replace")


def _field(status: str, key: str) -> str:
    m = re.search(rf"^{key}:\s*(\S+)", status, re.M)
    return m.group(1) if m else ""


def _caps(status: str) -> list[str]:
    mask = int(_field(status, "CapEff") or "0", 16)
    return [n for bit, n in enumerate(CAPS) if mask >> bit & 1]


def check_sec_capdrop(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c and _running(c, problems):
        caps = _caps(_status(c))
        if p["cap"] not in caps:
            problems.append(f"its process lacks {p['cap']}: add that one back (--cap-add {p['cap']})")
        extra = [x for x in caps if x != p["cap"]]
        if extra:
            problems.append(f"its process still has {len(extra)} other capabilit{'y' if len(extra) == 1 else 'ies'} "
                            f"({', '.join(extra[:4])}{', ...' if len(extra) > 4 else ''}): only {p['cap']} may "
                            "remain (--cap-drop ALL, then --cap-add)")
    return problems


sec_capdrop = Task(
    id="sec-capdrop",
    lesson=LESSON,
    level="easy",
    text="Start a container named {name} (sleep 3600, in the background) whose process keeps exactly one "
         "capability: {cap}. Every other one, including the engine's defaults, must be gone.",
    params=lambda r: {"cap": r.choice(["CHOWN", "KILL", "NET_BIND_SERVICE", "SETUID", "SETGID", "FOWNER",
                                       "NET_RAW", "SYS_CHROOT"])},
    check=check_sec_capdrop,
    hint="Lesson 14 dropped every capability with one flag and gave one back with another "
         "(SDK: cap_drop= and cap_add=, both lists). Adding alone keeps the 14 defaults.",
    requires="{name} is running and the effective capabilities of its process (CapEff in /proc/1/status) "
             "are {cap} and nothing else.",
    cli="docker run -d --name {name} --cap-drop ALL --cap-add {cap} coursekit/busybox:1 sleep 3600",
)


@sec_capdrop.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, cap_drop=["ALL"], cap_add=[P["cap"]],
                          name=P["name"], labels=ck.labels())


@sec_capdrop.wrong_answer("its process still has")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, cap_add=[P["cap"]],
                          name=P["name"], labels=ck.labels())


@sec_capdrop.wrong_answer("its process lacks")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, cap_drop=["ALL"],
                          name=P["name"], labels=ck.labels())


@sec_capdrop.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "true", detach=True, cap_drop=["ALL"], cap_add=[P["cap"]],
                          name=P["name"], labels=ck.labels()).wait()


def check_sec_readonly(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c and _running(c, problems):
        code, _ = c.exec_run(["touch", "/.ck-check"])
        if code == 0:
            c.exec_run(["rm", "-f", "/.ck-check"])
            problems.append("its root filesystem is writable (touch / worked): make it read-only (--read-only)")
        mounts = c.exec_run(["cat", "/proc/mounts"]).output.decode(errors="replace").splitlines()
        kind = next((m.split()[2] for m in mounts if m.split()[1:2] == [p["path"]]), None)
        if kind != "tmpfs":
            problems.append(f"{p['path']} is {'not a mount' if kind is None else 'a ' + kind + ' mount'}, "
                            f"not a tmpfs: mount one there (--tmpfs {p['path']})")
        else:
            probe = p["path"] + "/.ck-check"
            code, out = c.exec_run(["touch", probe])
            if code != 0:
                problems.append(f"writing in {p['path']} failed: {out.decode(errors='replace').strip()}")
            c.exec_run(["rm", "-f", probe])
    return problems


sec_readonly = Task(
    id="sec-readonly",
    lesson=LESSON,
    level="easy",
    text="Start a container named {name} (sleep 3600, in the background) whose root filesystem is read-only, "
         "root included, and which can still write in {path}: an in-memory folder that goes with the container.",
    params=lambda r: {"path": r.choice(["/cache", "/scratch", "/run/app", "/var/cache/app", "/work"])},
    check=check_sec_readonly,
    hint="Two flags of docker run from lesson 14: one makes the image's filesystem read-only, the other "
         "mounts an in-memory file system at a path; the SDK's keywords are named after them (read_only, tmpfs).",
    requires="{name} is running; writing to / fails in it, {path} is a tmpfs mount, and writing there works.",
    cli="docker run -d --name {name} --read-only --tmpfs {path} coursekit/busybox:1 sleep 3600",
)


@sec_readonly.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, read_only=True, tmpfs={P["path"]: ""},
                          name=P["name"], labels=ck.labels())


@sec_readonly.wrong_answer("root filesystem is writable")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, tmpfs={P["path"]: ""},
                          name=P["name"], labels=ck.labels())


@sec_readonly.wrong_answer("not a tmpfs")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, read_only=True, tmpfs={"/tmp": ""},
                          name=P["name"], labels=ck.labels())


@sec_readonly.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "true", detach=True, read_only=True, tmpfs={P["path"]: ""},
                          name=P["name"], labels=ck.labels()).wait()


def check_sec_nnp(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c and _running(c, problems):
        status = _status(c)
        uid = _field(status, "Uid")
        if uid != str(p["uid"]):
            problems.append(f"its process runs as uid {uid}{' (root)' if uid == '0' else ''}, not uid {p['uid']}")
        if _field(status, "NoNewPrivs") != "1":
            problems.append("NoNewPrivs is 0 in its process: a setuid program would still raise its privileges "
                            "(--security-opt no-new-privileges)")
    return problems


sec_nnp = Task(
    id="sec-nnp",
    lesson=LESSON,
    level="medium",
    text="Start a container named {name} (sleep 3600, in the background) whose process runs as uid {uid}, "
         "and in which no process can gain privileges, not even through a setuid-root program.",
    params=lambda r: {"uid": r.choice([1000, 1234, 2345, 4321, 5000])},
    check=check_sec_nnp,
    hint="Two things: the uid (lesson 14's --user) and the kernel flag that makes exec ignore setuid bits, set "
         "with --security-opt (SDK: user= and security_opt=, a list of strings).",
    requires="{name} is running; its process has uid {uid} and NoNewPrivs 1 in /proc/1/status.",
    cli="docker run -d --name {name} --user {uid} --security-opt no-new-privileges coursekit/busybox:1 sleep 3600",
)


@sec_nnp.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, user=str(P["uid"]),
                          security_opt=["no-new-privileges"], name=P["name"], labels=ck.labels())


@sec_nnp.wrong_answer("NoNewPrivs is 0")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, user=str(P["uid"]),
                          name=P["name"], labels=ck.labels())


@sec_nnp.wrong_answer("runs as uid 0 (root)")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, security_opt=["no-new-privileges"],
                          name=P["name"], labels=ck.labels())


@sec_nnp.wrong_answer("NoNewPrivs is 0")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, user=str(P["uid"]),
                          security_opt=["no-new-privileges:false"], name=P["name"], labels=ck.labels())


def check_sec_user(client, p, answer):
    problems = []
    if _get(client, "volume", p["vol"]) is None:
        return [f"there is no volume named {p['vol']} (docker volume ls shows the names)"]
    c = _container(client, p, problems)
    if c:
        user = (c.attrs["Config"].get("User") or "").split(":")[0]
        if user != str(p["uid"]):
            problems.append(f"{c.name} runs as {'uid ' + user if user else 'root (the default)'}, not uid {p['uid']}")
        if not any(m.get("Type") == "volume" and m.get("Name") == p["vol"] for m in c.attrs.get("Mounts", [])):
            problems.append(f"{c.name} does not mount the volume {p['vol']}")
    code, out = _run_image(client, BUSYBOX, ["stat", "-c", "%u", f"/v/{p['dir']}/{p['file']}"],
                           volumes={p["vol"]: {"bind": "/v"}})
    if code != 0:
        problems.append(f"there is no file {p['dir']}/{p['file']} in the volume {p['vol']}")
    elif out.strip() != str(p["uid"]):
        problems.append(f"{p['dir']}/{p['file']} is owned by uid {out.strip()}, not uid {p['uid']}")
    return problems


sec_user = Task(
    id="sec-user",
    lesson=LESSON,
    level="hard",
    text="Create a volume named {vol}. In it, the file {dir}/{file} must belong to uid {uid}, and the container "
         "that wrote it, named {name} and kept after it ends, must have run as uid {uid}. A new volume's top "
         "folder belongs to root.",
    params=lambda r: {"vol": _name("ex-sec-user-data"), "uid": r.choice([1234, 2345, 4321, 5000, 31337]),
                      "dir": r.choice(["reports", "uploads", "out", "results"]),
                      "file": r.choice(["done.txt", "result.txt", "ok.txt"])},
    check=check_sec_user,
    hint="uid {uid} may not create {dir} at the top of a new volume (lesson 14's second challenge). The lesson "
         "gave uid 1234 a folder of its own before that user wrote: do the same for uid {uid}, then run {name} "
         "as that uid with the volume mounted (SDK: user=, volumes=).",
    requires="the volume {vol} holds {dir}/{file}, owned by uid {uid}; the container {name} exists, is configured "
             "to run as uid {uid} and mounts {vol}.",
    cli="docker volume create {vol}\n"
        "docker run --rm --name {name}-prep -v {vol}:/data coursekit/busybox:1 "
        "sh -c 'mkdir -p /data/{dir} && chown {uid} /data/{dir}'\n"
        "docker run --name {name} --user {uid} -v {vol}:/data coursekit/busybox:1 touch /data/{dir}/{file}",
)


@sec_user.answer
def _(client, P):
    data = {P["vol"]: {"bind": "/data", "mode": "rw"}}
    client.volumes.create(P["vol"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"mkdir -p /data/{P['dir']} && chown {P['uid']} /data/{P['dir']}"],
                          volumes=data, remove=True, name=P["name"] + "-prep", labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["touch", f"/data/{P['dir']}/{P['file']}"], user=str(P["uid"]),
                          volumes=data, name=P["name"], labels=ck.labels())


@sec_user.wrong_answer("runs as root (the default)")
def _(client, P):
    data = {P["vol"]: {"bind": "/data", "mode": "rw"}}
    client.volumes.create(P["vol"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"mkdir -p /data/{P['dir']} && touch /data/{P['dir']}/{P['file']}"],
                          volumes=data, name=P["name"], labels=ck.labels())


@sec_user.wrong_answer("there is no file")
def _(client, P):
    data = {P["vol"]: {"bind": "/data", "mode": "rw"}}
    client.volumes.create(P["vol"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"mkdir -p /data/{P['dir']} && touch /data/{P['dir']}/{P['file']}"],
                          user=str(P["uid"]), volumes=data, name=P["name"], labels=ck.labels())


@sec_user.wrong_answer("is owned by uid 0, not uid")
def _(client, P):
    data = {P["vol"]: {"bind": "/data", "mode": "rw"}}
    client.volumes.create(P["vol"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"mkdir -p /data/{P['dir']} && touch /data/{P['dir']}/{P['file']}"],
                          volumes=data, remove=True, name=P["name"] + "-prep", labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["true"], user=str(P["uid"]), volumes=data, name=P["name"], labels=ck.labels())


@sec_user.wrong_answer("there is no volume named")
def _(client, P):
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"mkdir -p /tmp/{P['dir']} && touch /tmp/{P['dir']}/{P['file']}"],
                          user=str(P["uid"]), name=P["name"], labels=ck.labels())
