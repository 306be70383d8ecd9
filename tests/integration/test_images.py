"""Lab images: fast when present, a real offline build, a clear failure."""
import time

import docker
import pytest

import coursekit as ck
from coursekit.images import LAB_IMAGES, LabImage, ensure_image, ensure_images, image_source

from .conftest import unique


def test_present_images_are_checked_fast(client):
    ensure_images(client, quiet=True)
    t0 = time.monotonic()
    done = ensure_images(client, quiet=True)
    assert time.monotonic() - t0 < 3
    assert set(done) == set(LAB_IMAGES)
    assert all(v.startswith("present (") for v in done.values()), done


def test_offline_build_makes_a_working_shell_image(client, created):
    tag = f"coursekit-test/{unique('busybox')}:1"
    lab = LabImage(tag, "busybox:1.36", LAB_IMAGES[ck.BUSYBOX].offline, "busybox-static", "")
    how = ensure_image(client, lab, offline=True, quiet=True)
    created.append(client.images.get(tag))
    assert how.startswith("built offline from ")
    assert image_source(client, tag) == how
    out = client.containers.run(tag, ["sh", "-c", "echo $((6*7)); ls /bin | wc -l"], remove=True,
                                name=ck.name(unique("t")), labels=ck.labels())
    answer, applets = out.decode().split()
    assert answer == "42" and int(applets) > 100


def test_offline_build_uses_buildkit_when_the_cli_has_it(client, created):
    """With the buildx plugin (the set-up provides it) the lab images build with
    BuildKit, and their history says so (without it, the SDK's classic builder)."""
    from coursekit.images import buildkit_cli
    assert buildkit_cli(client), "no docker CLI with buildx: `make setup` should have provided it"
    tag = f"coursekit-test/{unique('bk')}:1"
    lab = LabImage(tag, "busybox:1.36", LAB_IMAGES[ck.BUSYBOX].offline, "busybox-static", "")
    ensure_image(client, lab, offline=True, quiet=True)
    img = client.images.get(tag)
    created.append(img)
    assert any("buildkit" in (h.get("Comment") or "") for h in img.history()), img.history()


def test_neither_pull_nor_build_gives_a_clear_error(client):
    def nothing():
        raise ck.errors.MissingTool("no static busybox binary", "Debian/Ubuntu: sudo apt install busybox-static")
    lab = LabImage(f"coursekit-test/{unique('none')}:1", "coursekit-no-such/image:0",
                   nothing, "busybox-static", "")
    with pytest.raises(ck.ImageUnavailable) as info:
        ensure_image(client, lab, quiet=True)
    assert "pulling coursekit-no-such/image:0 failed" in info.value.message
    assert "apt install busybox-static" in info.value.fix


def test_registry_image_runs_the_registry(client):
    reg = ck.start_registry(client=client)
    try:
        assert reg.catalog() == []
        assert reg.container.labels["coursekit.session"] == ck.session()
        binds = reg.container.attrs["HostConfig"]["PortBindings"]["5000/tcp"]
        assert binds[0]["HostIp"] == "127.0.0.1"   # never on other interfaces
    finally:
        reg.stop()


def test_python_lab_image_has_ctypes_busybox_and_lesson_15s_program(client, created):
    """coursekit/python:1's build (from Debian 12's packages, cached): its Python imports
    ctypes and reaches libc, busybox gives the shell tools, the lesson's program is in it."""
    import hashlib
    from coursekit.byhand import PROGRAM
    tag = f"coursekit-test/{unique('python')}:1"
    lab = LabImage(tag, "", LAB_IMAGES[ck.PYTHON].offline, LAB_IMAGES[ck.PYTHON].apt_package, "")
    how = ensure_image(client, lab, quiet=True)
    created.append(client.images.get(tag))
    assert how.startswith("built offline from Debian 12 packages"), how
    check = ("import ctypes, hashlib, tarfile; print(ctypes.CDLL(None).getpid(), "
             "hashlib.sha256(open('/lab/container.py', 'rb').read()).hexdigest())")
    out = client.containers.run(tag, ["sh", "-c", f"python3 -c \"{check}\" && nsenter --help 2>&1 | head -1"],
                                remove=True, name=ck.name(unique("t")), labels=ck.labels()).decode()
    pid, digest, *rest = out.split()
    assert pid.isdigit() and digest == hashlib.sha256(PROGRAM.encode()).hexdigest(), out
    assert "BusyBox" in " ".join(rest), out


