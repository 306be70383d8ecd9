"""One learner on their own machine: their course objects and progress go (a workshop
learner: :func:`coursekit.instructor.hub.reset_learner`)."""
from __future__ import annotations

from pathlib import Path

from ..connect import connect


def reset_session(session: str, progress: Path | None = None, client=None,
                  quiet: bool = False) -> str:
    """One learner on their own machine: remove the course objects of ``session`` and
    their exercise progress.  Nothing of another session, nothing unlabelled."""
    from ..cleanup import cleanup
    from ..paths import progress_file
    report = cleanup(client=client or connect(), session=session)
    progress = progress or progress_file()
    had = progress.exists()
    progress.unlink(missing_ok=True)
    # The exercises' stored learner id and values: the next learner on this machine
    # gets new names, so nothing of the previous learner's answers is theirs to see.
    (progress.parent / "exercises.json").unlink(missing_ok=True)
    text = f"{report}; progress {'removed: ' + str(progress) if had else 'was empty'}"
    if not quiet:
        print(text)
    return text
