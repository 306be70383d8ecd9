"""Lesson 07, Cleaning up: the tasks clean-scoped."""
from __future__ import annotations

import coursekit as ck

from ..identity import _name
from ..model import Task
from ..support import _get
from ...images import BUSYBOX
from ...labelling import labels

LESSON = "07_cleaning_up"
TITLE = "Cleaning up"


def check_clean_scoped(client, p, answer):
    left = client.containers.list(all=True, ignore_removed=True, filters={"label": [f"coursekit.exercise={p['group']}"]})
    problems = []
    if left:
        stopped = all(c.status != "running" for c in left)
        problems.append(f"{len(left)} of the group's containers are still there"
                        + (" (stopped is not removed: docker rm)" if stopped else ""))
    if _get(client, "container", p["keep"]) is None:
        problems.append(f"{p['keep']} was removed too: filter on the group's label, not everything")
    return problems


def _setup_clean(client, p):
    for i in range(3):
        if _get(client, "container", f"{p['name']}-{i}") is None:
            client.containers.run(BUSYBOX, "sleep 3600", detach=True, name=f"{p['name']}-{i}",
                                  labels=labels(exercise=p["group"]))
    if _get(client, "container", p["keep"]) is None:
        client.containers.run(BUSYBOX, "sleep 3600", detach=True, name=p["keep"], labels=labels())


clean_scoped = Task(
    id="clean-scoped",
    lesson=LESSON,
    level="medium",
    text="The task started three containers labelled coursekit.exercise={group} and one more, {keep}. "
         "Remove the three with one filtered command, and keep {keep}.",
    params=lambda r: {"group": _name("ex-clean-scoped-group"), "keep": _name("ex-clean-scoped-keep")},
    check=check_clean_scoped,
    hint="`docker ps` lists stopped containers too with -a, filters by label with --filter and prints only ids with -q; give those ids to the command that removes containers, forcing the running ones. Nothing outside the group may go.",
    requires="no container labelled coursekit.exercise={group} is left (running or stopped), and {keep} "
             "still exists.",
    setup=_setup_clean,
    cli="docker rm -f $(docker ps -aq --filter label=coursekit.exercise={group})",
)


@clean_scoped.answer
def _(client, P):
    for c in client.containers.list(all=True, filters={"label": f"coursekit.exercise={P['group']}"}):
        c.remove(force=True)


@clean_scoped.wrong_answer("was removed too")
def _(client, P):
    for c in client.containers.list(all=True, filters={"label": ck.label_filter()}):
        c.remove(force=True)


@clean_scoped.wrong_answer("2 of the group's containers are still there")
def _(client, P):
    client.containers.list(all=True, filters={"label": f"coursekit.exercise={P['group']}"})[0].remove(force=True)


@clean_scoped.wrong_answer("stopped is not removed")
def _(client, P):
    for c in client.containers.list(all=True, filters={"label": f"coursekit.exercise={P['group']}"}):
        c.stop(timeout=0)
