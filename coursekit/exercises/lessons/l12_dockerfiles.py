"""Lesson 12, Dockerfiles with BuildKit: the tasks build-entrypoint, build-config, build-multistage, build-secret, build-order."""
from __future__ import annotations

from pathlib import Path

import coursekit as ck

from ..identity import _name
from ..model import Task
from ..support import WORDS, _check_box, _get, _run_image, _tmp
from ...images import BUSYBOX

LESSON = "12_dockerfiles"
TITLE = "Dockerfiles with BuildKit"


# Its checks read the built image's configuration (attrs), run it, copy files out of a
# container created from it (never started), and search its history and `docker save`.
def _built(client, p, from_busybox=True):
    """The task's image {tag}:1 and the problems found so far: (None, [why]) if it is
    missing; a problem if it is not FROM busybox."""
    problems: list[str] = []
    img = _get(client, "image", f"{p['tag']}:1")
    if img is None:
        return None, [f"there is no image tagged {p['tag']}:1 (docker build -t {p['tag']}:1 ...)"]
    base = _get(client, "image", BUSYBOX)
    layers = base.attrs["RootFS"].get("Layers") or [] if base else []
    if from_busybox and layers and (img.attrs["RootFS"].get("Layers") or [])[:len(layers)] != layers:
        problems.append(f"{p['tag']}:1 is not built FROM the course's busybox ({BUSYBOX})")
    return img, problems


def _run_args(client, img, args) -> str:
    """What a container of ``img`` prints with ``args`` (None: the image's own CMD)."""
    import docker
    try:
        return _run_image(client, img.id, args, timeout=20)[1].strip()
    except docker.errors.APIError as err:       # the engine could not start args[0]
        return f"(does not start: {str(err.explanation)[:60]})"


def check_build_entry(client, p, answer):
    img, problems = _built(client, p)
    if img is None:
        return problems
    out, want = _run_args(client, img, None), f"{p['word']} hello"
    if out != want:
        problems.append(f"run with no arguments it prints {out!r}, not {want!r}")
    out, want = _run_args(client, img, [p["arg"]]), f"{p['word']} {p['arg']}"
    if out.startswith("(does not start"):
        problems.append(f"run with the argument {p['arg']} it does not start: the argument replaced "
                        f"the whole CMD, and the engine tried to run a program called {p['arg']}")
    elif out != want:
        problems.append(f"run with the argument {p['arg']} it prints {out!r}, not {want!r}")
    return problems


build_entrypoint = Task(
    id="build-entrypoint",
    lesson=LESSON,
    level="easy",
    text="Build an image {tag}:1 from the course's busybox such that `docker run {tag}:1` prints "
         "`{word} hello` and `docker run {tag}:1 {arg}` prints `{word} {arg}`.",
    params=lambda r: {"tag": _name("ex-build-entrypoint"), "word": r.choice(WORDS),
                      "arg": r.choice(["north", "south", "east", "west"])},
    check=check_build_entry,
    hint="Lesson 12's three images: which instruction's words stay when docker run is given arguments, "
         "and which one's are replaced by them? Use the exec form (a JSON list) for both.",
    requires="{tag}:1 exists, built FROM the course's busybox; run with no arguments it prints only "
             "`{word} hello`, run with the one argument {arg} it prints only `{word} {arg}`.",
    cli='printf \'FROM coursekit/busybox:1\\nENTRYPOINT ["echo", "{word}"]\\nCMD ["hello"]\\n\' | docker build -t {tag}:1 -',
)


@build_entrypoint.answer
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nENTRYPOINT ["echo", "{P["word"]}"]\nCMD ["hello"]\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_entrypoint.wrong_answer("does not start")
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nCMD ["echo", "{P["word"]}", "hello"]\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_entrypoint.wrong_answer("with the argument")
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nENTRYPOINT echo {P["word"]} hello\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_entrypoint.wrong_answer("with the argument")
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nENTRYPOINT ["echo", "{P["word"]}", "hello"]\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_entrypoint.wrong_answer("with no arguments")
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nENTRYPOINT ["echo", "{P["word"]}"]\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


