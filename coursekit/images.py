"""The lab images, under fixed course tags.

Each one is pulled from Docker Hub when it can be (and re-tagged with a one-line
build that adds the course's image label), else built offline ``FROM scratch``
from binaries on this machine.  ``ensure_images()`` says which it did.
"""
from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import docker

from .errors import BuildFailed, ImageUnavailable, MissingTool
from .labelling import LAB_IMAGE_LABEL
from .progress import Progress

BUSYBOX = "coursekit/busybox:1"
REGISTRY_IMAGE = "coursekit/registry:2"
PYTHON = "coursekit/python:1"
SOURCE_LABEL = "coursekit.source"
REVISION_LABEL = "coursekit.revision"   # what in an image the course may change under the same tag
OFFLINE_ENV = "COURSEKIT_OFFLINE"

PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"
REGISTRY_CONFIG = """\
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
"""


# --- pure helpers (unit-tested) -------------------------------------------------
def is_static_elf(data: bytes) -> bool:
    """True for an ELF executable without a PT_INTERP header (statically linked)."""
    if data[:4] != b"\x7fELF":
        return False
    is64 = data[4] == 2
    endian = "<" if data[5] == 1 else ">"
    if is64:
        phoff, = struct.unpack_from(endian + "Q", data, 0x20)
        phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x36)
    else:
        phoff, = struct.unpack_from(endian + "I", data, 0x1C)
        phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x2A)
    for i in range(phnum):
        p_type, = struct.unpack_from(endian + "I", data, phoff + i * phentsize)
        if p_type == 3:  # PT_INTERP
            return False
    return True


def parse_ldd(output: str) -> list[str]:
    """The absolute library paths listed by ``ldd`` (vdso excluded)."""
    libs = []
    for line in output.splitlines():
        line = line.strip()
        if "=>" in line:
            path = line.split("=>", 1)[1].split("(")[0].strip()
        else:
            path = line.split("(")[0].strip()
        if path.startswith("/"):
            libs.append(path)
    return libs


