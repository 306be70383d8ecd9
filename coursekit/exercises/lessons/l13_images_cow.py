"""Lesson 13, Images and copy-on-write: the tasks cow-diff, cow-commit, cow-readonly, cow-export, cow-tmpfs."""
from __future__ import annotations

import coursekit as ck

from ..identity import _name
from ..model import Task
from ..support import WORDS, _container, _get, _run_image, _run_quiet, _running
from ...images import BUSYBOX

LESSON = "13_images_cow"
TITLE = "Images and copy-on-write"

KIND = {0: "C", 1: "A", 2: "D"}          # docker diff's letters for the API's Kind numbers
APPLETS = ["wget", "vi", "less", "telnet", "ftpget"]   # links in the lab image's /bin


# Checks read the engine's state: a container's diff and mounts, an image's layers,
# history and configuration, and what a throw-away container of the image prints.
def _diff_wanted(p) -> dict[str, str]:
    return {f"/tmp/{p['word']}.txt": "A", "/etc/group": "C", f"/bin/{p['applet']}": "D"}


def check_cow_diff(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c is None:
        return problems
    got = {d["Path"]: KIND.get(d["Kind"], "?") for d in (c.diff() or [])}
    want = _diff_wanted(p)
    for path, kind in want.items():
        if path not in got:
            problems.append(f"docker diff has no {kind} {path}")
        elif got[path] != kind:
            problems.append(f"docker diff shows {got[path]} {path}, not {kind} {path}")
    folders = {path.rsplit("/", 1)[0] for path in want}   # a change inside a folder changes it (C)
    extra = sorted(f"{k} {path}" for path, k in got.items() if path not in want and path not in folders)
    if extra:
        problems.append(f"docker diff also lists {', '.join(extra[:4])}: changes not asked for")
    return problems


cow_diff = Task(
    id="cow-diff",
    lesson=LESSON,
    level="medium",
    text="Make a container named {name} from the course's busybox (running or exited) whose "
         "writable layer holds exactly three changes: a new file /tmp/{word}.txt, a changed "
         "/etc/group (add a line to it) and the deleted /bin/{applet}.",
    params=lambda r: {"word": r.choice(WORDS), "applet": r.choice(APPLETS)},
    check=check_cow_diff,
    hint="Lesson 13's docker diff: A for a file added, C for one changed, D for one deleted. One "
         "sh -c command can do all three; a folder that holds a change shows as C too (that is "
         "allowed). An interactive shell leaves its own history file: the check counts it.",
    requires="{name} exists, and docker diff {name} lists A /tmp/{word}.txt, C /etc/group and "
             "D /bin/{applet}, and nothing else but the folders that hold them (C /tmp, C /etc, C /bin).",
    cli="docker run --name {name} coursekit/busybox:1 sh -c "
        "'echo {word} > /tmp/{word}.txt && echo {word}:x:4242: >> /etc/group && rm /bin/{applet}'\n"
        "docker diff {name}",
)


@cow_diff.answer
def _(client, P):
    changes = f"echo {P['word']} > /tmp/{P['word']}.txt && echo {P['word']}:x:4242: >> /etc/group && rm /bin/{P['applet']}"
    client.containers.run(ck.BUSYBOX, ["sh", "-c", changes], detach=True, name=P["name"], labels=ck.labels()).wait()


@cow_diff.wrong_answer("has no D /bin/")
def _(client, P):
    changes = f"echo {P['word']} > /tmp/{P['word']}.txt && echo {P['word']}:x:4242: >> /etc/group"
    client.containers.run(ck.BUSYBOX, ["sh", "-c", changes], detach=True, name=P["name"], labels=ck.labels()).wait()


@cow_diff.wrong_answer("not C /etc/group")
def _(client, P):
    changes = f"echo {P['word']} > /tmp/{P['word']}.txt && rm /etc/group && rm /bin/{P['applet']}"
    client.containers.run(ck.BUSYBOX, ["sh", "-c", changes], detach=True, name=P["name"], labels=ck.labels()).wait()


@cow_diff.wrong_answer("changes not asked for")
def _(client, P):
    # what `docker run -it ... sh` and typing the commands leaves: the shell's history file
    changes = (f"echo {P['word']} > /tmp/{P['word']}.txt && echo {P['word']}:x:4242: >> /etc/group && rm /bin/{P['applet']}"
               " && echo 'rm /bin/...' > /root/.ash_history")
    client.containers.run(ck.BUSYBOX, ["sh", "-c", changes], detach=True, name=P["name"], labels=ck.labels()).wait()


@cow_diff.wrong_answer("there is no container named")
def _(client, P):
    changes = f"echo {P['word']} > /tmp/{P['word']}.txt && echo {P['word']}:x:4242: >> /etc/group && rm /bin/{P['applet']}"
    client.containers.run(ck.BUSYBOX, ["sh", "-c", changes], remove=True, name=P["name"], labels=ck.labels())


def _image(client, p, how: str):
    """The task's image {tag}:1, or None and the problem."""
    img = _get(client, "image", f"{p['tag']}:1")
    return img, ([] if img else [f"there is no image tagged {p['tag']}:1 ({how})"])


def _run_output(client, img, cmd) -> tuple[int, str]:
    """(exit code, output) of a throw-away container of ``img``; (-1, why) if it cannot start."""
    import docker
    try:
        code, out = _run_image(client, img.id, cmd, timeout=20)
        return code, out.strip()
    except docker.errors.APIError as err:     # no such program in the image
        return -1, f"it does not start ({str(err.explanation)[:60]})"


def check_cow_commit(client, p, answer):
    img, problems = _image(client, p, f"docker commit CONTAINER {p['tag']}:1")
    if img is None:
        return problems
    base = _get(client, "image", BUSYBOX)
    layers = base.attrs["RootFS"].get("Layers") or [] if base else []
    if layers and (img.attrs["RootFS"].get("Layers") or [])[:len(layers)] != layers:
        problems.append(f"{p['tag']}:1 is not made from the course's busybox ({BUSYBOX})")
    top = (img.history() or [{}])[0]
    if top.get("Comment") == "buildkit.dockerfile.v0" or "#(nop)" in (top.get("CreatedBy") or ""):
        problems.append(f"{p['tag']}:1 was built from a Dockerfile, not committed from a container "
                        "(its newest docker history row is a Dockerfile instruction)")
    label = (img.attrs["Config"].get("Labels") or {}).get("cow.task")
    if label != p["word"]:
        problems.append(f"the label cow.task is {label!r}, not {p['word']!r}")
    code, out = _run_output(client, img, None)
    if out != p["word"]:
        problems.append(f"docker run {p['tag']}:1 prints {out[:60]!r}, not {p['word']!r} "
                        f"(its CMD is {img.attrs['Config'].get('Cmd')})")
    return problems


cow_commit = Task(
    id="cow-commit",
    lesson=LESSON,
    level="medium",
    text="In a container named {name} of the course's busybox, write {word} into /{word}.txt; then "
         "commit the container as the image {tag}:1, labelled cow.task={word}, whose command is "
         "`cat /{word}.txt`: `docker run {tag}:1` prints {word}.",
    params=lambda r: {"tag": _name("ex-cow-commit"), "word": r.choice(WORDS)},
    check=check_cow_commit,
    hint="Lesson 13's docker commit: --change (-c) takes a Dockerfile instruction, once per "
         "instruction (a LABEL, a CMD); the SDK's commit() takes changes=[...]. Without a CMD "
         "the image keeps the container's own command.",
    requires="{tag}:1 exists, made from the course's busybox by docker commit (its newest history row "
             "is no Dockerfile instruction), has the label cow.task={word}, and docker run {tag}:1 "
             "prints only {word}.",
    cli="docker run --name {name} coursekit/busybox:1 sh -c 'echo {word} > /{word}.txt'\n"
        "docker commit --change 'LABEL cow.task={word}' --change 'CMD [\"cat\", \"/{word}.txt\"]' {name} {tag}:1",
)


@cow_commit.answer
def _(client, P):
    box = client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /{P['word']}.txt"], detach=True,
                                name=P["name"], labels=ck.labels())
    box.wait()
    box.commit(repository=P["tag"], tag="1", changes=[f"LABEL cow.task={P['word']}", f'CMD ["cat", "/{P["word"]}.txt"]'])


