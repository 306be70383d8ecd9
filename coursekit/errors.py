"""The course's exceptions: one root, small subclasses named after the condition.

Every error carries a short ``message`` naming the object involved and a ``fix``:
the next step for the learner.  In a notebook they render as two lines, with the
full traceback folded away (see :mod:`coursekit.notebook`).
"""
from __future__ import annotations

import html


class CourseError(Exception):
    """Root of every error the course's helper package raises."""

    def __init__(self, message: str, fix: str | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message}\n  Fix: {self.fix}"
        return self.message

    def _repr_html_(self) -> str:
        fix = f"<br><b>Fix:</b> {html.escape(self.fix)}" if self.fix else ""
        return (f"<div class='coursekit-error'>❌ <b>{type(self).__name__}</b>: "
                f"{html.escape(self.message)}{fix}</div>")


class DockerUnavailable(CourseError):
    """No Docker engine answered at the host/socket that was tried."""


class ImageUnavailable(CourseError):
    """A lab image is missing and could be neither pulled nor built offline."""


class PortBusy(CourseError):
    """A host port the course wanted is already taken."""


class RegistryError(CourseError):
    """The course registry could not be started, reached or stopped."""


class EngineLost(DockerUnavailable):
    """The engine answered when the notebook connected, then stopped answering."""


class NameInUse(CourseError):
    """A container name is taken (often by an earlier run of the same cell)."""


class ObjectInUse(CourseError):
    """A volume or network cannot be removed while a container uses it."""


class DiskFull(CourseError):
    """The engine's disk has no space left."""


class InvalidValue(CourseError, ValueError):
    """A value the learner or instructor gave (a setting, a session id, a widget field)
    is not usable.  Also a ValueError, so callers that parse may catch that."""


class MissingTool(CourseError, FileNotFoundError):
    """A program the course needs on this machine is not installed."""


class BuildFailed(CourseError):
    """Building, pulling or tagging an image failed; the message has the tool's last lines."""


class AptError(CourseError):
    """apt-get failed; the message carries the tail of its output."""


class HubError(CourseError):
    """The workshop hub refused a request or a learner's server did not start."""


class PackError(CourseError):
    """An instructor pack is missing, damaged or does not fit this course."""


class WorkshopError(CourseError):
    """The workshop hub could not be built, started or stopped."""


class TaskDefinitionError(CourseError):
    """An exercise task is declared wrongly (for course authors, not learners)."""
