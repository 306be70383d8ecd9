"""Prepare once with network, teach without it.

- ``pack``   one archive: the lab images (``docker save``), the course's Python wheels
             (+ setuptools, to install the course itself), the workshop's proxy if
             installed, and a manifest with a SHA-256 per file;
- ``load``   install from that archive with no network: checks every file against the
             manifest, ``docker load``s the images, creates/fills ``.venv`` with
             ``pip install --no-index``.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from ..connect import connect
from ..errors import PackError
from ..images import BUSYBOX, PYTHON, REGISTRY_IMAGE, save_images
from ..paths import ROOT, build_wheels_dir, node_dir, wheels_dir
from ..progress import printer
from .wheels import collect_wheels, pins

PACK_FORMAT = 1


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pack(dest: Path, client=None, quiet: bool = False) -> Path:
    """Write the instructor's archive to ``dest`` (a ``.tar``); returns its path."""
    say = printer(quiet)
    client = client or connect()
    from ..images import ensure_images
    ensure_images(client, quiet=quiet)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="coursekit-pack-") as tmp:
        stage = Path(tmp)
        wheels = collect_wheels(wheels_dir(), quiet=quiet)
        setuptools_dir = build_wheels_dir()
        if not any([*setuptools_dir.glob("setuptools-*.whl"), *wheels.glob("setuptools-*.whl")]):
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:",
                            "-d", str(setuptools_dir), "setuptools>=77"], check=True)
        (stage / "wheels").mkdir()
        for w in [*wheels.glob("*.whl"), *setuptools_dir.glob("*.whl")]:
            if not (stage / "wheels" / w.name).exists():
                os.link(w, stage / "wheels" / w.name)
        say("Saving the lab images (docker save) ...")
        save_images(client, stage / "images" / "lab-images.tar")
        node = node_dir()
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        manifest = {
            "format": PACK_FORMAT, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "pins": pins(),
            "images": {t: client.images.get(t).id for t in (BUSYBOX, REGISTRY_IMAGE, PYTHON)},
            "files": {str(p.relative_to(stage)): _sha256(p) for p in files},
            "proxy": (node / "node_modules" / ".bin" / "configurable-http-proxy").exists(),
        }
        (stage / "manifest.json").write_text(json.dumps(manifest, indent=1))
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(stage / "manifest.json", "manifest.json")
            for p in files:
                tar.add(p, str(p.relative_to(stage)))
            if manifest["proxy"]:
                tar.add(node, "node")
        partial.replace(dest)   # never a half-written pack under the real name
    say(f"Pack written: {dest} ({dest.stat().st_size / 2**20:.0f} MiB, {len(files)} files, "
        f"{time.monotonic() - t0:.0f} s)")
    return dest


def _safe_members(tar: tarfile.TarFile, where: Path):
    for m in tar.getmembers():
        target = (where / m.name).resolve()
        if not str(target).startswith(str(where.resolve())) or m.issym() and os.path.isabs(m.linkname):
            raise PackError(f"the pack holds a file outside its folder: {m.name}",
                            "use a pack made by `python -m coursekit pack`")
        yield m


def load(archive: Path, venv: Path = ROOT / ".venv", client=None, python: str = sys.executable,
         quiet: bool = False) -> dict:
    """Install the course from ``archive`` without network; returns what it did."""
    say = printer(quiet)
    archive = Path(archive)
    if not archive.is_file():
        raise PackError(f"no pack at {archive}", "make one with `python -m coursekit pack PATH` "
                                                 "on a machine with network, then copy it here")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="coursekit-load-") as tmp:
        where = Path(tmp)
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(where, members=_safe_members(tar, where))
            manifest = json.loads((where / "manifest.json").read_text())
        except (tarfile.TarError, OSError, ValueError) as err:
            raise PackError(f"{archive} is not a readable course pack ({err})",
                            "copy it again, or make a new one with `python -m coursekit pack`") from None
        if manifest.get("format") != PACK_FORMAT:
            raise PackError(f"{archive} has pack format {manifest.get('format')}, this course "
                            f"reads {PACK_FORMAT}", "make the pack with this version of the course")
        bad = [f for f, digest in manifest["files"].items()
               if not (where / f).is_file() or _sha256(where / f) != digest]
        if bad:
            raise PackError(f"{len(bad)} file(s) in {archive} are damaged or missing: {bad[:3]}",
                            "copy the pack again (checksums are in its manifest.json)")
        if sorted(manifest["pins"]) != sorted(pins()):
            raise PackError(f"{archive} was made for other package versions than this course's "
                            "pyproject.toml", "make a new pack from this checkout of the course")
        client = client or connect()
        say("Loading the lab images ...")
        with open(where / "images" / "lab-images.tar", "rb") as f:
            client.images.load(f.read())
        for tag, image_id in manifest["images"].items():
            if client.images.get(tag).id != image_id:
                raise PackError(f"after loading, {tag} is not the image the pack holds",
                                "remove the tag (docker rmi) and load again")
        if not (venv / "bin" / "python").exists():
            say(f"Creating {venv} ...")
            subprocess.run([python, "-m", "venv", str(venv)], check=True)
        say("Installing the course's Python packages from the pack (no network) ...")
        r = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                            "--disable-pip-version-check", "--no-index", "--find-links",
                            str(where / "wheels"), "-e", str(ROOT)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise PackError(f"pip could not install from the pack:\n{r.stderr[-1500:]}",
                            "the pack may be for another Python version: make it with the same "
                            f"Python as here ({sys.version_info.major}.{sys.version_info.minor})")
        if manifest.get("proxy"):
            node = node_dir()
            shutil.rmtree(node, ignore_errors=True)
            shutil.copytree(where / "node", node, symlinks=True)
    # `make` then sees an up-to-date venv and does not try the network
    stamp = venv / f".installed-{_cksum(ROOT / 'pyproject.toml')}"
    for old in venv.glob(".installed-*"):
        old.unlink()
    stamp.touch()
    out = {"images": list(manifest["images"]), "wheels": len(list(manifest["files"])) - 1,
           "venv": str(venv), "seconds": round(time.monotonic() - t0, 1)}
    say(f"Loaded {archive}: images {', '.join(out['images'])}; packages into {venv} "
        f"in {out['seconds']} s")
    return out


def _cksum(path: Path) -> str:
    """What `cat FILE | cksum | cut -d' ' -f1` prints (the Makefile's venv stamp)."""
    return subprocess.run(f"cat '{path}' | cksum", shell=True, capture_output=True,
                          text=True, check=True).stdout.split()[0]
