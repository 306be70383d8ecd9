"""Cleanups survive objects that another session removes while they run.

Seen in CI: two notebook runs shared one engine, and ``ex.cleanup()`` in one of them
raised ``ImageNotFound`` for an image of the other. docker-py's ``images.list()`` and
``containers.list()`` inspect each object after listing it; an object removed between
the list and the inspect used to end the cleanup with a traceback. These tests make
that interleaving happen every time: the engine's list answer is returned, then the
objects are removed before any caller can look at them.
"""
import pytest

import coursekit as ck
from coursekit import exercises as ex
from coursekit.images import build_context

from .conftest import unique


@pytest.fixture
def vanishing(client, monkeypatch):
    """A course image and container, each removed (as by another process) right after the
    engine lists it."""
    other = ck.labels()
    img, _ = client.images.build(fileobj=build_context(f"FROM {ck.BUSYBOX}\nRUN touch /other\n", {}),
                                 custom_context=True, tag=unique("ck-other-session/app") + ":1",
                                 labels=other, rm=True)
    box = client.containers.create(ck.BUSYBOX, "true", name=ck.name(unique("other-box")), labels=other)
    victims = {"images": lambda: client.images.remove(img.id, force=True),
               "containers": lambda: box.remove(force=True)}
    gone = []

    for method, remove in victims.items():
        real = getattr(client.api, method)

        def listed(*a, _real=real, _method=method, _remove=remove, **kw):
            answer = _real(*a, **kw)
            ids = {x["Id"] for x in answer}
            if _method not in gone and (img.id in ids or box.id in ids):
                _remove()           # after the engine answered, before any inspect
                gone.append(_method)
            return answer
        monkeypatch.setattr(client.api, method, listed)
    yield gone
    for method, remove in victims.items():
        if method not in gone:
            remove()


def test_course_cleanup_survives_a_concurrent_removal(client, vanishing):
    course_box = client.containers.create(ck.BUSYBOX, "true", name=ck.name(unique("box")),
                                          labels=ck.labels())
    report = ck.cleanup(client=client)
    assert sorted(vanishing) == ["containers", "images"], "the vanishing objects were not listed"
    assert course_box.name in report.containers
    assert not report.errors


def test_exercise_cleanup_survives_a_concurrent_removal(client, vanishing, monkeypatch):
    monkeypatch.setattr(ex.api, "_client", lambda: client)
    tag = ck.name("ex-build-tag") + ":1"
    client.images.build(fileobj=build_context(f"FROM {ck.BUSYBOX}\n", {}), custom_context=True,
                        tag=tag, labels=ck.labels(), rm=True)
    message = ex.cleanup()
    assert "images" in vanishing, "the vanishing image was not listed"
    assert message.startswith("exercises: removed")
    assert not [i for i in client.api.images() if tag in (i.get("RepoTags") or [])]
