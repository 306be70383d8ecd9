"""``python -m coursekit.exercises``: regenerate the exercise notebooks;
``--reset-progress``: forget which tasks passed."""
import sys

from .notebooks import write_notebooks
from .record import reset_progress

if sys.argv[1:] == ["--reset-progress"]:
    reset_progress()
    print("progress reset")
else:
    done = write_notebooks()
    print("\n".join(done) or "exercise notebooks are current")
