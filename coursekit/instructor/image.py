"""The learner image, ``coursekit/workshop-learner:1``, built offline from this machine:
its Python, the course's wheels, the docker.io binaries (or Debian 13's), static busybox,
the lab images.  The files it holds verbatim (entrypoint, passwd, group) and its
Dockerfile are in ``workshop/learner-image/``."""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import docker

from ..connect import connect
from ..errors import WorkshopError
from ..images import ensure_images, find_busybox, parse_ldd, save_images
from ..labelling import COURSE, COURSE_LABEL
from ..notebook import lab_overrides
from ..paths import LEARNER_IMAGE_DIR, ROOT, wheels_dir
from ..progress import printer
from .settings import ENGINE_SOCKET, LEARNER_IMAGE, STATE
from .wheels import collect_wheels, learner_requirements, pins

ENGINE_BINARIES = ["dockerd", "containerd", "containerd-shim-runc-v2", "runc",
                   "docker-proxy", "docker-init"]

# Two steps, neither leaving an untagged image behind: a FROM scratch build of the staged
# root file system (workshop/learner-image/Dockerfile), then pip in a container of it with
# the wheels mounted read-only, committed as the learner image (the wheels never enter a
# layer).
# The files of workshop/learner-image/ that go into the root file system as they are:
# (name there, path in the image, mode)
IMAGE_FILES = (("passwd", "etc/passwd", 0o644), ("group", "etc/group", 0o644),
               ("entrypoint.sh", "usr/local/bin/ck-learner-start", 0o755))
INSTALL = ("python3 -m ensurepip > /dev/null && "
           "python3 -m pip install -q --no-index --find-links /wheels --disable-pip-version-check "
           "--root-user-action=ignore {requirements} && "
           "python3 -m pip install -q --no-index --no-deps --find-links /wheels "
           "--root-user-action=ignore coursekit && rm -rf /root/.cache && chmod 1777 /tmp && "
           "chown -R 1000:1000 /home/jovyan && "
           "python3 -c 'import coursekit, docker, jupyterlab, ipywidgets'")
IMAGE_ENV = {"PATH": "/opt/python/bin:/usr/local/bin:/usr/bin:/usr/sbin:/bin",
             "LD_LIBRARY_PATH": "/opt/python/lib", "LANG": "C.UTF-8",
             "DOCKER_HOST": "unix://" + ENGINE_SOCKET, "COURSEKIT_OFFLINE": "1"}
IMAGE_CHANGES = [*(f"ENV {k}={v}" for k, v in IMAGE_ENV.items()), "WORKDIR /home/jovyan",
                 "LABEL coursekit.lab-image=workshop-learner coursekit.source=offline-build",
                 'ENTRYPOINT ["/usr/local/bin/ck-learner-start"]',
                 'CMD ["jupyterhub-singleuser"]']

_SKIP_STDLIB = {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "lib2to3",
                "__pycache__"}


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists():
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


