"""What a task is, and what showing and checking one gives back.

A lesson's module declares each task with keyword fields next to its check, and its
reference solution and plausible wrong answers as real functions under it::

    hello_run = Task(id="hello-run", lesson=LESSON, level="easy", text="...",
                     check=check_hello_run, hint="...", requires="...", cli="docker run ...")

    @hello_run.answer
    def _(client, P):
        client.containers.run(ck.BUSYBOX, "uname -r", detach=True, name=P["name"], labels=ck.labels()).wait()

    @hello_run.wrong_answer("not just the kernel release")
    def _(client, P):
        ...

Linters and tests see the answers as code. The solution notebooks show each answer's
body as it is written (``P[...]`` becoming the task's own variable); an answer that
computes a value for the check ends with ``return answer``, which the notebook shows as
the assignment ``answer = ...`` it returns.
"""
from __future__ import annotations

import html
import inspect
import random
import textwrap
from dataclasses import dataclass, field
from typing import Callable

from ..checks import Verdict
from ..errors import TaskDefinitionError

MiB = 2**20


@dataclass(repr=False)
class Result(Verdict):
    task: str
    problems: list[str] = field(default_factory=list)
    hint: str = ""
    note: str = ""     # e.g. the progress file could not be written

    advice_label = "hint"

    @property
    def ok(self) -> bool:
        return not self.problems

    def _view(self):
        detail = ("passed" + (f" ({self.note})" if self.note else "")) if self.ok else "not yet"
        return self.ok, self.task, detail, self.problems, self.hint


class Shown(dict):
    """The task text with the learner's values; also the dict of those values."""

    def __init__(self, task: "Task", params: dict):
        super().__init__(params)
        self.task = task

    def text(self) -> str:
        """The task with your values marked «like this», and what its check requires."""
        values = {k: f"«{v}»" for k, v in self.items()}
        out = self.task.text.format(**values)
        if self.task.requires:
            out += " The check requires: " + self.task.requires.format(**values)
        return out

    def __repr__(self) -> str:
        return f"Task {self.task.id} ({self.task.level}): {self.text()}"

    def _repr_html_(self) -> str:
        body = html.escape(self.text()).replace("«", "«<b><code>").replace("»", "</code></b>»")
        return (f"<div style='border-left:4px solid #2a7ae2;padding:4px 10px'><b>Task "
                f"{html.escape(self.task.id)}</b> <i>({self.task.level})</i><br>{body}</div>")


def _no_values(r: random.Random) -> dict:
    return {}


def answer_code(fn: Callable) -> str:
    """An answer function's body as notebook code: dedented, without its ``def`` line
    and decorators, and with a final ``return answer`` left out (the cell's ``answer``
    variable is what the check is given)."""
    lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    body = textwrap.dedent("\n".join(lines[start + 1:])).rstrip("\n").split("\n")
    if body[-1] == "return answer":
        body.pop()
    return "\n".join(body)


@dataclass(kw_only=True, eq=False)
class Task:
    """One exercise task. ``check(client, P, answer)`` returns the problems found on the
    engine (none: passed); ``params(random)`` draws the learner's values (seeded by their
    id), to which ``name`` (``ck-<id>-ex-<task>``) is always added."""
    id: str
    lesson: str
    level: str                          # easy, medium, hard
    text: str                           # the task, with {value} fields
    check: Callable[..., list[str]]     # (client, P, answer) -> problems
    hint: str
    params: Callable[[random.Random], dict] = _no_values
    requires: str = ""                  # what the check verifies, shown with the task
    setup: Callable | None = None       # (client, P) -> None: what the task provides
    refresh: Callable | None = None     # (client, P) -> None: re-validate values when shown again
    takes_answer: bool = False          # the check is given the cell's `answer`
    cli: str = ""                       # the same solution with the CLI, {value} fields
    answers: list[Callable] = field(default_factory=list, repr=False)
    wrong_answers: list[tuple[Callable, str]] = field(default_factory=list, repr=False)

    def answer(self, fn: Callable) -> Callable:
        """Decorator: the reference solution, ``(client, P)``."""
        self.answers.append(fn)
        return fn

    def wrong_answer(self, phrase: str) -> Callable[[Callable], Callable]:
        """Decorator: a plausible wrong answer, and a phrase its failed check must contain."""
        def register(fn: Callable) -> Callable:
            self.wrong_answers.append((fn, phrase))
            return fn
        return register

    @property
    def solution(self) -> str:
        """The reference solution as the solution notebook shows it."""
        if len(self.answers) != 1:
            var = self.id.replace("-", "_")
            raise TaskDefinitionError(f"task {self.id} has {len(self.answers)} answers, not 1",
                                      f"decorate exactly one function with @{var}.answer")
        return answer_code(self.answers[0])

    @property
    def wrong(self) -> list[tuple[str, str]]:
        """The wrong answers as code, each with the phrase its report must contain."""
        return [(answer_code(fn), phrase) for fn, phrase in self.wrong_answers]

    @property
    def var(self) -> str:
        """The task's own variable in the notebooks (P_run_port ...), so that running the
        cells out of order never points one task's answer at another task's values."""
        return "P_" + self.id.replace("-", "_")