@cow_commit.wrong_answer("its CMD is ['sh'")
def _(client, P):
    box = client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /{P['word']}.txt"], detach=True,
                                name=P["name"], labels=ck.labels())
    box.wait()
    box.commit(repository=P["tag"], tag="1", changes=[f"LABEL cow.task={P['word']}"])


@cow_commit.wrong_answer("the label cow.task is None")
def _(client, P):
    box = client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /{P['word']}.txt"], detach=True,
                                name=P["name"], labels=ck.labels())
    box.wait()
    box.commit(repository=P["tag"], tag="1", changes=[f'CMD ["cat", "/{P["word"]}.txt"]'])


@cow_commit.wrong_answer("can't open")
def _(client, P):
    box = client.containers.create(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /{P['word']}.txt"],
                                   name=P["name"], labels=ck.labels())      # committed before it ran
    box.commit(repository=P["tag"], tag="1", changes=[f"LABEL cow.task={P['word']}", f'CMD ["cat", "/{P["word"]}.txt"]'])


@cow_commit.wrong_answer("built from a Dockerfile")
def _(client, P):
    from coursekit.images import build_context
    dockerfile = (f"FROM {ck.BUSYBOX}\nRUN echo {P['word']} > /{P['word']}.txt\nLABEL cow.task={P['word']}\n"
                  f'CMD ["cat", "/{P["word"]}.txt"]\n')
    client.images.build(fileobj=build_context(dockerfile, {}), custom_context=True, tag=f"{P['tag']}:1",
                        labels=ck.labels(), rm=True)