def _stage_rootfs(ctx: Path, client) -> None:
    """Fill ``ctx/rootfs`` with what the learner image holds."""
    rootfs = ctx / "rootfs"
    base = Path(sys.base_prefix)
    ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
    py = rootfs / "opt/python"
    elves = []
    exe = Path(os.path.realpath(base / "bin" / ver))
    _copy(exe, py / "bin" / ver)
    for alias in ("python3", "python"):
        (py / "bin" / alias).unlink(missing_ok=True)
        (py / "bin" / alias).symlink_to(ver)
    elves.append(exe)
    libdir = Path(sysconfig.get_config_var("LIBDIR") or base / "lib")
    for lib in libdir.glob("libpython3*.so*"):
        _copy(Path(os.path.realpath(lib)), py / "lib" / lib.name)
    stdlib = base / "lib" / ver
    for path in stdlib.rglob("*"):
        rel = path.relative_to(stdlib)
        if rel.parts and (rel.parts[0] in _SKIP_STDLIB or "__pycache__" in rel.parts
                          or rel.parts[0].startswith("config-")):
            continue
        if path.is_file():
            _copy(path, py / "lib" / ver / rel)
            if path.suffix == ".so":
                elves.append(path)
    for name, found in engine_binaries().items():
        _copy(Path(os.path.realpath(found)), rootfs / "usr/bin" / name)
        elves.append(Path(found))
    cli = shutil.which("docker")
    _copy(Path(os.path.realpath(cli)), rootfs / "usr/local/bin/docker")
    elves.append(Path(cli))
    bb = find_busybox()
    if bb is None:
        raise WorkshopError("no static busybox on this machine", "run `make setup` first")
    _copy(bb, rootfs / "bin/busybox")
    # the wheels' compiled modules need system libraries too (librt, libstdc++, ...):
    # this interpreter's site-packages holds the same wheels, so ask ldd about those
    site = Path(sysconfig.get_paths()["purelib"])
    elves += [p for p in site.rglob("*.so*") if p.is_file() and ".libs" not in str(p)]
    libs = set()
    for elf in elves:
        out = subprocess.run(["ldd", str(elf)], capture_output=True, text=True).stdout
        libs.update(parse_ldd(out))
    for lib in libs:
        if lib.startswith((str(base), sys.prefix)):
            continue  # libpython (under /opt/python/lib) or a wheel's own bundled library
        _copy(Path(os.path.realpath(lib)), rootfs / lib.lstrip("/"))
    for name, rel, mode in IMAGE_FILES:
        f = rootfs / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes((LEARNER_IMAGE_DIR / name).read_bytes())
        f.chmod(mode)
    settings = py / "share/jupyter/lab/settings/overrides.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps(lab_overrides(), indent=2))
    for d in ("tmp", "root", "run", "var/lib/docker", "home/jovyan/.coursekit"):
        (rootfs / d).mkdir(parents=True, exist_ok=True)
    (rootfs / "tmp").chmod(0o1777)            # the learner's docker build writes there
    for part in ("notebooks", "exercises"):
        for f in (ROOT / part).rglob("*"):
            rel = f.relative_to(ROOT)
            if f.is_file() and ".ipynb_checkpoints" not in rel.parts and "solutions" not in rel.parts:
                _copy(f, rootfs / "home/jovyan" / rel)
    save_images(client, rootfs / "opt/ck/lab-images.tar")


# Debian 13's engine for the learners when this machine's is older (Debian 12: 20.10):
# its runc stays this machine's (trixie's needs glibc 2.38).
TRIXIE_ENGINE = ["docker.io", "containerd", "tini"]
TRIXIE_PATHS = {"dockerd": "usr/sbin/dockerd", "docker-proxy": "usr/sbin/docker-proxy",
                "containerd": "usr/bin/containerd", "containerd-shim-runc-v2": "usr/bin/containerd-shim-runc-v2",
                "docker-init": "usr/bin/docker-init"}


def _dockerd_major(path: str) -> int | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"version (\d+)\.", out)
    return int(m.group(1)) if m else None


def engine_binaries(say=print) -> dict[str, str]:
    """The binaries of each learner's own engine: this machine's when its dockerd is
    Docker 25 or newer (what learners elsewhere run); on an older one (Debian 12's
    20.10) Debian 13's Docker 26, fetched once through the private apt configuration
    (:mod:`coursekit.debian`), with this machine's runc.  ``WORKSHOP_ENGINE=host`` keeps
    this machine's; with no way to fetch (offline) it is kept too, and said."""
    host = {}
    for name in ENGINE_BINARIES:
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
        if not found:
            raise WorkshopError(f"{name} is not installed on this machine",
                                "run `make setup` (installs Debian's docker.io) first")
        host[name] = found
    major = _dockerd_major(host["dockerd"])
    if os.environ.get("WORKSHOP_ENGINE", "auto") == "host" or major is None or major >= 25:
        return host
    from .. import debian
    root = debian.CACHE / "workshop-engine" / "root"
    if not all((root / rel).exists() for rel in TRIXIE_PATHS.values()):
        if not (shutil.which("apt-get") and debian.KEYRING.exists()):
            say(f"  learners' engine: this machine's Docker {major} (no apt to fetch a newer one)")
            return host
        say("  learners' engine: fetching Debian 13's Docker 26 (this machine's dockerd is "
            f"{major}; once, into {root.parent}) ...")
        try:
            debs = debian.fetch_debs(TRIXIE_ENGINE, root.parent / "debs")
            shutil.rmtree(root, ignore_errors=True)
            debian.extract(debs, root)
        except (debian.AptError, OSError) as err:
            say(f"  learners' engine: this machine's Docker {major} (fetching Docker 26 failed: "
                f"{str(err).splitlines()[0][:200]})")
            return host
    return {**host, **{name: str(root / rel) for name, rel in TRIXIE_PATHS.items()}}