def test_an_out_of_date_python_image_is_rebuilt_or_kept_and_said_so(client, created):
    """coursekit/python:1 holds lesson 15's program (the CLI solutions run it): one built
    before the program changed is rebuilt by `make images`; where that cannot be done now
    (offline, no apt), the old one is kept, with a warning, and nothing is lost."""
    from coursekit.errors import MissingTool
    from coursekit.images import (LAB_IMAGE_LABEL, REVISION_LABEL, SOURCE_LABEL, build_context,
                                  image_out_of_date)
    python = LAB_IMAGES[ck.PYTHON]
    tag = f"coursekit-test/{unique('python')}:1"
    older = {LAB_IMAGE_LABEL: tag, SOURCE_LABEL: "built offline (an older course)",
             REVISION_LABEL: "container.py:000000000000"}
    client.images.build(fileobj=build_context(f"FROM {ck.PYTHON}\n", {}), custom_context=True,
                        tag=tag, labels=older, rm=True)
    old = client.images.get(tag)
    created.append(old)
    lab = LabImage(tag, "", python.offline, python.apt_package, "", python.revision)
    assert image_out_of_date(client, lab).startswith("out of date (it has container.py:000000000000")

    def no_build():
        raise MissingTool("no Debian packages here", "connect once")
    stuck = LabImage(tag, "", no_build, python.apt_package, "", python.revision)
    how = ensure_image(client, stuck, quiet=True)
    assert how.startswith("present (built offline (an older course)) but out of date"), how
    assert "could not be rebuilt now" in how and client.images.get(tag).id == old.id

    how = ensure_image(client, lab, quiet=True)
    new = client.images.get(tag)
    created.append(new)
    assert how.startswith("built offline from Debian 12 packages") and "replacing one out of date" in how, how
    assert new.id != old.id and new.labels[REVISION_LABEL] == python.revision()
    with pytest.raises(docker.errors.ImageNotFound):   # the replaced one is removed
        client.images.get(old.id)
    assert image_out_of_date(client, lab) == "" and ensure_image(client, lab, quiet=True).startswith("present (")
    ensure_image(client, lab, rebuild=True, nocache=True, quiet=True)   # `make images --rebuild`
    newer = client.images.get(tag)
    created.append(newer)
    assert newer.id != new.id
    with pytest.raises(docker.errors.ImageNotFound):   # not left behind untagged either
        client.images.get(new.id)


def test_busybox_wget_works_as_the_troubleshooting_page_says(client):
    """book/troubleshooting.md: the lab busybox's wget fetches a page, also under
    `timeout`; given a timeout of its own (-T) the offline build crashes (139)."""
    net = client.networks.create(ck.name(unique("wget")), labels=ck.labels())
    web = None
    try:
        web = client.containers.run(ck.BUSYBOX, ["sh", "-c", "mkdir /w && echo page > /w/index.html && httpd -f -p 80 -h /w"],
                                    detach=True, name=ck.name(unique("web")), labels=ck.labels(), network=net.name)

        def wget(*cmd):
            c = client.containers.run(ck.BUSYBOX, list(cmd), detach=True, name=ck.name(unique("get")),
                                      labels=ck.labels(), network=net.name)
            try:
                return c.wait(timeout=30)["StatusCode"], c.logs().decode()
            finally:
                c.remove(force=True)
        url = f"http://{web.name}/"
        assert wget("sh", "-c", f"for i in $(seq 50); do wget -qO- {url} && exit; sleep 0.1; done") == (0, "page\n")
        assert wget("timeout", "5", "wget", "-qO-", url) == (0, "page\n")
        if image_source(client, ck.BUSYBOX).startswith("built offline"):
            assert wget("wget", "-T", "1", "-qO-", url)[0] == 139
    finally:
        if web:
            web.remove(force=True)
        net.remove()
