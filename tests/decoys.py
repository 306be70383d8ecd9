"""Decoys for `make test`: the learner's own container, image, volume and network,
and a check that the tests left no course objects behind.

    python -m tests.decoys create   # before every suite runs
    python -m tests.decoys check    # after: all four must still exist; then removed

They carry no course label (the image and container are even made from the course's
busybox), so any cleanup or test that touched them has overstepped.
"""
import json
import os
import sys
import uuid
from pathlib import Path

import coursekit as ck
from coursekit.images import build_context, image_summaries

# one state file per engine when several test hosts run in turn
STATE = Path(os.environ.get("COURSEKIT_DECOYS", ".coursekit/decoys.json"))


def create():
    c = ck.connect()
    tag = uuid.uuid4().hex[:8]
    box = c.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=f"my-own-box-{tag}")
    img, _ = c.images.build(fileobj=build_context(f"FROM {ck.BUSYBOX}\nRUN echo mine > /mine\n", {}),
                            custom_context=True, tag=f"my-own/app:{tag}", rm=True)
    vol = c.volumes.create(f"my-own-data-{tag}")
    net = c.networks.create(f"my-own-net-{tag}")
    STATE.parent.mkdir(exist_ok=True)
    STATE.write_text(json.dumps({"decoys": {"container": box.id, "image": img.id,
                                            "volume": vol.name, "network": net.id},
                                 "course_before": sorted(course_objects(c)),
                                 "all_containers_before": [x.id for x in c.containers.list(all=True, ignore_removed=True)]}))
    print(f"decoys: created the learner's own container, image, volume, network (*{tag})")


def course_objects(c) -> set[str]:
    """Every course-labelled object on the engine (any session), as 'kind name'."""
    flt = {"label": [ck.label_filter(all_sessions=True)]}
    return ({f"container {x.name}" for x in c.containers.list(all=True, ignore_removed=True, filters=flt)}
            | {f"image {x['Id'].split(':')[-1][:10]}" for x in image_summaries(c, filters=flt)}
            | {f"volume {x.name}" for x in c.volumes.list(filters=flt)}
            | {f"network {x.name}" for x in c.networks.list(filters=flt)})


def check() -> int:
    c = ck.connect()
    state = json.loads(STATE.read_text())
    ids = state["decoys"]
    leftovers = course_objects(c) - set(state["course_before"])
    # Unlabelled leftovers count too (e.g. a build's intermediate containers).
    leftovers |= {f"unlabelled container {x.name}" for x in c.containers.list(all=True, ignore_removed=True)
                  if x.id not in state["all_containers_before"] and x.id != ids["container"]}
    getters = {"container": c.containers, "image": c.images, "volume": c.volumes,
               "network": c.networks}
    missing = []
    for kind, ident in ids.items():
        try:
            obj = getters[kind].get(ident)
        except Exception:
            missing.append(kind)
            continue
        if kind == "container" and obj.status != "running":
            missing.append("container (no longer running)")
    for kind, ident in ids.items():  # now remove them, container first
        try:
            obj = getters[kind].get(ident)
            obj.remove(force=True) if kind in ("container", "volume") else (
                c.images.remove(ident, force=True) if kind == "image" else obj.remove())
        except Exception:
            pass
    STATE.unlink()
    status = 0
    if missing:
        print(f"decoys: FAILED, the test run removed or stopped the learner's {', '.join(missing)}")
        status = 1
    else:
        print("decoys: the learner's container, image, volume and network all survived")
    if leftovers:
        print(f"leftovers: FAILED, the tests left course objects behind: {sorted(leftovers)}")
        status = 1
    else:
        print("leftovers: none, every test removed what it created")
    return status


if __name__ == "__main__":
    if sys.argv[1:] == ["create"]:
        create()
    elif sys.argv[1:] == ["check"]:
        sys.exit(check())
    else:
        sys.exit(__doc__)
