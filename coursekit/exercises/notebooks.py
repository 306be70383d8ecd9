"""The exercise notebooks, generated from the tasks: ``python -m coursekit.exercises``
writes ``exercises/NN_*.ipynb`` (for the learner) and ``exercises/solutions/`` (with the
reference answers, folded, and the same with the CLI)."""
from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from ..paths import ROOT
from .lessons import CLI, LESSON_TITLES, TASKS
from .model import Task


def cli_text(task_id: str) -> str:
    """The CLI solution with the task's values as ``<key>`` placeholders."""
    keys = {f for _, f, _, _ in string.Formatter().parse(CLI[task_id]) if f}
    return CLI[task_id].format(**{k: f"<{k}>" for k in keys})


ANSWER_PLACEHOLDER = "# Your answer here: CLI (!docker ...) or SDK (client.containers.run(...)).\n"


def notebook_code(task: Task, code: str) -> str:
    """Answer code as written in the notebooks: ``P[...]`` becomes the task's own variable."""
    return re.sub(r"\bP\[", f"{task.var}[", code)


def _quiet(code: str) -> str:
    """Solutions end in a statement, so a cell shows no object reprs (ids, addresses,
    a build's log): a final expression, one line or several, is assigned to ``_``."""
    lines = code.rstrip("\n").split("\n")
    last = ast.parse(code).body[-1]
    if isinstance(last, ast.Expr):
        lines[last.lineno - 1] = "_ = " + lines[last.lineno - 1]
    return "\n".join(lines)


def build_notebooks() -> dict[str, "object"]:
    """{relative path: notebook} for the learner copies and the solution copies."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    out = {}
    for lesson, title in LESSON_TITLES.items():
        tasks = [t for t in TASKS if t.lesson == lesson]
        if not tasks:
            continue
        for kind in ("learner", "solution"):
            nb = new_notebook()
            nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                         "language": "python"}
            heading = f"# Exercises: {title}" + (" (solutions)" if kind == "solution" else "")
            cells = [new_markdown_cell(
                f"{heading}\n\nTasks for the lesson [{title}](../{'../' if kind == 'solution' else ''}"
                f"notebooks/{lesson}.ipynb). Each task shows **your** values (names, ports, limits); "
                "do it with the CLI (`!docker ...`) or the SDK, then run its check: it inspects your "
                "engine and answers ✅, or ❌ with every point still missing and a hint. Each task says "
                "what its check requires. Its values are in its own variable (`P_run_port[\"port\"]` "
                "for the task `run-port`), so the tasks can be done in any order, and they stay the "
                "same after a kernel restart. You need no course labels. Checks never change "
                "anything; `ex.cleanup()` at the end removes what the tasks made, labelled or not."
                + ("\n\nEach solution is folded: click to show it." if kind == "solution" else "")),
                new_code_cell("import coursekit as ck\nfrom coursekit import exercises as ex\n\n"
                              "client = ck.connect()")]
            for i, t in enumerate(tasks, 1):
                cells.append(new_markdown_cell(f"## Task {i}: `{t.id}` ({t.level})"))
                cells.append(new_code_cell(f'{t.var} = ex.show("{t.id}")\n{t.var}'))
                answer = new_code_cell(_quiet(notebook_code(t, t.solution)) + "\n" if kind == "solution"
                                       else ANSWER_PLACEHOLDER)
                answer.metadata["tags"] = ["answer"] + (["hide-input"] if kind == "solution" else [])
                cells.append(answer)
                if kind == "solution" and t.id in CLI:
                    cells.append(new_markdown_cell(
                        f"The same with the CLI, in a terminal (`<...>`: your values, in `{t.var}`):\n\n"
                        f"```bash\n{cli_text(t.id)}\n```"))
                cells.append(new_code_cell(f'ex.check("{t.id}", answer)' if t.takes_answer
                                           else f'ex.check("{t.id}")'))
                if kind == "learner":
                    cells.append(new_markdown_cell(f'Stuck? `ex.hint("{t.id}")` shows a hint; '
                                                   "a failed check shows it too."))
            cells.append(new_markdown_cell("## Your progress, and cleaning up"))
            cells.append(new_code_cell(f'ex.progress("{lesson}")   # every lesson: ex.progress()'))
            cells.append(new_code_cell("ex.cleanup()"))
            for j, c in enumerate(cells):
                c["id"] = f"{lesson[:2]}-{kind[0]}-{j:02d}"
            nb.cells = cells
            path = (f"exercises/{lesson}.ipynb" if kind == "learner"
                    else f"exercises/solutions/{lesson}.ipynb")
            out[path] = nb
    return out


def sources_of(nb) -> list[tuple[str, str, list]]:
    """What must match between a generated and a committed copy (not outputs)."""
    return [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]


def write_notebooks(root: Path = ROOT) -> list[str]:
    """(Re)generate the exercise notebooks; keeps stored outputs of unchanged cells."""
    import nbformat
    written = []
    for rel, nb in build_notebooks().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            old = nbformat.read(path, as_version=4)
            if sources_of(old) == sources_of(nb):
                continue
            before = {c.get("id"): c for c in old.cells if c.cell_type == "code"}
            for c in nb.cells:      # a cell that did not change keeps its recorded output
                was = before.get(c.get("id"))
                if c.cell_type == "code" and was is not None and was.source == c.source:
                    c.outputs, c.execution_count = was.outputs, was.execution_count
                    c.metadata.update({k: v for k, v in was.metadata.items() if k == "execution"})
        nbformat.write(nb, path)
        written.append(rel)
    return written
