"""Lesson 06, Images: the tasks img-build, img-tag, img-ignore."""
from __future__ import annotations

from pathlib import Path

import coursekit as ck

from ..identity import _name
from ..model import Task
from ..support import WORDS, _get, _run_image, _tmp
from ...images import BUSYBOX
from ...labelling import labels

LESSON = "06_images_and_build"
TITLE = "Images"


def check_img_build(client, p, answer):
    problems = []
    img = _get(client, "image", f"{p['tag']}:1")
    if img is None:
        return [f"there is no image tagged {p['tag']}:1 (docker build -t {p['tag']}:1 ...)"]
    base = _get(client, "image", BUSYBOX)
    layers = base.attrs["RootFS"].get("Layers") or [] if base else []
    if layers and (img.attrs["RootFS"].get("Layers") or [])[:len(layers)] != layers:
        problems.append(f"{p['tag']}:1 is not built FROM the course's busybox ({BUSYBOX})")
    code, out = _run_image(client, img.id, timeout=20)
    out = out.strip()
    if out != p["word"]:
        problems.append(f"running it prints {out[:60]!r}, not {p['word']!r}: set CMD")
    return problems


img_build = Task(
    id="img-build",
    lesson=LESSON,
    level="medium",
    text="Build an image tagged {tag}:1 from the course's busybox whose default command prints the word "
         "{word}.",
    params=lambda r: {"tag": _name("ex-img-build"), "word": r.choice(WORDS)},
    check=check_img_build,
    hint="A Dockerfile needs a base image (FROM) and a default command (CMD, in the exec form with square brackets). Lesson 06 wrote one into a folder and built that folder, naming the result with -t.",
    requires="an image {tag}:1 exists, built FROM the course's busybox, and a container run from it "
             "with no command prints only {word}.",
    cli='printf \'FROM coursekit/busybox:1\\nCMD ["echo", "{word}"]\\n\' | docker build -t {tag}:1 -',
)


@img_build.answer
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nCMD ["echo", "{P["word"]}"]\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@img_build.wrong_answer("prints '', not")
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@img_build.wrong_answer("prints 'hello', not")
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nCMD ["echo", "hello"]\n', {}), custom_context=True, tag=f"{P['tag']}:1", labels=ck.labels(), rm=True)


@img_build.wrong_answer("there is no image tagged")
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nCMD ["echo", "{P["word"]}"]\n', {}), custom_context=True, tag=f"{P['tag']}", labels=ck.labels(), rm=True)


def check_img_tag(client, p, answer):
    a, b = _get(client, "image", f"{p['tag']}:1"), _get(client, "image", f"{p['tag']}:stable")
    if a is None:
        return [f"{p['tag']}:1 is missing: the task made it; run the task's show cell to make it again"]
    if b is None:
        return [f"there is no {p['tag']}:stable"]
    if a.id != b.id:
        return [f"{p['tag']}:stable is a different image from {p['tag']}:1: tag it, do not rebuild"]
    return []


def _setup_img_tag(client, p):
    from ...images import build_context
    if _get(client, "image", f"{p['tag']}:1") is None:
        client.images.build(fileobj=build_context(f"FROM {BUSYBOX}\nRUN echo {p['tag']} > /id\n", {}),
                            custom_context=True, tag=f"{p['tag']}:1", labels=labels(), rm=True)


img_tag = Task(
    id="img-tag",
    lesson=LESSON,
    level="easy",
    text="The task built {tag}:1. Give the same image a second tag, {tag}:stable.",
    params=lambda r: {"tag": _name("ex-img-tag")},
    check=check_img_tag,
    hint="An image can have several names. Which docker command adds a name to an image that exists, without building or copying anything? (SDK: a method of the Image object.)",
    requires="{tag}:1 and {tag}:stable both exist and are the same image (the same ID).",
    setup=_setup_img_tag,
    cli="docker tag {tag}:1 {tag}:stable",
)


@img_tag.answer
def _(client, P):
    client.images.get(f"{P['tag']}:1").tag(P["tag"], "stable")


@img_tag.wrong_answer("do not rebuild")
def _(client, P):
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nRUN echo other > /x\n', {}), custom_context=True, tag=f"{P['tag']}:stable", labels=ck.labels(), rm=True)


@img_tag.wrong_answer("there is no")
def _(client, P):
    client.images.get(f"{P['tag']}:1").tag(P["tag"], "latest")


@img_tag.wrong_answer("is a different image")
def _(client, P):
    client.images.get(ck.BUSYBOX).tag(P["tag"], "stable")


def check_img_ignore(client, p, answer):
    problems = []
    if not (Path(p["dir"]) / "secret.env").exists():
        problems.append(f"secret.env is gone from {p['dir']}: keep the file, leave it out of the image "
                        "(run the task's show cell to make it again)")
    img = _get(client, "image", f"{p['tag']}:clean")
    if img is None:
        return problems + [f"there is no image tagged {p['tag']}:clean"]
    listing = _run_image(client, img.id, ["ls", "-a", "/app"], timeout=20)[1].split()
    if "secret.env" in listing:
        problems.append("secret.env is in the image: list it in .dockerignore")
    if "app.txt" not in listing:
        problems.append("app.txt should be in /app")
    return problems


def _setup_ignore(client, p):
    d = Path(p["dir"])
    d.mkdir(parents=True, exist_ok=True)
    (d / "Dockerfile").write_text(f"FROM {BUSYBOX}\nCOPY . /app\n")
    (d / "app.txt").write_text("the app\n")
    (d / "secret.env").write_text("PASSWORD=hunter2\n")


img_ignore = Task(
    id="img-ignore",
    lesson=LESSON,
    level="medium",
    text="The task made a build context in {dir} (a Dockerfile that copies everything to /app, app.txt, "
         "and secret.env). Build {tag}:clean from it so that secret.env is not in the image, without "
         "deleting the file.",
    params=lambda r: {"dir": _tmp("ex-img-ignore-ctx"), "tag": _name("ex-img-ignore")},
    check=check_img_ignore,
    hint="The build sends the whole folder (the context) to the engine. Lesson 06 shows a file at the top of that folder whose lines name what to leave out.",
    requires="{tag}:clean exists, its /app has app.txt but no secret.env, and secret.env is still in {dir}.",
    setup=_setup_ignore,
    cli="echo secret.env > {dir}/.dockerignore\ndocker build -t {tag}:clean {dir}",
)


@img_ignore.answer
def _(client, P):
    from pathlib import Path
    (Path(P["dir"]) / ".dockerignore").write_text("secret.env\n")
    client.images.build(path=P["dir"], tag=f"{P['tag']}:clean", labels=ck.labels(), rm=True)


@img_ignore.wrong_answer("list it in .dockerignore")
def _(client, P):
    client.images.build(path=P["dir"], tag=f"{P['tag']}:clean", labels=ck.labels(), rm=True)


@img_ignore.wrong_answer("secret.env is gone")
def _(client, P):
    from pathlib import Path
    (Path(P["dir"]) / "secret.env").unlink()
    client.images.build(path=P["dir"], tag=f"{P['tag']}:clean", labels=ck.labels(), rm=True)


@img_ignore.wrong_answer("app.txt should be in /app")
def _(client, P):
    from pathlib import Path
    (Path(P["dir"]) / ".dockerignore").write_text("secret.env\napp.txt\n")
    client.images.build(path=P["dir"], tag=f"{P['tag']}:clean", labels=ck.labels(), rm=True)