def check_cow_readonly(client, p, answer):
    problems = []
    if _get(client, "volume", p["volume"]) is None:
        return [f"there is no volume named {p['volume']}"]
    out = _run_quiet(client, "cat /v/settings.txt 2>/dev/null || echo MISSING",
                     volumes={p["volume"]: {"bind": "/v", "mode": "ro"}})[1].strip()
    if out == "MISSING":
        problems.append("the volume has no file settings.txt at its top level")
    elif out != p["word"]:
        problems.append(f"settings.txt contains {out[:60]!r}, not {p['word']!r}")
    c = _container(client, p, problems)
    if c is None:
        return problems
    at = [m for m in c.attrs.get("Mounts") or [] if m.get("Destination") == p["path"]]
    if not at:
        problems.append(f"{c.name} mounts nothing at {p['path']}")
    elif at[0].get("Type") != "volume" or at[0].get("Name") != p["volume"]:
        problems.append(f"{c.name} mounts {at[0].get('Name') or at[0].get('Source')} ({at[0].get('Type')}) "
                        f"at {p['path']}, not the volume {p['volume']}")
    elif at[0].get("RW"):
        problems.append(f"{p['volume']} is mounted read-write at {p['path']}: add :ro (-v) or readonly (--mount)")
    _running(c, problems)
    return problems