def build_learner_base(client, tag: str) -> str:
    """The learner image without the Python packages: its root file system (entrypoint,
    the inner engine's binaries, Python, busybox, lab images) as ``tag``, FROM scratch.
    Run it with ``IMAGE_ENV`` and the entrypoint; ``build_learner_image`` adds the wheels."""
    ctx = STATE / "build"
    shutil.rmtree(ctx, ignore_errors=True)
    ctx.mkdir(parents=True)
    _stage_rootfs(ctx, client)
    shutil.copyfile(LEARNER_IMAGE_DIR / "Dockerfile", ctx / "Dockerfile")
    tail: list[str] = []
    for ev in client.api.build(path=str(ctx), tag=tag, rm=True, forcerm=True, decode=True,
                               labels={COURSE_LABEL: COURSE}):
        if "error" in ev:
            raise WorkshopError(f"building {tag} failed: {ev['error'].strip()[-300:]}\n"
                                + "".join(tail[-15:]),
                                f"the build context is in {ctx}; fix and run `make workshop` again")
        tail.append(ev.get("stream", ""))
    shutil.rmtree(ctx, ignore_errors=True)
    return tag


def build_learner_image(client=None, quiet: bool = False,
                        tag: str = LEARNER_IMAGE) -> "docker.models.images.Image":
    """Build ``coursekit/workshop-learner:1`` (or ``tag``) offline (about a minute);
    reuse it if present."""
    client = client or connect()
    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        pass
    say = printer(quiet)
    ensure_images(client, quiet=quiet)
    wheels = collect_wheels(wheels_dir(), quiet=quiet)
    say(f"Building {tag} offline (host Python, course wheels, docker.io binaries) ...")
    t0 = time.monotonic()
    base = build_learner_base(client, tag + "-base")
    say("  root file system staged and imported; installing the course's wheels ...")
    box = client.containers.create(
        base, ["sh", "-c", INSTALL.format(requirements=" ".join(
            f"'{r}'" for r in learner_requirements(pins())))],
        environment={k: v for k, v in IMAGE_ENV.items() if k in ("PATH", "LD_LIBRARY_PATH")},
        # a mount, not volumes=: that would also declare VOLUME /wheels in the container's
        # config, which the commit below keeps (an empty anonymous volume per learner)
        mounts=[docker.types.Mount("/wheels", str(wheels), type="bind", read_only=True)],
        network_mode="none",
        name=f"ck-build-learner-{secrets.token_hex(3)}",
        labels={COURSE_LABEL: COURSE, "coursekit.build": "workshop-learner"})
    try:
        box.start()
        code = box.wait()["StatusCode"]
        if code != 0:
            raise WorkshopError(f"installing the wheels into {tag} failed (exit {code}):\n"
                                + box.logs().decode(errors="replace")[-2000:],
                                "check that `pip install` of the pins works in .venv, then retry")
        box.commit(repository=tag.rsplit(":", 1)[0], tag=tag.rsplit(":", 1)[1],
                   changes=IMAGE_CHANGES)
    finally:
        box.remove(force=True)
        client.images.remove(base, noprune=True)
    img = client.images.get(tag)
    say(f"{tag}: {img.attrs['Size'] / 2**20:.0f} MiB, built in "
        f"{time.monotonic() - t0:.0f} s")
    return img
