"""Lesson 10, Container lifecycle: the tasks life-restart, life-health, life-update, life-cp."""
from __future__ import annotations

import time

import coursekit as ck

from ..model import MiB, Task
from ..support import WORDS, _container, _kept_in_place, _running, _setup_sleeper, _task_container
from ...engine import wait_until

LESSON = "10_container_lifecycle"
TITLE = "Container lifecycle"


def check_life_restart(client, p, answer):
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


life_restart = Task(
    id="life-restart",
    lesson=LESSON,
    level="medium",
    text="Start a container named {name} in the background whose command fails at once: sh -c 'exit {code}'. "
         "Give it a restart policy under which the engine starts it again after a failure, at most {n} times. "
         "Keep the container for the check.",
    params=lambda r: {"code": r.choice([2, 3, 5, 7, 42]), "n": r.choice([2, 3])},
    check=check_life_restart,
    hint="Lesson 10's section 'Restart policies' lists four policies: one restarts only after a non-zero exit "
         "code, and takes the most restarts after a colon. `docker run --help | grep restart` shows the flag; "
         "the SDK's containers.run() takes restart_policy=, a dict with a Name and a MaximumRetryCount. "
         "docker inspect shows RestartCount.",
    requires="{name} has the restart policy on-failure:{n}, its command exited with code {code}, and the "
             "engine restarted it exactly {n} times (RestartCount {n}) before it stayed exited.",
    cli="docker run -d --name {name} --restart on-failure:{n} coursekit/busybox:1 sh -c 'exit {code}'\ndocker inspect --format '{{{{.RestartCount}}}} {{{{.State.Status}}}}' {name}     # a moment later",
)


@life_restart.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"exit {P['code']}"], detach=True, restart_policy={"Name": "on-failure", "MaximumRetryCount": P["n"]}, name=P["name"], labels=ck.labels())


@life_restart.wrong_answer("its restart policy is always")
def _(client, P):
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"exit {P['code']}"], detach=True, restart_policy={"Name": "always"}, name=P["name"], labels=ck.labels())


@life_restart.wrong_answer("its restart policy is on-failure:")
def _(client, P):
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"exit {P['code']}"], detach=True, restart_policy={"Name": "on-failure", "MaximumRetryCount": P["n"] + 2}, name=P["name"], labels=ck.labels())


@life_restart.wrong_answer("its restart policy is no")
def _(client, P):
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"exit {P['code']}"], detach=True, name=P["name"], labels=ck.labels())


@life_restart.wrong_answer("exited with code 0")
def _(client, P):
    client.containers.run(ck.BUSYBOX, ["sh", "-c", "exit 0"], detach=True, restart_policy={"Name": "on-failure", "MaximumRetryCount": P["n"]}, name=P["name"], labels=ck.labels())


@life_restart.wrong_answer("exited with code 1, not")
def _(client, P):
    client.containers.run(ck.BUSYBOX, ["sh", "-c", "exit 1"], detach=True, restart_policy={"Name": "on-failure", "MaximumRetryCount": P["n"]}, name=P["name"], labels=ck.labels())


@life_restart.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, ["sh", "-c", f"exit {P['code']}"], restart_policy={"Name": "on-failure", "MaximumRetryCount": P["n"]}, name=P["name"], labels=ck.labels())


def _health(c) -> str:
    c.reload()
    return (c.attrs["State"].get("Health") or {}).get("Status") or "none"


def check_life_health(client, p, answer):
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


life_health = Task(
    id="life-health",
    lesson=LESSON,
    level="medium",
    text="Start a container named {name} (sleep 3600, in the background) with a health check, run every "
         "second, that succeeds only when the file {path} exists in it. Then create that file in the running "
         "container, so that it turns healthy.",
    params=lambda r: {"path": f"/tmp/{r.choice(WORDS)}.ready"},
    check=check_life_health,
    hint="Lesson 10's section 'Health checks' did the same with another file: `docker run --help | grep health` "
         "lists the flags for the command and for how often it runs (the default is every 30 s). The SDK's "
         "healthcheck= is a dict whose times are in nanoseconds. A file inside a running container is made "
         "with docker exec (SDK: exec_run()).",
    requires="{name} is running with a health check every 1 s that tests {path}, the file exists in it, "
             "and its health status is healthy.",
    cli="docker run -d --name {name} --health-cmd 'test -f {path}' --health-interval 1s coursekit/busybox:1 sleep 3600\ndocker exec {name} touch {path}",
)


@life_health.answer
def _(client, P):
    c = client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, healthcheck={"test": ["CMD", "test", "-f", P["path"]], "interval": 10**9}, name=P["name"], labels=ck.labels())
    c.exec_run(["touch", P["path"]])


@life_health.wrong_answer("has no health check")
def _(client, P):
    c = client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())
    c.exec_run(["touch", P["path"]])


@life_health.wrong_answer("does not test")
def _(client, P):
    c = client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, healthcheck={"test": ["CMD", "true"], "interval": 10**9}, name=P["name"], labels=ck.labels())
    c.exec_run(["touch", P["path"]])


@life_health.wrong_answer("every 30 s (the default)")
def _(client, P):
    c = client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, healthcheck={"test": ["CMD", "test", "-f", P["path"]]}, name=P["name"], labels=ck.labels())
    c.exec_run(["touch", P["path"]])


@life_health.wrong_answer("there is no file")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, healthcheck={"test": ["CMD", "test", "-f", P["path"]], "interval": 10**9}, name=P["name"], labels=ck.labels())