cow_readonly = Task(
    id="cow-readonly",
    lesson=LESSON,
    level="medium",
    text="Put a file settings.txt containing only {word} at the top of a volume named {volume}; then "
         "start a container named {name} (sleep 3600, in the background) that mounts the volume "
         "read-only at {path}.",
    params=lambda r: {"volume": _name("ex-cow-readonly-data"), "word": r.choice(WORDS),
                      "path": r.choice(["/config", "/settings", "/srv/conf"])},
    check=check_cow_readonly,
    hint="Two containers: one that writes the file into the volume (mounted read-write; --rm removes "
         "it afterwards, the volume keeps the file), then the one that only reads it. Lesson 13 "
         "mounted a volume read-only both with -v and with --mount: a suffix of two letters, or one "
         "more word in the list of fields, makes the difference.",
    requires="the volume {volume} exists and its top-level settings.txt contains only {word}; {name} "
             "is running and mounts {volume} at {path}, read-only.",
    cli="docker volume create {volume}\n"
        "docker run --rm -v {volume}:/v coursekit/busybox:1 sh -c 'echo {word} > /v/settings.txt'\n"
        "docker run -d --name {name} --mount type=volume,source={volume},target={path},readonly "
        "coursekit/busybox:1 sleep 3600",
)


@cow_readonly.answer
def _(client, P):
    client.volumes.create(P["volume"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /v/settings.txt"], remove=True,
                          volumes={P["volume"]: {"bind": "/v", "mode": "rw"}}, labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"],
                          volumes={P["volume"]: {"bind": P["path"], "mode": "ro"}}, labels=ck.labels())


@cow_readonly.wrong_answer("mounted read-write")
def _(client, P):
    client.volumes.create(P["volume"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /v/settings.txt"], remove=True,
                          volumes={P["volume"]: {"bind": "/v", "mode": "rw"}}, labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"],
                          volumes={P["volume"]: {"bind": P["path"], "mode": "rw"}}, labels=ck.labels())


@cow_readonly.wrong_answer("no file settings.txt")
def _(client, P):
    client.volumes.create(P["volume"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"],
                          volumes={P["volume"]: {"bind": P["path"], "mode": "ro"}}, labels=ck.labels())


@cow_readonly.wrong_answer("mounts nothing at")
def _(client, P):
    import docker
    client.volumes.create(P["volume"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /v/settings.txt"], remove=True,
                          volumes={P["volume"]: {"bind": "/v", "mode": "rw"}}, labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels(),
                          mounts=[docker.types.Mount("/data", P["volume"], read_only=True)])


@cow_readonly.wrong_answer("not running")
def _(client, P):
    client.volumes.create(P["volume"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /v/settings.txt"], remove=True,
                          volumes={P["volume"]: {"bind": "/v", "mode": "rw"}}, labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "true", detach=True, name=P["name"],
                          volumes={P["volume"]: {"bind": P["path"], "mode": "ro"}}, labels=ck.labels()).wait()


def check_cow_export(client, p, answer):
    img, problems = _image(client, p, f"docker import FILE {p['tag']}:1")
    if img is None:
        return problems
    n = len(img.attrs["RootFS"].get("Layers") or [])
    if n != 1:
        problems.append(f"{p['tag']}:1 has {n} layers, not one: an import of an export has one "
                        "(a commit, or a save and load, keeps the image's layers)")
    code, out = _run_output(client, img, ["cat", f"/{p['word']}.txt"])
    if code == -1:
        problems.append(f"{p['tag']}:1 cannot run cat: its files are not a container's file system "
                        f"(export a container of the course's busybox, not an image): {out}")
    elif out != p["word"]:
        problems.append(f"cat /{p['word']}.txt in {p['tag']}:1 gives {out[:60]!r}, not {p['word']!r}")
    return problems


cow_export = Task(
    id="cow-export",
    lesson=LESSON,
    level="hard",
    text="In a container named {name} of the course's busybox, write {word} into /{word}.txt. Make "
         "an image {tag}:1 of that container's file system in one single layer: export the container "
         "and import the tar.",
    params=lambda r: {"tag": _name("ex-cow-export"), "word": r.choice(WORDS)},
    check=check_cow_export,
    hint="Lesson 13's export and import: docker export writes the container's files as one tar (to a "
         "file or to stdout), and docker import makes an image of such a tar. A commit, or a save and a "
         "load, keep every layer; `docker save`'s tar holds a manifest and layers, not a file system.",
    requires="{tag}:1 exists, has exactly one layer, and cat /{word}.txt in it prints only {word}.",
    cli="docker run --name {name} coursekit/busybox:1 sh -c 'echo {word} > /{word}.txt'\n"
        "docker export {name} | docker import - {tag}:1",
)


@cow_export.answer
def _(client, P):
    box = client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /{P['word']}.txt"], detach=True,
                                name=P["name"], labels=ck.labels())
    box.wait()
    client.api.import_image_from_data(b"".join(box.export()), repository=P["tag"], tag="1")


@cow_export.wrong_answer("layers, not one")
def _(client, P):
    box = client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /{P['word']}.txt"], detach=True,
                                name=P["name"], labels=ck.labels())
    box.wait()
    box.commit(repository=P["tag"], tag="1")


@cow_export.wrong_answer("not a container's file system")
def _(client, P):
    box = client.containers.run(ck.BUSYBOX, ["sh", "-c", f"echo {P['word']} > /{P['word']}.txt"], detach=True,
                                name=P["name"], labels=ck.labels())
    box.wait()
    committed = box.commit()          # an image without a name, saved: the tar of docker save
    client.api.import_image_from_data(b"".join(committed.save()), repository=P["tag"], tag="1")
    client.images.remove(committed.id)


@cow_export.wrong_answer("gives")
def _(client, P):
    box = client.containers.run(ck.BUSYBOX, ["sh", "-c", "echo written"], detach=True, name=P["name"], labels=ck.labels())
    box.wait()
    client.api.import_image_from_data(b"".join(box.export()), repository=P["tag"], tag="1")


def check_cow_tmpfs(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c is None or not _running(c, problems):
        return problems
    res = c.exec_run(["grep", f" {p['path']} ", "/proc/mounts"])
    fields = res.output.decode(errors="replace").split() if res.exit_code == 0 else []
    if not fields:
        problems.append(f"nothing is mounted at {p['path']} in {c.name}")
    elif fields[2] != "tmpfs":
        problems.append(f"{p['path']} is a {fields[2]} mount, not a tmpfs (a volume or a bind is on disk)")
    else:
        size = next((o.split("=", 1)[1] for o in fields[3].split(",") if o.startswith("size=")), "unset")
        if size != f"{p['size'] * 1024}k":
            problems.append(f"its size is {size}, not {p['size']} MiB ({p['size'] * 1024}k)")
    return problems


cow_tmpfs = Task(
    id="cow-tmpfs",
    lesson=LESSON,
    level="easy",
    text="Start a container named {name} (sleep 3600, in the background) with a tmpfs of {size} MiB "
         "mounted at {path}.",
    params=lambda r: {"size": r.choice([8, 16, 32]), "path": r.choice(["/cache", "/scratch", "/buffer"])},
    check=check_cow_tmpfs,
    hint="Lesson 13's tmpfs section gave its tmpfs a size with --mount; the SDK's tmpfs= maps a path "
         "to the mount's options (tmpfs's own option for it is in `man tmpfs`). Without a size a tmpfs "
         "may grow to half the memory.",
    requires="{name} is running and has a tmpfs of exactly {size} MiB at {path}.",
    cli="docker run -d --name {name} --mount type=tmpfs,destination={path},tmpfs-size={size}m "
        "coursekit/busybox:1 sleep 3600",
)


@cow_tmpfs.answer
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, tmpfs={P["path"]: f"size={P['size']}m"},
                          name=P["name"], labels=ck.labels())


@cow_tmpfs.wrong_answer("its size is")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, tmpfs={P["path"]: ""}, name=P["name"], labels=ck.labels())


@cow_tmpfs.wrong_answer("not a tmpfs")
def _(client, P):
    import docker
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels(),
                          mounts=[docker.types.Mount(P["path"], None, type="volume")])


@cow_tmpfs.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "sleep 3600", tmpfs={P["path"]: f"size={P['size']}m"},
                             name=P["name"], labels=ck.labels())