def tar_bytes(members: dict[str, bytes | tuple[bytes, int]]) -> bytes:
    """An uncompressed tar of ``members`` (name -> data, or (data, mode); mode 0o644)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for arcname, member in members.items():
            data, mode = member if isinstance(member, tuple) else (member, 0o644)
            info = tarfile.TarInfo(arcname)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def image_summaries(client: docker.DockerClient, filters: dict | None = None) -> list[dict]:
    """The engine's image list as summaries (``Id``, ``RepoTags``, ``Created``, ``Labels``).

    One list call and no per-image inspect: docker-py's ``images.list()`` inspects
    each image after listing, and raises ``ImageNotFound`` when another session
    removes one in between (a shared engine, or two test runs at once).
    """
    return [dict(img, RepoTags=[t for t in img.get("RepoTags") or [] if t != "<none>:<none>"])
            for img in client.api.images(filters=filters)]


def build_context(dockerfile: str, files: dict[str, bytes | Path]) -> io.BytesIO:
    """A tar build context holding ``Dockerfile`` and ``files`` (path -> bytes/file)."""
    return io.BytesIO(tar_bytes({
        arcname: (content.read_bytes(), 0o755) if isinstance(content, Path) else content
        for arcname, content in {"Dockerfile": dockerfile.encode(), **files}.items()}))


def handmade_image(tag: str, os_name: str = "windows", labels: dict | None = None) -> bytes:
    """A ``docker save``-format tar of a one-layer image whose config declares
    ``os_name``: the smallest image that says it is for another operating system.
    (Lesson 02 loads it to show a Linux engine refusing it.)"""
    import hashlib
    import json
    layer = tar_bytes({"hello.txt": b"made by hand\n"})
    config = json.dumps({
        "architecture": "amd64", "os": os_name,
        "config": {"Cmd": ["cmd", "/c", "echo hello"], "Labels": labels or {}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]},
        "history": [{"created_by": "coursekit.images.handmade_image"}]}).encode()
    name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": name, "RepoTags": [tag], "Layers": ["layer.tar"]}]).encode()
    return tar_bytes({name: config, "layer.tar": layer, "manifest.json": manifest})


# --- where offline ingredients come from -----------------------------------------
def find_busybox() -> Path | None:
    """A static busybox on this machine (Debian's ``busybox-static``), if any."""
    for cand in (os.environ.get("COURSEKIT_BUSYBOX"), "/bin/busybox", "/usr/bin/busybox"):
        if cand and Path(cand).is_file() and is_static_elf(Path(cand).read_bytes()):
            return Path(cand)
    return None


def find_registry_binary() -> Path | None:
    """Debian's ``docker-registry`` binary (distribution 2.x), if installed."""
    for cand in (os.environ.get("COURSEKIT_REGISTRY_BIN"), "/usr/bin/docker-registry",
                 shutil.which("registry")):
        if cand and Path(cand).is_file():
            return Path(cand)
    return None


def _busybox_offline() -> tuple[str, dict, str]:
    bb = find_busybox()
    if bb is None:
        raise MissingTool("no static busybox binary", "Debian/Ubuntu: sudo apt install busybox-static")
    dockerfile = (
        "FROM scratch\n"
        "COPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        'RUN ["/bin/busybox", "mkdir", "-p", "/tmp", "/root", "/home", "/var/www", "/usr/bin"]\n'
        'RUN ["/bin/busybox", "chmod", "1777", "/tmp"]\n'
        "COPY passwd /etc/passwd\nCOPY group /etc/group\n"
        'CMD ["sh"]\n')
    return dockerfile, {"busybox": bb, "passwd": PASSWD.encode(), "group": GROUP.encode()}, str(bb)


def _registry_offline() -> tuple[str, dict, str]:
    binary = find_registry_binary()
    if binary is None:
        raise MissingTool("no docker-registry binary", "Debian/Ubuntu: sudo apt install docker-registry")
    files: dict = {"rootfs/bin/registry": binary,
                   "rootfs/etc/docker/registry/config.yml": REGISTRY_CONFIG.encode()}
    if not is_static_elf(binary.read_bytes()):
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
        for lib in parse_ldd(out):
            files["rootfs" + lib] = Path(os.path.realpath(lib))
    dockerfile = (
        "FROM scratch\n"
        "COPY rootfs/ /\n"
        "EXPOSE 5000\n"
        "VOLUME /var/lib/registry\n"
        'ENTRYPOINT ["/bin/registry", "serve"]\n'
        'CMD ["/etc/docker/registry/config.yml"]\n')
    return dockerfile, files, str(binary)


# Debian 12's Python 3.11, only what `import ctypes, tarfile, socket` needs at run time.
PYTHON_SUITE = "bookworm"
PYTHON_DEBS = ["python3.11-minimal", "libpython3.11-minimal", "libpython3.11-stdlib",
               "libc6", "libffi8", "zlib1g", "libexpat1"]
# Parts of those packages a lab never runs: docs, charset converters, big stdlib packages.
PYTHON_PRUNE = ("usr/share/", "usr/lib/x86_64-linux-gnu/gconv/", "etc/", "usr/lib/binfmt.d/",
                "sbin/", "usr/bin/pydoc", "usr/bin/zipdetails",
                *(f"usr/lib/python3.11/{d}/" for d in (
                    "test", "pydoc_data", "lib2to3", "idlelib", "ensurepip", "tkinter",
                    "unittest", "asyncio", "email", "distutils", "multiprocessing", "xmlrpc",
                    "http", "urllib", "xml", "sqlite3", "dbm", "curses", "wsgiref")),
                "usr/lib/python3.11/turtle.py", "usr/lib/python3.11/_pydecimal.py",
                "usr/lib/python3.11/pydoc.py")


def python_debs(cache: Path | None = None) -> list[Path]:
    """The .debs of :data:`PYTHON_DEBS`, from the cache folder when all are there (no
    network), else fetched from Debian 12 once (through coursekit.debian) and kept."""
    from . import debian
    dest = (cache or debian.CACHE) / f"debs-{PYTHON_SUITE}"
    have = [sorted(dest.glob(f"{name}_*.deb")) for name in PYTHON_DEBS]
    if all(have):
        return [found[-1] for found in have]
    return debian.fetch_debs(PYTHON_DEBS, dest, suite=PYTHON_SUITE)


def rootfs_files(root: Path, prune: tuple[str, ...] = ()) -> dict[str, Path]:
    """``{"rootfs/<path>": file}`` for every file under ``root`` but the pruned ones
    (prefixes relative to ``root``); a symbolic link becomes a copy of its target."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir() or rel.startswith(prune) or "__pycache__" in rel:
            continue
        target = path
        while target.is_symlink():           # links are absolute or relative to root
            link = os.readlink(target)
            target = root / link.lstrip("/") if link.startswith("/") else target.parent / link
        if target.is_file():
            files["rootfs/" + rel] = target
    return files


def _python_offline() -> tuple[str, dict, str]:
    import tempfile

    from . import debian
    bb = find_busybox()
    if bb is None:
        raise MissingTool("no static busybox binary", "Debian/Ubuntu: sudo apt install busybox-static")
    try:
        debs = python_debs()
    except (debian.AptError, OSError) as err:
        raise MissingTool(f"Debian 12's Python packages could not be fetched ({err})",
                          "run `sudo .venv/bin/python -m coursekit doctor --fix` once online")
    with tempfile.TemporaryDirectory() as tmp:
        root = debian.extract(debs, Path(tmp) / "root")
        files: dict = {k: (v.read_bytes(), v.stat().st_mode & 0o777)
                       for k, v in rootfs_files(root, PYTHON_PRUNE).items()}
    dockerfile = (
        "FROM scratch\n"
        "COPY rootfs/ /\n"
        "COPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        'RUN ["/bin/busybox", "mkdir", "-p", "/tmp", "/root", "/lab"]\n'
        'RUN ["/bin/busybox", "chmod", "1777", "/tmp"]\n'
        'RUN ["/bin/busybox", "ln", "-s", "python3.11", "/usr/bin/python3"]\n'
        "COPY passwd /etc/passwd\nCOPY group /etc/group\n"
        "COPY container.py /lab/container.py\n"
        'CMD ["python3"]\n')
    from .byhand import PROGRAM      # lesson 15's program, for its exercises' CLI solutions
    files.update({"busybox": bb, "passwd": PASSWD.encode(), "group": GROUP.encode(),
                  "container.py": PROGRAM.encode()})
    return dockerfile, files, f"Debian 12 packages ({', '.join(d.name for d in debs[:1])} ...) and {bb}"


@dataclass(frozen=True)
class LabImage:
    tag: str
    upstream: str            # the official image pulled when Docker Hub answers
    offline: Callable[[], tuple[str, dict, str]]
    apt_package: str         # the Debian package(s, space-separated) the offline build needs
    about: str
    # what the course may change in it under the same tag: an image built with another
    # revision is out of date, and rebuilt (kept if that cannot be done now)
    revision: Callable[[], str] | None = None


def _python_revision() -> str:
    """coursekit/python:1 holds lesson 15's program (the exercises' CLI solutions run it)."""
    import hashlib
    from .byhand import PROGRAM
    return "container.py:" + hashlib.sha256(PROGRAM.encode()).hexdigest()[:12]


LAB_IMAGES = {
    BUSYBOX: LabImage(BUSYBOX, "busybox:1.36", _busybox_offline, "busybox-static",
                      "a 2 MB shell image: sh, ps, httpd, nc, unshare, nsenter ..."),
    REGISTRY_IMAGE: LabImage(REGISTRY_IMAGE, "registry:2", _registry_offline,
                             "docker-registry", "the course registry (distribution 2.x)"),
    # debian-archive-keyring: apt verifies Debian 12's packages with it (Ubuntu lacks it)
    PYTHON: LabImage(PYTHON, "", _python_offline, "busybox-static debian-archive-keyring",
                     "Debian 12's Python 3.11 (ctypes, tarfile), busybox and lesson 15's container.py, ~25 MB",
                     _python_revision),
}


# --- building and pulling ----------------------------------------------------------
def buildkit_cli(client: docker.DockerClient) -> list[str] | None:
    """``[docker, --host, HOST]`` when the docker CLI can build with BuildKit (the buildx
    plugin) against the engine of ``client``; else None (the SDK's classic builder)."""
    from .engine import buildx_version
    host = getattr(client, "coursekit_host", None)   # set by coursekit.connect()
    cli = shutil.which("docker")
    if not host or not cli or host.startswith("npipe:") or not buildx_version():
        return None
    return [cli, "--host", host]


def _buildkit_build(cli: list[str], tag: str, context: io.BytesIO, labels: dict[str, str],
                    progress: Progress, nocache: bool = False) -> None:
    """``docker build -`` with BuildKit, the tar context on standard input."""
    import threading
    cmd = [*cli, "build", "--progress=plain", "-t", tag,
           *(a for k, v in labels.items() for a in ("--label", f"{k}={v}")),
           *(["--no-cache"] if nocache else []), "-"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)

    def feed():   # in a thread: the build log must be read while the context is sent
        try:
            proc.stdin.write(context.getvalue())
        finally:
            proc.stdin.close()
    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    tail: list[str] = []
    for raw in proc.stdout:
        line = raw.decode(errors="replace").rstrip()
        tail = (tail + [line])[-12:]
        n, total = _buildkit_step(line)
        if n:
            progress.update(n, line.split("] ", 1)[1], total=total)   # the step, unnumbered
    feeder.join()
    if proc.wait() != 0:
        raise BuildFailed(f"docker build (BuildKit) of {tag} failed:\n    " + "\n    ".join(tail))


def _buildkit_step(line: str) -> tuple[int | None, int | None]:
    """(i, n) from a BuildKit plain-progress line like ``#5 [2/4] COPY ...``."""
    if line.startswith("#") and " [" in line:
        step = line.split(" [", 1)[1].split("]", 1)[0]
        i, _, n = step.partition("/")
        if i.isdigit() and n.isdigit():
            return int(i), int(n)
    return None, None


def _stream_build(client: docker.DockerClient, tag: str, context: io.BytesIO,
                  source: str, progress: Progress, nocache: bool = False,
                  revision: str | None = None) -> None:
    labels = {LAB_IMAGE_LABEL: tag, SOURCE_LABEL: source, **({REVISION_LABEL: revision} if revision else {})}
    cli = buildkit_cli(client)
    if cli:
        return _buildkit_build(cli, tag, context, labels, progress, nocache)
    logs = client.api.build(fileobj=context, custom_context=True, tag=tag, rm=True,
                            forcerm=True, decode=True, nocache=nocache,
                            labels=labels)
    for chunk in logs:
        if "error" in chunk:
            raise BuildFailed(f"building {tag} failed: " + chunk.get("error", "").strip())
        line = chunk.get("stream", "").strip()
        if line.startswith("Step "):
            try:
                n, total = line.split()[1].split("/")
                progress.update(int(n), line, total=int(total))
            except ValueError:
                progress.update(None, line)


def _pull(client: docker.DockerClient, ref: str, progress: Progress) -> None:
    repo, _, tag = ref.partition(":")
    layers: dict[str, str] = {}
    for chunk in client.api.pull(repo, tag or "latest", stream=True, decode=True):
        if "error" in chunk:
            raise BuildFailed(f"pulling {ref} failed: {chunk['error']}")
        if chunk.get("id"):
            layers[chunk["id"]] = chunk.get("status", "")
            done = sum(s in ("Pull complete", "Already exists") for s in layers.values())
            progress.update(done, f"{chunk['id']}: {chunk.get('status', '')}",
                            total=len(layers))


def _present(client: docker.DockerClient, tag: str):
    """The image under ``tag``, or None."""
    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None


def _source(img) -> str:
    return (img.labels or {}).get(SOURCE_LABEL, "present")


def _out_of_date(lab: LabImage, img) -> str:
    """Why image ``img`` (of ``lab``) is older than this course ('' if it is not)."""
    if lab.revision is None:
        return ""
    have, wanted = (img.labels or {}).get(REVISION_LABEL), lab.revision()
    return "" if have == wanted else f"out of date (it has {have or 'no revision'}, the course {wanted})"


def image_source(client: docker.DockerClient, tag: str) -> str | None:
    """How a present lab image was made ('pulled ...'/'built offline ...'), or None."""
    img = _present(client, tag)
    return _source(img) if img else None


def image_out_of_date(client: docker.DockerClient, lab: LabImage) -> str:
    """Why a present ``lab.tag`` is older than this course ('' if it is not, or absent)."""
    img = _present(client, lab.tag)
    return _out_of_date(lab, img) if img else ""


def ensure_image(client: docker.DockerClient, lab: LabImage, offline: bool | None = None,
                 rebuild: bool = False, fix: bool = False, quiet: bool = False,
                 nocache: bool = False) -> str:
    """Make sure ``lab.tag`` exists and is current; return what was done, e.g. 'present
    (pulled busybox:1.36)'. An out-of-date image is rebuilt, or kept (and said so) when
    that cannot be done now: a learner offline keeps working."""
    img = _present(client, lab.tag)   # one look: present, current, and what a rebuild replaces
    old = _out_of_date(lab, img) if img and not rebuild else ""
    if img and not rebuild and not old:
        return f"present ({_source(img)})"
    if old and not quiet:
        print(f"  {lab.tag} is {old}: rebuilding it", flush=True)
    try:
        how = _make_image(client, lab, offline, fix, quiet, nocache)
    except ImageUnavailable as err:
        if not old:
            raise
        return f"present ({_source(img)}) but {old}; it could not be rebuilt now: {err.fix}"
    if img and client.images.get(lab.tag).id != img.id:
        try:   # the replaced image, now untagged: the course's own; never forced (one in use stays)
            client.images.remove(img.id, noprune=False)
        except docker.errors.APIError:
            pass
    return f"{how} (replacing one {old})" if old else how


def _make_image(client: docker.DockerClient, lab: LabImage, offline: bool | None,
                fix: bool, quiet: bool, nocache: bool) -> str:
    revision = lab.revision() if lab.revision else None
    if offline is None:
        offline = os.environ.get(OFFLINE_ENV, "") not in ("", "0")
    pull_error = "skipped: offline mode" if lab.upstream else "always built from Debian packages"
    if not offline and lab.upstream:
        try:
            with Progress(f"Pulling {lab.upstream}", quiet=quiet) as p:
                _pull(client, lab.upstream, p)
            ctx = build_context(f"FROM {lab.upstream}\n", {})
            source = f"pulled {lab.upstream}"
            with Progress(f"Tagging {lab.tag}", quiet=quiet) as p:
                _stream_build(client, lab.tag, ctx, source, p, revision=revision)
            return source
        except Exception as err:  # no route to Docker Hub, rate limit, DNS ...
            pull_error = str(err).splitlines()[0][:200]
            if not quiet:
                print(f"  could not pull {lab.upstream} ({pull_error}); building offline",
                      flush=True)
    try:
        dockerfile, files, origin = lab.offline()
    except MissingTool as err:
        if fix and _apt_install(lab.apt_package, quiet):
            dockerfile, files, origin = lab.offline()
        else:
            pulled = (f"pulling {lab.upstream} failed ({pull_error})" if lab.upstream
                      else "it is not pulled from anywhere")
            raise ImageUnavailable(
                f"lab image {lab.tag} is missing: {pulled} and it cannot be built offline "
                f"({err.message})",
                f"connect to the internet once and run `make images`; or on Debian/Ubuntu "
                f"`sudo apt install {lab.apt_package}` then `make images`; or load the "
                f"instructor's pack (`python -m coursekit load <pack>`).") from None
    source = f"built offline from {origin}"
    try:
        with Progress(f"Building {lab.tag} offline", quiet=quiet) as p:
            _stream_build(client, lab.tag, build_context(dockerfile, files), source, p,
                          nocache=nocache, revision=revision)
    except Exception as err:
        raise ImageUnavailable(f"building lab image {lab.tag} offline failed: {err}",
                               "see the build output above; `make images` retries.") from err
    return source


def _apt_install(packages: str, quiet: bool) -> bool:
    from .engine import apt_install
    return apt_install(packages.split(), quiet=quiet)


def ensure_images(client: docker.DockerClient | None = None, offline: bool | None = None,
                  rebuild: bool = False, fix: bool = False, quiet: bool = False,
                  tags: list[str] | None = None) -> dict[str, str]:
    """Make sure every lab image exists; return ``{tag: what was done}``."""
    if client is None:
        from .connect import connect
        client = connect()
    return {tag: ensure_image(client, LAB_IMAGES[tag], offline, rebuild, fix, quiet)
            for tag in (tags or list(LAB_IMAGES))}


def save_images(client: docker.DockerClient, path: Path,
                tags: tuple[str, ...] = (BUSYBOX, REGISTRY_IMAGE, PYTHON)) -> Path:
    """``docker save TAG... -o path`` through the API (one tar holding all ``tags``)."""
    res = client.api._get(client.api._url("/images/get"), params={"names": list(tags)},
                          stream=True)
    client.api._raise_for_status(res)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        for chunk in res.iter_content(1 << 20):
            f.write(chunk)
    return path
