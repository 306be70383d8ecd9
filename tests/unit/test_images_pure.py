import struct
import tarfile
from pathlib import Path

from coursekit.images import build_context, is_static_elf, parse_ldd


def _elf(phdr_types):
    """A minimal 64-bit little-endian ELF with the given program header types."""
    phoff, phentsize = 64, 56
    head = bytearray(64)
    head[:4] = b"\x7fELF"
    head[4], head[5] = 2, 1
    struct.pack_into("<Q", head, 0x20, phoff)
    struct.pack_into("<HH", head, 0x36, phentsize, len(phdr_types))
    body = b"".join(struct.pack("<I", t) + bytes(phentsize - 4) for t in phdr_types)
    return bytes(head) + body


def test_static_and_dynamic_elf_told_apart():
    assert is_static_elf(_elf([1, 1, 4]))          # LOAD, LOAD, NOTE
    assert not is_static_elf(_elf([6, 3, 1]))      # PHDR, INTERP, LOAD
    assert not is_static_elf(b"#!/bin/sh\n")


def test_parse_ldd_keeps_absolute_paths_only():
    out = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f)
\tlibmissing.so => not found
"""
    assert parse_ldd(out) == ["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]


def test_build_context_has_dockerfile_and_executable_files(tmp_path: Path):
    binary = tmp_path / "tool"
    binary.write_bytes(b"\x7fELF...")
    ctx = build_context("FROM scratch\n", {"bin/tool": binary, "etc/x": b"data"})
    with tarfile.open(fileobj=ctx) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert tar.extractfile("Dockerfile").read() == b"FROM scratch\n"
        assert members["bin/tool"].mode == 0o755
        assert tar.extractfile("etc/x").read() == b"data"


def test_buildkit_step_lines():
    from coursekit.images import _buildkit_step
    assert _buildkit_step("#5 [2/4] COPY busybox /bin/busybox") == (2, 4)
    assert _buildkit_step("#7 [stage-1 3/5] RUN true") == (None, None)   # named stages: no count
    assert _buildkit_step("#1 [internal] load build definition from Dockerfile") == (None, None)
    assert _buildkit_step("#5 DONE 0.1s") == (None, None)


def test_handmade_image_is_a_docker_save_tar_declaring_its_os():
    import hashlib
    import io
    import json
    import tarfile
    from coursekit.images import handmade_image
    data = handmade_image("ck-x-win:1", "windows", {"coursekit.course": "linux-containers"})
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        manifest = json.load(tf.extractfile("manifest.json"))
        config = json.load(tf.extractfile(manifest[0]["Config"]))
        layer = tf.extractfile(manifest[0]["Layers"][0]).read()
    assert manifest[0]["RepoTags"] == ["ck-x-win:1"]
    assert config["os"] == "windows" and config["config"]["Labels"]["coursekit.course"] == "linux-containers"
    assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(layer).hexdigest()]


def test_rootfs_files_prunes_and_copies_links(tmp_path: Path):
    from coursekit.images import rootfs_files
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "usr/share/doc").mkdir(parents=True)
    (tmp_path / "usr/lib/libx.so.1.2").write_bytes(b"lib")
    (tmp_path / "usr/lib/libx.so.1").symlink_to("libx.so.1.2")             # relative link
    (tmp_path / "lib64").mkdir()
    (tmp_path / "lib64/ld.so").symlink_to("/usr/lib/libx.so.1.2")           # absolute: in root
    (tmp_path / "usr/share/doc/README").write_text("docs")
    (tmp_path / "usr/lib/__pycache__").mkdir()
    (tmp_path / "usr/lib/__pycache__/m.pyc").write_bytes(b"pyc")
    files = rootfs_files(tmp_path, prune=("usr/share/",))
    assert sorted(files) == ["rootfs/lib64/ld.so", "rootfs/usr/lib/libx.so.1", "rootfs/usr/lib/libx.so.1.2"]
    assert {f.read_bytes() for f in files.values()} == {b"lib"}
