"""Remove the course's own Docker objects -- and nothing else.

Only objects carrying the course's labels are selected (``coursekit.session=<id>``
for this session, ``coursekit.course=linux-containers`` for all sessions).  Lab
images are removed only on request, and only by their exact course tags.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import docker

from .images import LAB_IMAGES, REGISTRY_IMAGE, image_summaries
from .labelling import (COURSE, COURSE_LABEL, SESSION_LABEL, WORKSHOP_LABEL, label_filter,
                        session_alive)
from .paths import sessions_dir


@dataclass
class CleanupReport:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    workshop: list[str] = field(default_factory=list)   # a workshop's objects, left alone

    @property
    def total(self) -> int:
        return (len(self.containers) + len(self.networks) + len(self.volumes) + len(self.images)
                + len(self.folders))

    def __str__(self) -> str:
        parts = [f"{len(v)} {k}" for k, v in
                 (("containers", self.containers), ("networks", self.networks),
                  ("volumes", self.volumes), ("images", self.images),
                  ("temporary folders", self.folders)) if v]
        if not self.total and not self.errors:
            out = "cleanup: nothing of the course's to remove"
        else:
            out = "cleanup: removed " + (", ".join(parts) or "nothing")
        if self.errors:
            out += "\n  could not remove: " + "; ".join(self.errors)
        if self.workshop:
            out += (f"\n  left {len(self.workshop)} objects of a workshop (its learners' servers, "
                    "engines and homes): `python -m coursekit workshop stop` removes them")
        return out

    __repr__ = __str__


def _in_workshop(labels: dict | None) -> bool:
    return WORKSHOP_LABEL in (labels or {})


def cleanup(all_sessions: bool = False, lab_images: bool = False,
            client: docker.DockerClient | None = None, session: str | None = None,
            keep: tuple[str, ...] = ()) -> CleanupReport:
    """Remove this session's course containers, networks, volumes and images.

    ``session="id"`` cleans that session instead of this process's own;
    ``all_sessions=True`` extends that to every session's course objects;
    ``lab_images=True`` also removes the lab images (by exact tag);
    ``keep``: name prefixes of containers, networks and volumes to leave (the learner's
    exercise answers, ``ck-<learner>-ex-``, when a dead session is cleaned).
    """
    if client is None:
        from .connect import connect
        client = connect()
    flt = {"label": [label_filter(all_sessions, session)]}
    rep = CleanupReport()

    def _rm(kind: list, obj, what: str, **kw):
        if keep and what.startswith(keep):
            return
        # A workshop's objects carry the course's label too, but only `workshop stop`
        # (or a reset) may remove them: never a learner's server and home mid-workshop.
        if _in_workshop(obj.attrs.get("Labels") or obj.attrs.get("Config", {}).get("Labels")):
            rep.workshop.append(what)
            return
        try:
            obj.remove(**kw)
            kind.append(what)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as err:
            rep.errors.append(f"{what}: {err.explanation}")

    boxes = client.containers.list(all=True, ignore_removed=True, filters=flt)
    # Tags pushed to this session's registries (127.0.0.1:PORT/...) carry no label:
    # found through the registries' ports before those containers go.
    from .registry import registry_tags
    pushed = registry_tags(client, [c for c in boxes if c.labels.get("coursekit.role", "").startswith("registry")
                                    or c.attrs.get("Config", {}).get("Image") == REGISTRY_IMAGE])
    for c in boxes:
        _rm(rep.containers, c, c.name, force=True, v=True)
    _untag(client, pushed, rep)   # untag only: the image keeps its other names
    for n in client.networks.list(filters=flt):
        _rm(rep.networks, n, n.name)
    for v in client.volumes.list(filters=flt):
        _rm(rep.volumes, v, v.name, force=True)
    # Newest first: an image built FROM a course image inherits its labels and must go
    # before its parent. Two built in the same second tie, so an image refused for its
    # "dependent child images" is tried again once its children are gone.
    summaries = image_summaries(client, filters=flt)
    rep.workshop += [", ".join(i["RepoTags"]) or i["Id"][7:19] for i in summaries
                     if _in_workshop(i.get("Labels"))]
    pending = sorted((i for i in summaries
                      if not _in_workshop(i.get("Labels"))
                      and not (keep and i["RepoTags"] and all(t.startswith(keep) for t in i["RepoTags"]))),
                     key=lambda i: i.get("Created", 0), reverse=True)
    for _ in range(len(pending)):
        refused = []
        for img in pending:
            what = ", ".join(img["RepoTags"]) or img["Id"].split(":")[-1][:12]
            try:
                client.images.remove(img["Id"], force=True)
                rep.images.append(what)
            except docker.errors.ImageNotFound:
                pass
            except docker.errors.APIError as err:
                if err.status_code == 409 and "child" in str(err.explanation):
                    refused.append((img, what, err))
                else:
                    rep.errors.append(f"{what}: {err.explanation}")
        if not refused or len(refused) == len(pending):
            rep.errors += [f"{what}: {err.explanation}" for _, what, err in refused]
            break
        pending = [img for img, _, _ in refused]
    if not all_sessions:
        rep.folders += _remove_tmp_folders(session)
    if lab_images:
        _untag(client, LAB_IMAGES, rep)
    return rep


def _untag(client, tags, rep: CleanupReport) -> None:
    """Remove each of ``tags`` by name (not force: an image keeps its other names, and
    one a container uses is refused), noting what went and what was refused."""
    for tag in tags:
        try:
            client.images.remove(tag)
            rep.images.append(tag)
        except docker.errors.ImageNotFound:
            pass
        except docker.errors.APIError as err:
            rep.errors.append(f"{tag}: {err.explanation}")


def _remove_tmp_folders(sid: str | None) -> list[str]:
    """The session's own ``ck-<session>-*`` folders in the temporary directory (made by
    lessons for build contexts and bind mounts), if this user owns them."""
    import shutil
    import tempfile
    from pathlib import Path
    from .labelling import session
    sid = sid or session()
    gone = []
    for d in Path(tempfile.gettempdir()).glob(f"ck-{sid}-*"):
        try:
            if d.is_dir() and not d.is_symlink() and d.stat().st_uid == os.getuid():
                shutil.rmtree(d)
                gone.append(str(d))
        except OSError:
            pass
    return gone


@dataclass
class Orphan:
    """A notebook session whose kernel has ended, and what it left on the engine."""
    session: str
    counts: dict

    @property
    def fix(self) -> str:
        return f"python -m coursekit cleanup --session {self.session}"

    def __str__(self) -> str:
        what = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n)
        return f"session {self.session} ({what})"


def orphans(client) -> list[Orphan]:
    """Course objects of notebook sessions that ended (kernel restarted or closed)
    without cleaning up: found by their session label and the recorded kernel's
    liveness (:func:`coursekit.labelling.session_alive`). Sessions this machine did
    not record (tests, another learner, the command line) are never listed."""
    flt = {"label": [f"{COURSE_LABEL}={COURSE}"]}
    found: dict[str, dict] = {}
    keep = exercise_answers()   # meant to outlive a kernel: not orphans

    def add(kind, lbls, names=()):
        sid = (lbls or {}).get(SESSION_LABEL)
        if keep and any(n.lstrip("/").startswith(keep) for n in names):
            return
        if sid:
            found.setdefault(sid, {"containers": 0, "volumes": 0, "networks": 0, "images": 0})[kind] += 1
    for c in client.api.containers(all=True, filters=flt):
        add("containers", c.get("Labels"), c.get("Names") or ())
    for v in client.api.volumes(filters=flt).get("Volumes") or []:
        add("volumes", v.get("Labels"), (v.get("Name", ""),))
    for n in client.api.networks(filters=flt):
        add("networks", n.get("Labels"), (n.get("Name", ""),))
    for i in image_summaries(client, filters=flt):
        add("images", i.get("Labels"), i.get("RepoTags") or ())
    return [Orphan(sid, counts) for sid, counts in sorted(found.items())
            if session_alive(sid) is False]


def exercise_answers() -> tuple[str, ...]:
    """Name prefix of this learner's exercise answers, which outlive kernels (the checks
    find them after a restart by the learner's stored id), or () before any exercise."""
    from .exercises.identity import _state
    learner = _state().get("learner")
    return (f"ck-{learner}-ex-",) if isinstance(learner, str) and learner else ()


def cleanup_orphans(client) -> list[CleanupReport]:
    """Clean every orphaned session (see :func:`orphans`), leaving the learner's
    exercise answers, and forget its record."""
    reports = []
    for o in orphans(client):
        reports.append(cleanup(client=client, session=o.session, keep=exercise_answers()))
        (sessions_dir() / f"{o.session}.json").unlink(missing_ok=True)
    return reports
