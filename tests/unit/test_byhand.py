"""Lesson 15 shows its program whole (a ``%%writefile container.py`` cell); the exercises
use the copy in ``coursekit.byhand.PROGRAM``: the two must be the same program."""
import ast
import json
from pathlib import Path

from coursekit.byhand import PROGRAM

LESSON = Path(__file__).resolve().parents[2] / "notebooks" / "15_container_by_hand.ipynb"


def _program_cell() -> str:
    cells = json.loads(LESSON.read_text())["cells"]
    [src] = ["".join(c["source"]) for c in cells
             if c["cell_type"] == "code" and "".join(c["source"]).startswith("%%writefile container.py\n")]
    return src.split("\n", 1)[1]


def test_lesson_program_is_coursekit_copy():
    assert _program_cell().rstrip("\n") == PROGRAM.rstrip("\n")


def test_program_is_python_and_short():
    ast.parse(PROGRAM)
    lines = PROGRAM.strip().splitlines()
    assert len(lines) <= 90, f"{len(lines)} lines: the lesson promises a short program"
    assert all(len(line) <= 110 for line in lines), "a line too long to read in a notebook cell"
