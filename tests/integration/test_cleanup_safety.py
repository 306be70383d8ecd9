"""cleanup() removes the course's labelled objects and never the learner's own."""

import coursekit as ck
from coursekit.images import build_context

from .conftest import run_py, unique


def _learner_objects(client, created):
    """Unlabelled 'learner's own' objects, made from the course's own image too."""
    c = client.containers.run(ck.BUSYBOX, "sleep 120", detach=True, name=unique("learner-box"))
    img, _ = client.images.build(fileobj=build_context(f"FROM {ck.BUSYBOX}\nRUN touch /mine\n", {}),
                                 custom_context=True, tag=unique("learner/app") + ":1", rm=True)
    vol = client.volumes.create(unique("learner-data"))
    net = client.networks.create(unique("learner-net"))
    created += [c, img, vol, net]
    return c, img, vol, net


def _course_objects(client):
    c = client.containers.run(ck.BUSYBOX, "sleep 120", detach=True,
                              name=ck.name(unique("box")), labels=ck.labels())
    img, _ = client.images.build(fileobj=build_context(f"FROM {ck.BUSYBOX}\nRUN touch /x\n", {}),
                                 custom_context=True, tag=ck.name("img") + ":1",
                                 labels=ck.labels(), rm=True)
    vol = client.volumes.create(ck.name(unique("data")), labels=ck.labels())
    net = client.networks.create(ck.name(unique("net")), labels=ck.labels())
    return c, img, vol, net


def _exists(client, obj) -> bool:
    getter = {"Container": client.containers, "Image": client.images,
              "Volume": client.volumes, "Network": client.networks}[type(obj).__name__]
    try:
        getter.get(obj.id)
        return True
    except Exception:
        return False


def test_cleanup_removes_course_objects_and_spares_the_learners(client, created):
    mine = _learner_objects(client, created)
    ours = _course_objects(client)
    report = ck.cleanup(client=client)
    assert not any(_exists(client, o) for o in ours), report
    assert all(_exists(client, o) for o in mine)
    assert len(report.containers) == 1 and len(report.images) == 1
    assert len(report.volumes) == 1 and len(report.networks) == 1


def test_cleanup_all_sessions_and_cli_still_spare_the_learners(client, created):
    mine = _learner_objects(client, created)
    p = run_py("import coursekit as ck\n"
               "c = ck.connect()\n"
               "c.containers.run(ck.BUSYBOX, 'sleep 60', detach=True, name=ck.name('x'), labels=ck.labels())\n",
               session=unique("other"))
    assert p.returncode == 0, p.stderr
    import subprocess, sys
    # every course container on this engine, whichever session (an earlier, interrupted
    # run may have left some): `--all` must remove exactly those, and nothing else
    # (a workshop's containers, which carry the course label too, are never among them)
    def course():
        return [c for c in client.containers.list(all=True, filters={"label": "coursekit.course=linux-containers"})
                if "coursekit.workshop" not in c.labels]
    assert len(course()) >= 1
    out = subprocess.run([sys.executable, "-m", "coursekit", "cleanup", "--all"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and f"removed {len(course())} containers" in out.stdout or not course(), out
    assert not course()
    assert all(_exists(client, o) for o in mine)
    assert client.images.get(ck.BUSYBOX)  # lab images stay unless asked for


def test_derived_image_of_a_course_image_goes_first(client):
    base, _ = client.images.build(fileobj=build_context(f"FROM {ck.BUSYBOX}\nRUN touch /a\n", {}),
                                  custom_context=True, tag=ck.name("base") + ":1",
                                  labels=ck.labels(), rm=True)
    child, _ = client.images.build(fileobj=build_context(f"FROM {ck.name('base')}:1\nRUN touch /b\n", {}),
                                   custom_context=True, tag=ck.name("child") + ":1", rm=True)
    report = ck.cleanup(client=client)
    assert not report.errors, report
    assert not _exists(client, base) and not _exists(client, child)


def test_cleanup_all_leaves_a_running_workshop_alone(client, created):
    """A workshop's learner containers, networks, home volumes and image carry the
    course's label: `cleanup --all` (an instructor tidying up mid-workshop, or a test on
    a shared engine) must leave them to `workshop stop`, and say so."""
    from coursekit.instructor.settings import workshop_labels
    labels = workshop_labels(unique("ws"))
    c = client.containers.run(ck.BUSYBOX, "sleep 120", detach=True, name=unique("ws-learner"), labels=labels)
    vol = client.volumes.create(unique("ws-home"), labels=labels)
    net = client.networks.create(unique("ws-net"), labels=labels)
    img, _ = client.images.build(fileobj=build_context(f"FROM {ck.BUSYBOX}\nRUN touch /ws\n", {}),
                                 custom_context=True, tag=unique("ws-image") + ":1", labels=labels, rm=True)
    created += [c, img, vol, net]
    report = ck.cleanup(client=client, all_sessions=True)
    assert all(_exists(client, o) for o in (c, img, vol, net)), report
    assert {c.name, vol.name, net.name} <= set(report.workshop)
    assert "workshop stop" in str(report)
