"""The notebook API: show a task with the learner's values, check it on the engine,
hint, and clean up what the tasks made."""
from __future__ import annotations

from pathlib import Path

from ..images import image_summaries
from ..labelling import name
from .identity import _name, _pinned, _save_state, _state, _values, ident
from .lessons import TASKS, TASKS_BY_ID
from .model import Result, Shown, Task
from .record import _record

_shown: dict[str, dict] = {}


def _client():
    from ..connect import connect
    return connect()


def _params(task: Task) -> dict:
    """The task's values: as shown in this kernel, else as stored for this learner, else new."""
    key = f"{ident()}:{task.id}"
    if key in _shown:
        return _shown[key]
    if not _pinned():
        stored = (_state().get("values") or {}).get(task.id)
        if isinstance(stored, dict) and stored.get("name") == _name(f"ex-{task.id}"):
            return stored
    return _values(task)


def _remember(task: Task, p: dict) -> None:
    _shown[f"{ident()}:{task.id}"] = p
    if not _pinned():
        data = _state()
        if (data.get("values") or {}).get(task.id) != p:
            data.setdefault("values", {})[task.id] = p
            _save_state(data)


def show(task_id: str) -> Shown:
    """Prepare the task (what it provides) and show it with your values.

    In the notebooks each task has its own variable (``P_run_port = ex.show("run-port")``),
    and the checks never read it: running the cells in any order is safe."""
    task = TASKS_BY_ID[task_id]
    p = dict(_params(task))
    client = _client() if (task.setup or task.refresh) else None
    if task.refresh:
        task.refresh(client, p)
    if task.setup:
        task.setup(client, p)
    _remember(task, p)
    return Shown(task, p)


def check(task_id: str, answer=None) -> Result:
    """Inspect the engine for the task; ✅ or ❌ with every failing point. Never raises."""
    try:
        task = TASKS_BY_ID[task_id]
    except KeyError:
        return Result(str(task_id), [f"no task {task_id!r}; the tasks are {', '.join(TASKS_BY_ID)}"])
    try:
        p = _params(task)
        problems = task.check(_client(), p, answer)
    except Exception as err:  # a stopped engine, bad input, anything: a ❌, not a traceback
        p = {}
        problems = [getattr(err, "message", None) or f"{type(err).__name__}: {err}"]
        fix = getattr(err, "fix", None)
        if fix:
            problems.append(f"fix: {fix}")
    try:
        hint_text = task.hint.format(**p) if problems else ""
    except (KeyError, IndexError):
        hint_text = task.hint
    res = Result(task_id, problems, hint_text)
    # every check is noted, a failed one too (the room view counts them); shown on a pass
    res.note = _record(task_id, res) or ""
    return res


def hint(task_id: str) -> str:
    task = TASKS_BY_ID[task_id]
    return task.hint.format(**_params(task))


def _prefixes() -> set[str]:
    """Exercise names: ``ck-<id>-ex-`` (see :func:`ident`) and this kernel's ``ck-<session>-ex-``
    (the course registry of reg-push is named by the session)."""
    return {_name("ex-"), name("ex-")}


def cleanup(task_id: str | None = None):
    """Remove what the task(s) created or asked for, labelled or not: containers, images and
    volumes named by the tasks (``ck-<id>-ex-...``), their folders and registry tags."""
    import shutil
    import docker
    client = _client()
    ids = [t.id for t in TASKS] if task_id is None else [task_id]
    mine = tuple(f"{pre}{t}" for pre in _prefixes() for t in ids) if task_id else tuple(_prefixes())
    params = {t: _params(TASKS_BY_ID[t]) for t in ids if t in TASKS_BY_ID}
    removed = []
    for pre in _prefixes():
        for c in client.containers.list(all=True, ignore_removed=True, filters={"name": pre}):
            if c.name.startswith(mine):
                try:
                    c.remove(force=True, v=True)
                    removed.append(c.name)
                except docker.errors.NotFound:
                    pass
    tags = tuple(f"{p['address']}/" for p in params.values() if "address" in p)
    for img in image_summaries(client):
        for tag in img.get("RepoTags") or []:
            if tag.startswith(mine) or (tags and tag.startswith(tags)):
                try:
                    client.images.remove(tag, force=tag.startswith(mine))
                    removed.append(tag)
                except docker.errors.ImageNotFound:
                    pass
                except docker.errors.APIError:
                    pass
    for pre in _prefixes():
        for n in client.networks.list(names=None, filters={"name": pre}):
            if n.name.startswith(mine):
                try:
                    n.remove()
                    removed.append(n.name)
                except (docker.errors.NotFound, docker.errors.APIError):
                    pass
    for pre in _prefixes():
        for v in client.volumes.list(filters={"name": pre}):
            if v.name.startswith(mine):
                try:
                    v.remove(force=True)
                    removed.append(v.name)
                except docker.errors.NotFound:
                    pass
    for p in params.values():
        if "dir" in p and Path(p["dir"]).name.startswith(tuple(_prefixes())) and Path(p["dir"]).exists():
            shutil.rmtree(p["dir"], ignore_errors=True)
            removed.append(p["dir"])
        if "file" in p and Path(p["file"]).name.startswith(tuple(_prefixes())) and Path(p["file"]).is_file():
            Path(p["file"]).unlink()
            removed.append(p["file"])
    return f"exercises: removed {len(removed)} objects"