def check_build_config(client, p, answer):
    img, problems = _built(client, p)
    if img is None:
        return problems
    cfg = img.attrs["Config"]
    if f"APP_MODE={p['mode']}" not in (cfg.get("Env") or []):
        problems.append(f"APP_MODE={p['mode']} is not in the image's environment (Config.Env): "
                        "a build argument is gone after the build")
    if cfg.get("WorkingDir") != p["dir"]:
        problems.append(f"the working folder (Config.WorkingDir) is {cfg.get('WorkingDir')!r}, not {p['dir']!r}")
    if (cfg.get("User") or "").split(":")[0] != "65534":
        problems.append(f"the container's user (Config.User) is {cfg.get('User') or 'root (unset)'!r}, not 65534")
    if (cfg.get("Labels") or {}).get("course.team") != p["team"]:
        problems.append(f"the label course.team is {(cfg.get('Labels') or {}).get('course.team')!r}, not {p['team']!r}")
    return problems


build_config = Task(
    id="build-config",
    lesson=LESSON,
    level="medium",
    text="Build an image {tag}:1 from the course's busybox whose containers start in the folder {dir}, "
         "as the user 65534, with the environment variable APP_MODE={mode}; label the image "
         "course.team={team}.",
    params=lambda r: {"tag": _name("ex-build-config"), "dir": f"/srv/{r.choice(WORDS)}",
                      "mode": r.choice(["production", "staging", "debug"]), "team": r.choice(WORDS)},
    check=check_build_config,
    hint="Four instructions of lesson 12's configuration table: one for the environment (not ARG: it ends "
         "with the build), one for the folder, one for the user, one for metadata. docker inspect "
         "--format '{{json .Config}}' shows what you got.",
    requires="{tag}:1 exists, built FROM the course's busybox, and its configuration has APP_MODE={mode} "
             "in its environment, {dir} as working folder, 65534 as user and the label course.team={team}.",
    cli="printf 'FROM coursekit/busybox:1\\nENV APP_MODE={mode}\\nWORKDIR {dir}\\nUSER 65534\\nLABEL course.team={team}\\n' | docker build -t {tag}:1 -",
)


@build_config.answer
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nENV APP_MODE={P["mode"]}\nWORKDIR {P["dir"]}\nUSER 65534\nLABEL course.team={P["team"]}\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_config.wrong_answer("not in the image's environment")
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nARG APP_MODE={P["mode"]}\nWORKDIR {P["dir"]}\nUSER 65534\nLABEL course.team={P["team"]}\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_config.wrong_answer("the working folder")
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nENV APP_MODE={P["mode"]}\nRUN mkdir -p {P["dir"]} && cd {P["dir"]}\nUSER 65534\nLABEL course.team={P["team"]}\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_config.wrong_answer("the container's user")
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nENV APP_MODE={P["mode"]}\nWORKDIR {P["dir"]}\nLABEL course.team={P["team"]}\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_config.wrong_answer("the label course.team")
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nENV APP_MODE={P["mode"]}\nWORKDIR {P["dir"]}\nUSER 65534\nLABEL team={P["team"]}\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


def check_build_multi(client, p, answer):
    import docker
    import io
    import tarfile
    img, problems = _built(client, p, from_busybox=False)
    if img is None:
        return problems
    box = _check_box(client, img.id, ["none"])       # never started: only its files are read
    try:
        try:
            stream, _ = box.get_archive("/site/index.html")
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
                member = tar.getmembers()[0]
                text = tar.extractfile(member).read().decode(errors="replace").strip() if member.isfile() else None
            if text != p["word"]:
                problems.append(f"/site/index.html contains {text!r}, not {p['word']!r}")
        except docker.errors.NotFound:
            problems.append("there is no /site/index.html in the image")
        try:
            box.get_archive("/bin/busybox")
            problems.append("the image still holds /bin/busybox, the build stage's tools: the final "
                            "stage should start FROM scratch and copy only /site")
        except docker.errors.NotFound:
            pass
    finally:
        box.remove(force=True)
    return problems


