"""Host ports: find a free one, or explain a busy one."""
from __future__ import annotations

import socket

from .errors import PortBusy


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check_port_free(port: int, host: str = "127.0.0.1") -> int:
    """Return ``port`` if nothing listens on it, else raise :class:`PortBusy`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # as servers do: connections in TIME_WAIT do not make a port busy, a listener does
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            raise PortBusy(
                f"host port {port} on {host} is already in use",
                f"pick another port, e.g. coursekit.free_port() -> {free_port(host)}, "
                f"or stop what listens there (`ss -ltnp 'sport = :{port}'`).") from None
    return port