@life_health.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "true", detach=True, healthcheck={"test": ["CMD", "test", "-f", P["path"]], "interval": 10**9}, name=P["name"], labels=ck.labels()).wait()


@life_health.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "sleep 3600", healthcheck={"test": ["CMD", "test", "-f", P["path"]], "interval": 10**9}, name=P["name"], labels=ck.labels())


def check_life_update(client, p, answer):
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
        from ... import cgroups
        path = cgroups.files(cgroups.version(client))["memory.limit"]
        code, out = c.exec_run(["cat", path])
        got = cgroups.parse_limit(out.decode(errors="replace")) if code == 0 else -1
        if got != p["mem"] * MiB:
            problems.append(f"its cgroup's {path} says {out.decode(errors='replace').strip()[:40]!r}, "
                            f"not {p['mem'] * MiB} ({p['mem']} MiB)")
    return problems


def _setup_update(client, p):
    _setup_sleeper(client, p, mem_limit=f"{p['start']}m", memswap_limit=f"{p['start']}m")


life_update = Task(
    id="life-update",
    lesson=LESSON,
    level="hard",
    text="The task started {name} (sleep 3600) with a memory limit of {start} MiB and no swap. Raise its "
         "memory limit to {mem} MiB while it runs: do not recreate, stop or restart it.",
    params=lambda r: {"start": r.choice([48, 64]), "mem": r.choice([128, 160, 192, 256])},
    check=check_life_update,
    hint="Lesson 10's section on rename, update and stats changed a running container's limits in place; "
         "`docker update --help | grep -i mem` lists the memory flags (the SDK's Container.update() takes "
         "the same keywords as containers.run()). If the engine refuses, read its error: it names a second "
         "limit that must change at the same time.",
    requires="{name} is the container the task started, running since then without a restart, with a "
             "memory limit of {mem} MiB in its configuration and in its cgroup's limit file.",
    setup=_setup_update,
    cli="docker update --memory {mem}m --memory-swap {mem}m {name}",
)


@life_update.answer
def _(client, P):
    c = client.containers.get(P["name"])
    c.update(mem_limit=f"{P['mem']}m", memswap_limit=f"{P['mem']}m")


@life_update.wrong_answer("its memory limit is")
def _(client, P):
    c = client.containers.get(P["name"])
    c.update(mem_limit=f"{P['mem']}m")


@life_update.wrong_answer("is a new container")
def _(client, P):
    client.containers.get(P["name"]).remove(force=True)
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, mem_limit=f"{P['mem']}m", memswap_limit=f"{P['mem']}m", name=P["name"], labels=ck.labels())


@life_update.wrong_answer("was restarted")
def _(client, P):
    c = client.containers.get(P["name"])
    c.update(mem_limit=f"{P['mem']}m", memswap_limit=f"{P['mem']}m")
    c.restart(timeout=0)


@life_update.wrong_answer("a reservation is not a limit")
def _(client, P):
    c = client.containers.get(P["name"])
    c.update(mem_reservation=f"{P['mem']}m")


@life_update.wrong_answer("not running")
def _(client, P):
    c = client.containers.get(P["name"])
    c.update(mem_limit=f"{P['mem']}m", memswap_limit=f"{P['mem']}m")
    c.kill()


def check_life_cp(client, p, answer):
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


life_cp = Task(
    id="life-cp",
    lesson=LESSON,
    level="easy",
    text="The task started {name} (sleep 3600). Copy a file from your side into it, at {path}, containing "
         "only the line {word}. The container keeps running.",
    params=lambda r: {"word": (w := r.choice(WORDS)), "path": f"/etc/{w}-{r.randrange(10, 100)}.conf"},
    check=check_life_cp,
    hint="Lesson 10's section on docker cp copied a note into a running container: the container's side is "
         "written NAME:PATH. The SDK's put_archive() takes a folder in the container and a tar archive "
         "(Python's tarfile module) that holds the file.",
    requires="{name} is running, and {path} in it is a file whose content is the line {word}.",
    setup=_setup_sleeper,
    cli="f=$(mktemp)\necho {word} > $f\ndocker cp $f {name}:{path}\nrm $f",
)


@life_cp.answer
def _(client, P):
    import io, tarfile
    data = f"{P['word']}\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(P["path"].rsplit("/", 1)[1])
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    c = client.containers.get(P["name"])
    c.put_archive(P["path"].rsplit("/", 1)[0], buf.getvalue())


@life_cp.wrong_answer("contains 'hello'")
def _(client, P):
    import io, tarfile
    data = "hello\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(P["path"].rsplit("/", 1)[1])
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    c = client.containers.get(P["name"])
    c.put_archive(P["path"].rsplit("/", 1)[0], buf.getvalue())


@life_cp.wrong_answer("there is no file")
def _(client, P):
    import io, tarfile
    data = f"{P['word']}\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(P["path"].rsplit("/", 1)[1])
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    c = client.containers.get(P["name"])
    c.put_archive("/tmp", buf.getvalue())


@life_cp.wrong_answer("is a directory")
def _(client, P):
    import io, tarfile
    data = f"{P['word']}\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(P["path"].rsplit("/", 1)[1] + "/" + P["path"].rsplit("/", 1)[1])
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    c = client.containers.get(P["name"])
    c.put_archive(P["path"].rsplit("/", 1)[0], buf.getvalue())


@life_cp.wrong_answer("not running")
def _(client, P):
    import io, tarfile
    data = f"{P['word']}\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(P["path"].rsplit("/", 1)[1])
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    c = client.containers.get(P["name"])
    c.put_archive(P["path"].rsplit("/", 1)[0], buf.getvalue())
    c.kill()