build_multistage = Task(
    id="build-multistage",
    lesson=LESSON,
    level="medium",
    text="Build an image {tag}:1 with a multi-stage Dockerfile: a first stage, FROM the course's busybox, "
         "writes the word {word} into /site/index.html; the final image holds that /site/index.html and "
         "none of busybox's tools.",
    params=lambda r: {"tag": _name("ex-build-multistage"), "word": r.choice(WORDS)},
    check=check_build_multi,
    hint="Lesson 12's multi-stage build: give the first stage a name (FROM ... AS NAME), start the last "
         "stage from the empty image, and copy the folder across from the named stage (a flag of COPY).",
    requires="{tag}:1 exists, its /site/index.html contains only {word}, and it has no /bin/busybox.",
    cli="printf 'FROM coursekit/busybox:1 AS build\\nRUN mkdir /site && echo {word} > /site/index.html\\nFROM scratch\\nCOPY --from=build /site /site\\n' | docker build -t {tag}:1 -",
)


@build_multistage.answer
def _(client, P):
    import subprocess
    dockerfile = f'FROM {ck.BUSYBOX} AS build\nRUN mkdir /site && echo {P["word"]} > /site/index.html\nFROM scratch\nCOPY --from=build /site /site\n'
    subprocess.run(["docker", "build", "-t", f"{P['tag']}:1", *ck.cli_labels().split(), "-"],
                   input=dockerfile, text=True, capture_output=True, check=True)


@build_multistage.wrong_answer("still holds /bin/busybox")
def _(client, P):
    import subprocess
    dockerfile = f'FROM {ck.BUSYBOX}\nRUN mkdir /site && echo {P["word"]} > /site/index.html\n'
    subprocess.run(["docker", "build", "-t", f"{P['tag']}:1", *ck.cli_labels().split(), "-"],
                   input=dockerfile, text=True, capture_output=True, check=True)


@build_multistage.wrong_answer("still holds /bin/busybox")
def _(client, P):
    import subprocess
    dockerfile = f'FROM {ck.BUSYBOX} AS build\nRUN mkdir /site && echo {P["word"]} > /site/index.html\nFROM {ck.BUSYBOX}\nCOPY --from=build /site /site\n'
    subprocess.run(["docker", "build", "-t", f"{P['tag']}:1", *ck.cli_labels().split(), "-"],
                   input=dockerfile, text=True, capture_output=True, check=True)


@build_multistage.wrong_answer("there is no /site/index.html")
def _(client, P):
    import subprocess
    dockerfile = f'FROM {ck.BUSYBOX} AS build\nRUN mkdir /site && echo {P["word"]} > /site/index.html\nFROM scratch\nCOPY --from=build /site/index.html /site-index.html\n'
    subprocess.run(["docker", "build", "-t", f"{P['tag']}:1", *ck.cli_labels().split(), "-"],
                   input=dockerfile, text=True, capture_output=True, check=True)


@build_multistage.wrong_answer("contains 'hello'")
def _(client, P):
    import subprocess
    dockerfile = f'FROM {ck.BUSYBOX} AS build\nRUN mkdir /site && echo hello > /site/index.html\nFROM scratch\nCOPY --from=build /site /site\n'
    subprocess.run(["docker", "build", "-t", f"{P['tag']}:1", *ck.cli_labels().split(), "-"],
                   input=dockerfile, text=True, capture_output=True, check=True)


def check_build_secret(client, p, answer):
    import hashlib
    img, problems = _built(client, p)
    if img is None:
        return problems
    want = hashlib.sha256(p["token"].encode()).hexdigest()
    out = _run_args(client, img, ["cat", "/token.sha"])
    if out != want:
        problems.append(f"/token.sha holds {out[:80]!r}, not the 64 hex digits of token.txt's SHA-256 alone"
                        " (if the build said CACHED for that step, it reused a step run with another "
                        "token: a secret is not part of BuildKit's cache key; build with --no-cache)")
    if any(p["token"] in (row.get("CreatedBy") or "") for row in img.history()):
        problems.append("the token is in the image's history (docker history --no-trunc): "
                        "a build argument is recorded there")
    elif p["token"].encode() in b"".join(img.save()):
        problems.append("the token is in a layer of the image (docker save): a file copied in "
                        "stays in its layer, even if a later step deletes it")
    return problems


