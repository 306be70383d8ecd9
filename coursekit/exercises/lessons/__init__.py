"""The tasks: one module per lesson, listed here in the course's order (the order of
``_toc.yml``, which tests/unit/test_exercise_tasks.py holds this list to).

A lesson's module sets ``LESSON`` (its notebook's name) and ``TITLE`` and declares its
tasks as module-level :class:`~coursekit.exercises.model.Task` objects, in the order the
exercise notebook shows them. To add a lesson's tasks: a module beside these, and its
name below.
"""
from __future__ import annotations

from importlib import import_module

from ...errors import TaskDefinitionError
from ..model import Task

MODULES = (
    "l01_hello_container", "l02_containers_vs_vms", "l03_namespaces", "l04_cgroups",
    "l05_docker_run", "l10_container_lifecycle", "l06_images_and_build", "l12_dockerfiles",
    "l11_networks_compose", "l07_cleaning_up", "l08_registries", "l09_docker_without_sudo",
    "l13_images_cow",
    "l14_security",
)

TASKS: list[Task] = []
LESSON_TITLES: dict[str, str] = {}     # notebook name -> title, in the course's order
for _module in MODULES:
    _mod = import_module(f".{_module}", __name__)
    LESSON_TITLES[_mod.LESSON] = _mod.TITLE
    TASKS += [v for v in vars(_mod).values() if isinstance(v, Task)]

TASKS_BY_ID = {t.id: t for t in TASKS}
if len(TASKS_BY_ID) != len(TASKS):
    raise TaskDefinitionError("two tasks have the same id: " + ", ".join(sorted(
        {t.id for t in TASKS if sum(u.id == t.id for u in TASKS) > 1})), "give each task its own id")

# The same solutions with the CLI, ``{key}`` being the task's values (``P_<task>[key]``);
# tests/integration/test_exercises.py runs each through a shell and checks it passes.
CLI = {t.id: t.cli for t in TASKS if t.cli}
