"""coursekit -- set-up, safety, checks and widgets for the Linux containers course.

The lessons teach the real Docker SDK and CLI; this package only makes sure an
engine and the lab images are there, labels and names what the course creates,
and cleans up exactly that.

    import coursekit as ck
    client = ck.connect()                 # a docker.DockerClient, or DockerUnavailable
    client.containers.run(ck.BUSYBOX, "uname -r", remove=True,
                          name=ck.name("hello"), labels=ck.labels())
    ck.cleanup()                          # this session's course objects only
"""
from .cleanup import cleanup
from .connect import connect, engine_address
from .dashboard import dashboard
from .errors import CourseError, DockerUnavailable, ImageUnavailable, PortBusy, RegistryError
from .images import BUSYBOX, PYTHON, REGISTRY_IMAGE, ensure_images
from .labelling import cli_labels, label_filter, labels, name, session
from .ports import free_port
from .registry import start_registry

__all__ = [
    "connect", "engine_address", "ensure_images", "start_registry", "cleanup", "dashboard",
    "session", "labels", "cli_labels", "label_filter", "name", "free_port",
    "BUSYBOX", "REGISTRY_IMAGE", "PYTHON",
    "CourseError", "DockerUnavailable", "ImageUnavailable", "PortBusy", "RegistryError",
]
__version__ = "0.1.0"

from . import notebook as _notebook  # noqa: E402

_notebook.install()