def _setup_secret(client, p):
    Path(p["dir"]).mkdir(parents=True, exist_ok=True)
    (Path(p["dir"]) / "token.txt").write_text(p["token"])


build_secret = Task(
    id="build-secret",
    lesson=LESSON,
    level="hard",
    text="The task wrote a token into {dir}/token.txt. Build an image {tag}:1 from the course's busybox "
         "whose file /token.sha holds the token's SHA-256 (the 64 hex digits alone), computed during "
         "the build, while the token itself is in no layer and not in the image's history. Give the "
         "build secret the id {id} (your own: a neighbour's build of the same Dockerfile at the same "
         "moment could be merged with yours).",
    params=lambda r: {"tag": _name("ex-build-secret"), "dir": _tmp("ex-build-secret-ctx"),
                      "token": f"{r.getrandbits(128):032x}", "id": f"token-{r.getrandbits(24):06x}"},
    check=check_build_secret,
    hint="Lesson 12's build secrets: of the three ways it tried, only one left the token in neither "
         "docker history nor docker save. It needs BuildKit, so the CLI (the SDK's builder has no "
         "RUN --mount). `sha256sum FILE | cut -c1-64` prints the digits alone; --no-cache makes sure the step "
         "reads your token, not a cached result of someone else's.",
    requires="{tag}:1 exists, built FROM the course's busybox; a container of it prints the SHA-256 of "
             "token.txt's content with `cat /token.sha`; the token is in none of its history rows "
             "and nowhere in `docker save` of it.",
    setup=_setup_secret,
    cli="printf 'FROM coursekit/busybox:1\\nRUN --mount=type=secret,id={id} sha256sum /run/secrets/{id} | cut -c1-64 > /token.sha\\n' | docker build --no-cache --secret id={id},src={dir}/token.txt -t {tag}:1 -",
)


@build_secret.answer
def _(client, P):
    import subprocess
    dockerfile = f'FROM {ck.BUSYBOX}\nRUN --mount=type=secret,id={P["id"]} sha256sum /run/secrets/{P["id"]} | cut -c1-64 > /token.sha\n'
    subprocess.run(["docker", "build", "--no-cache", "--secret", f"id={P['id']},src={P['dir']}/token.txt", "-t", f"{P['tag']}:1", *ck.cli_labels().split(), "-"],
                   input=dockerfile, text=True, capture_output=True, check=True)


