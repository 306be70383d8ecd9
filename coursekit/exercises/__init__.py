"""Auto-checked exercises: tasks on the learner's real engine.

Each task has its text, per-learner values (seeded by the learner's id, so neighbours
on one engine neither collide nor copy; the same after a kernel restart), a check that
inspects the engine's *state* (never the code typed) and says in the task what it
requires, hints, a reference solution and plausible wrong answers, each with the phrase
its report must contain (the tests run them all on a real engine).  In a notebook:

    P_run_port = ex.show("run-port")   # the task, with your values (P_run_port["port"] ...)
    ... your answer, CLI (!docker ...) or SDK ...
    ex.check("run-port")               # ✅, or ❌ with every failing point and a hint

Each task has its own variable, and a check reads the values the task showed, never
that variable: cells run out of order cannot point one task at another's values.
Answers need no course labels; ``ex.cleanup()`` finds them by the tasks' names.

The package: ``model`` (Task, Result, Shown), ``lessons/`` (one module per lesson: its
tasks, checks, set-ups and answers), ``support`` (what several lessons' checks share),
``identity`` (the learner's id and values), ``record`` (passed tasks, the progress table),
``api`` (show, check, hint, cleanup) and ``notebooks`` (the exercise notebooks are
generated from the tasks: ``python -m coursekit.exercises``).
"""
from __future__ import annotations

from .api import check, cleanup, hint, show
from .identity import ident
from .lessons import CLI, TASKS, TASKS_BY_ID
from .model import Result, Shown, Task
from .notebooks import cli_text
from .record import Progress, progress, reset_progress

__all__ = ["CLI", "TASKS", "TASKS_BY_ID", "Progress", "Result", "Shown", "Task", "check", "cleanup",
           "cli_text", "hint", "ident", "progress", "reset_progress", "show"]
