import socket

import pytest

from coursekit import CourseError, DockerUnavailable, PortBusy, free_port
from coursekit.ports import check_port_free


def test_errors_carry_message_and_fix():
    err = DockerUnavailable("no Docker engine socket at /x.sock", "start Docker <now>")
    assert isinstance(err, CourseError)
    assert str(err) == "no Docker engine socket at /x.sock\n  Fix: start Docker <now>"
    html = err._repr_html_()
    assert "DockerUnavailable" in html and "&lt;now&gt;" in html and "<now>" not in html


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_busy_port_names_the_port_and_an_alternative():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(PortBusy) as info:
            check_port_free(port)
    assert f"host port {port}" in info.value.message
    assert "free_port()" in info.value.fix
