"""What several lessons' checks and set-ups share: finding, running and waiting for
the containers a task is about, and the words and ports tasks draw from."""
from __future__ import annotations

import random
from pathlib import Path

from .identity import _name
from ..images import BUSYBOX
from ..labelling import labels


def _get(client, kind: str, ident_: str):
    import docker
    coll = {"container": client.containers, "image": client.images,
            "volume": client.volumes, "network": client.networks}[kind]
    try:
        obj = coll.get(ident_)
        if kind == "container":
            obj.reload()
        return obj
    except docker.errors.NotFound:   # ImageNotFound included
        return None


def _container(client, p, problems, key="name"):
    c = _get(client, "container", p[key])
    if c is None:
        problems.append(f"there is no container named {p[key]} (docker ps -a shows the names)")
    return c


def _running(c, problems, why="its command must keep it running (sleep 3600)") -> bool:
    """The container must be running now: created-only and exited answers fail."""
    if c.status == "running":
        return True
    if c.status == "created":
        problems.append(f"{c.name} was created but never started (status created): "
                        "docker start it, or use docker run -d")
    else:
        problems.append(f"{c.name} is {c.status} (exit code {c.attrs['State'].get('ExitCode')}), "
                        f"not running: {why}")
    return False


def _check_box(client, image: str, cmd=None, **kw):
    """A container a check creates (labelled, named per learner, never the learner's)."""
    return client.containers.create(image, cmd, name=_name(f"ex-check-{random.randrange(10**6)}"),
                                    labels=labels(), **kw)


def _run_image(client, image: str, cmd=None, timeout: float = 30, **kw) -> tuple[int, str]:
    """Run ``image`` once as a check helper (labelled, removed, never hangs): (exit code, output)."""
    import requests
    box = _check_box(client, image, cmd, **kw)
    try:
        box.start()
        try:
            code = box.wait(timeout=timeout)["StatusCode"]
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            code = -1    # still running after the timeout: what it printed so far
        return code, box.logs().decode(errors="replace")
    finally:
        box.remove(force=True)


def _run_quiet(client, cmd, **kw) -> tuple[int, str]:
    return _run_image(client, BUSYBOX, ["sh", "-c", cmd], **kw)


def _task_container(client, p):
    """The container the task's set-up started, or the problem that it is gone."""
    c = _get(client, "container", p["name"])
    return c, ([] if c else [f"there is no container named {p['name']}: run the task's show cell again to start it"])


def _kept_in_place(c, p, new_why: str, restart_why: str) -> list[str]:
    """The task's own container, neither replaced nor restarted since the task started it
    (tasks whose point is changing a running container in place)."""
    again = f"docker rm -f {p['name']}, then run the task's show cell again to start over"
    if p.get("id") and c.id != p["id"]:
        return [f"{c.name} is a new container, not the one the task started: {new_why} ({again})"]
    if c.status == "running" and p.get("started") and c.attrs["State"]["StartedAt"] != p["started"]:
        return [f"{c.name} was restarted since the task started it (its StartedAt changed): "
                f"{restart_why} ({again})"]
    return []


def _setup_open_dir(client, p):
    d = Path(p["dir"])
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o777)   # the container's user, whoever it is, may write here


def _params_port(r):
    from ..ports import check_port_free
    from ..errors import PortBusy
    for _ in range(50):
        port = r.randrange(20000, 40000)
        try:
            check_port_free(port)
            return port
        except PortBusy:
            continue
    raise PortBusy("no free port for this task: 50 random ports from 20000 to 39999 were all taken",
                   "stop what holds so many ports on 127.0.0.1, or show the task again")


WORDS = ["aurora", "basalt", "cobalt", "dunes", "ember", "fjord", "glacier", "harbor", "iris", "jade"]


def _setup_sleeper(client, p, **kw):
    """The task's own running container ``p["name"]`` (sleep 3600), marked as the task's;
    its id and start time are recorded when it is (re)started, for checks that must find
    the same container, not restarted."""
    c = _get(client, "container", p["name"])
    if c is None:
        c = client.containers.run(BUSYBOX, "sleep 3600", detach=True, name=p["name"],
                                  labels=labels(exercise=p["name"]), **kw)
    elif c.status != "running":
        c.start()
    elif p.get("id") == c.id or c.labels.get("coursekit.exercise") != p["name"]:
        return      # as recorded; or not the task's (the check says so)
    c.reload()
    p["id"], p["started"] = c.id, c.attrs["State"]["StartedAt"]


def _tmp(tag):
    import tempfile
    return str(Path(tempfile.gettempdir()) / _name(tag))
