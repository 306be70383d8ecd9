"""Instructor commands against the real engine: pack, load (with no network), reset."""
import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

import coursekit as ck
from coursekit import errors
from coursekit.instructor import hub, learners, pack, reset, settings
from coursekit.paths import ROOT

from .conftest import run_py, unique


@pytest.fixture(scope="module")
def pack_file(tmp_path_factory):
    return pack.pack(tmp_path_factory.mktemp("pack") / "course.tar", quiet=True)


def test_pack_holds_images_wheels_and_a_manifest(pack_file, client):
    with tarfile.open(pack_file) as tar:
        names = tar.getnames()
        files = {m.name for m in tar.getmembers() if m.isfile()}
        manifest = json.load(tar.extractfile("manifest.json"))
    assert "images/lab-images.tar" in names
    wheels = [n for n in names if n.startswith("wheels/") and n.endswith(".whl")]
    for pin in manifest["pins"]:
        dist = pin.split("==")[0].lower().replace("-", "_")
        assert any(os.path.basename(w).lower().startswith(dist + "-") for w in wheels), pin
    assert any("coursekit-" in w for w in wheels) and any("setuptools-" in w for w in wheels)
    assert manifest["images"] == {t: client.images.get(t).id for t in (ck.BUSYBOX, ck.REGISTRY_IMAGE, ck.PYTHON)}
    assert set(manifest["files"]) == {f for f in files
                                      if f != "manifest.json" and not f.startswith("node/")}


def test_load_installs_everything_with_no_network(pack_file, tmp_path, client):
    """In a network namespace with no interfaces but lo: pip and docker load must not
    need the network (the engine's unix socket still answers)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare to cut the network")
    venv = tmp_path / "venv"
    code = (f"from coursekit.instructor.pack import load; from pathlib import Path; "
            f"print(load(Path({str(pack_file)!r}), venv=Path({str(venv)!r}), quiet=True))")
    r = subprocess.run(["unshare", "--net", sys.executable, "-c", code], capture_output=True,
                       text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    check = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import coursekit, docker, jupyterlab, nbval, ipywidgets, jupyter_book, "
                            "jupyterhub, dockerspawner; print(coursekit.__file__)"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip().startswith(str(ROOT))   # the course itself, editable
    assert list(venv.glob(".installed-*")), "the Makefile's stamp (no re-install by make)"


def test_load_refuses_a_damaged_pack_and_names_the_fix(pack_file, tmp_path):
    bad = tmp_path / "bad.tar"
    with tarfile.open(pack_file) as src, tarfile.open(bad, "w") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read() if m.isfile() else None
            if m.name == "images/lab-images.tar":
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(m, __import__("io").BytesIO(data) if data is not None else None)
    with pytest.raises(errors.PackError, match="damaged") as err:
        pack.load(bad, venv=tmp_path / "v", quiet=True)
    assert "copy the pack again" in err.value.fix
    (tmp_path / "junk.tar").write_bytes(b"not a tar")
    with pytest.raises(errors.PackError, match="not a readable course pack"):
        pack.load(tmp_path / "junk.tar", venv=tmp_path / "v", quiet=True)
    with pytest.raises(errors.PackError, match="no pack at"):
        pack.load(tmp_path / "missing.tar", quiet=True)
    assert not (tmp_path / "v").exists()


def test_reset_one_session_leaves_the_other(client, tmp_path):
    a, b = unique("reseta"), unique("resetb")
    for s in (a, b):
        r = run_py("import coursekit as ck; c = ck.connect(); "
                   "c.containers.run(ck.BUSYBOX, 'sleep 60', detach=True, name=ck.name('x'), "
                   "labels=ck.labels()); c.volumes.create(ck.name('v'), labels=ck.labels())", s)
        assert r.returncode == 0, r.stderr
    ck.session()   # this process has a session of its own: reset must not confuse them
    progress = tmp_path / "progress.json"
    progress.write_text('{"hello-run": true}')
    try:
        text = reset.reset_session(a, progress=progress, client=client, quiet=True)
        assert "progress removed" in text and not progress.exists()
        assert not client.containers.list(all=True, filters={"label": f"coursekit.session={a}"})
        assert not client.volumes.list(filters={"label": f"coursekit.session={a}"})
        assert client.containers.list(all=True, filters={"label": f"coursekit.session={b}"})
        reset.reset_session(b, progress=tmp_path / "none.json", client=client, quiet=True)
        assert not client.containers.list(all=True, filters={"label": f"coursekit.session={b}"})
    finally:
        for s in (a, b):
            reset.reset_session(s, progress=tmp_path / "none.json", client=client, quiet=True)


def test_doctor_room_says_whether_the_host_holds_the_room():
    ok = subprocess.run([sys.executable, "-m", "coursekit", "doctor", "--room", "2"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "✅ memory     2 learners x 1g" in ok.stdout and "room: ready for 2" in ok.stdout
    too_many = subprocess.run([sys.executable, "-m", "coursekit", "doctor", "--room", "1000"],
                              capture_output=True, text=True, timeout=120)
    assert too_many.returncode == 1
    assert "❌ memory" in too_many.stdout and "lower WORKSHOP_MEM or split the room" in too_many.stdout


def test_workshop_on_a_busy_port_says_so_and_creates_nothing(client):
    import socket
    if hub.read_state():
        pytest.skip("a workshop is running on this machine")
    existed = settings.STATE.exists()   # e.g. left empty by an earlier learner-image build
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        before = {n.name for n in client.networks.list()}
        with pytest.raises(ck.PortBusy, match=f"port {port}"):
            hub.start(settings.Settings(port=port, trusted_room=True), client, quiet=True)
    assert {n.name for n in client.networks.list()} == before
    assert settings.STATE.exists() == existed and hub.read_state() is None


def test_workshop_stop_without_its_state_removes_only_this_checkouts_objects(client, tmp_path, monkeypatch):
    """With the state file gone, `workshop stop` used to match every workshop's objects on
    the engine; it now matches this checkout's label only."""
    for module in (hub, learners):                                   # no state file, no disks
        monkeypatch.setattr(module, "STATE", tmp_path / "state")
    mine = client.volumes.create(unique("ws-mine"), labels=settings.workshop_labels("wsgone1"))
    other = client.volumes.create(unique("ws-other"), labels={
        **settings.workshop_labels("wsother"), settings.CHECKOUT_LABEL: "0123456789ab"})
    try:
        removed = hub.stop(client, quiet=True, keep_image=True)
        assert mine.name in removed["volumes"] and other.name not in removed["volumes"]
        client.volumes.get(other.name)                              # still there
    finally:
        for v in (mine, other):
            try:
                v.remove(force=True)
            except Exception:
                pass