@build_secret.wrong_answer("in a layer of the image")
def _(client, P):
    from pathlib import Path
    (Path(P["dir"]) / "Dockerfile").write_text(f'FROM {ck.BUSYBOX}\nCOPY token.txt /t\nRUN sha256sum /t | cut -c1-64 > /token.sha\nRUN rm /t\n')
    client.images.build(path=P["dir"], tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_secret.wrong_answer("in the image's history")
def _(client, P):
    from pathlib import Path
    (Path(P["dir"]) / "Dockerfile").write_text(f'FROM {ck.BUSYBOX}\nARG TOKEN\nRUN echo -n $TOKEN | sha256sum | cut -c1-64 > /token.sha\n')
    client.images.build(path=P["dir"], tag=f"{P['tag']}:1", labels=ck.labels(), rm=True, buildargs={"TOKEN": P["token"]})


@build_secret.wrong_answer("not the 64 hex digits")
def _(client, P):
    import subprocess
    dockerfile = f'FROM {ck.BUSYBOX}\nRUN --mount=type=secret,id={P["id"]} sha256sum /run/secrets/{P["id"]} > /token.sha\n'
    subprocess.run(["docker", "build", "--no-cache", "--secret", f"id={P['id']},src={P['dir']}/token.txt", "-t", f"{P['tag']}:1", *ck.cli_labels().split(), "-"],
                   input=dockerfile, text=True, capture_output=True, check=True)


def check_build_order(client, p, answer):
    img, problems = _built(client, p)
    if img is None:
        return problems
    out = _run_args(client, img, None)
    if out != p["word"]:
        problems.append(f"run with no arguments it prints {out[:60]!r}, not {p['word']!r}: app.txt must "
                        "still be copied to /app/app.txt (and CMD kept)")
    base = _get(client, "image", BUSYBOX)
    rows = [r.get("CreatedBy") or "" for r in img.history()]      # newest first
    rows = rows[:len(rows) - len(base.history())] if base else rows
    install = [i for i, r in enumerate(rows) if f"installing {p['pkg']}" in r]
    if not install:
        problems.append(f"the install step (RUN echo installing {p['pkg']} ...) is missing")
    elif any(i > install[0] for i, r in enumerate(rows) if "COPY" in r):     # older: before it
        problems.append("the install step runs after a COPY: an edit to app.txt makes it run again")
    return problems


def _setup_order(client, p):
    d = Path(p["dir"])
    d.mkdir(parents=True, exist_ok=True)
    (d / "Dockerfile").write_text(f"FROM {BUSYBOX}\nCOPY app.txt /app/app.txt\n{INSTALL.format(pkg=p['pkg'])}\n"
                                  'CMD ["cat", "/app/app.txt"]\n')
    (d / "app.txt").write_text(p["word"] + "\n")


INSTALL = "RUN echo installing {pkg} && sleep 1 && echo {pkg} > /deps.txt"


build_order = Task(
    id="build-order",
    lesson=LESSON,
    level="medium",
    text="The task wrote a build context into {dir}: its Dockerfile copies app.txt, then runs a slow "
         "install of {pkg}. Reorder it so that an edit to app.txt no longer makes the install run again, "
         "and build it as {tag}:1. The image still prints app.txt.",
    params=lambda r: {"tag": _name("ex-build-order"), "dir": _tmp("ex-build-order-ctx"), "word": r.choice(WORDS),
                      "pkg": r.choice(["libfoo", "libbar", "libbaz"])},
    check=check_build_order,
    hint="Lesson 12's cache demo: a step runs again when anything before it changed. Which of the two "
         "steps changes more often, and which should come first? docker history lists the steps, newest first.",
    requires="{tag}:1 exists, built FROM the course's busybox; run with no arguments it prints {word} "
             "(app.txt); its history has the install of {pkg}, and no COPY before it.",
    setup=_setup_order,
    cli='printf \'FROM coursekit/busybox:1\\nRUN echo installing {pkg} && sleep 1 && echo {pkg} > /deps.txt\\nCOPY app.txt /app/app.txt\\nCMD ["cat", "/app/app.txt"]\\n\' > {dir}/Dockerfile\ndocker build -t {tag}:1 {dir}',
)


@build_order.answer
def _(client, P):
    from pathlib import Path
    (Path(P["dir"]) / "Dockerfile").write_text(f'FROM {ck.BUSYBOX}\nRUN echo installing {P["pkg"]} && sleep 1 && echo {P["pkg"]} > /deps.txt\nCOPY app.txt /app/app.txt\nCMD ["cat", "/app/app.txt"]\n')
    client.images.build(path=P["dir"], tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_order.wrong_answer("runs after a COPY")
def _(client, P):
    client.images.build(path=P["dir"], tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_order.wrong_answer("runs after a COPY")
def _(client, P):
    from pathlib import Path
    (Path(P["dir"]) / "Dockerfile").write_text(f'FROM {ck.BUSYBOX}\nCOPY . /app/\nRUN echo installing {P["pkg"]} && sleep 1 && echo {P["pkg"]} > /deps.txt\nCMD ["cat", "/app/app.txt"]\n')
    client.images.build(path=P["dir"], tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_order.wrong_answer("must still be copied")
def _(client, P):
    from pathlib import Path
    (Path(P["dir"]) / "Dockerfile").write_text(f'FROM {ck.BUSYBOX}\nRUN echo installing {P["pkg"]} && sleep 1 && echo {P["pkg"]} > /deps.txt\nRUN mkdir /app\nCMD ["cat", "/app/app.txt"]\n')
    client.images.build(path=P["dir"], tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@build_order.wrong_answer("the install step")
def _(client, P):
    from pathlib import Path
    (Path(P["dir"]) / "Dockerfile").write_text(f'FROM {ck.BUSYBOX}\nCOPY app.txt /app/app.txt\nRUN true\nCMD ["cat", "/app/app.txt"]\n')
    client.images.build(path=P["dir"], tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)
