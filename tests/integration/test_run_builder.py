"""The docker run builder runs what it shows, and explains bad input instead of raising."""
import socket
import urllib.request

import coursekit as ck
from coursekit.engine import wait_until
from coursekit.widgets import RunBuilder


def test_foreground_run_with_rm(client):
    b = RunBuilder(client, command="echo built")
    assert b.cli_line() == f"docker run --rm {ck.BUSYBOX} echo built"
    assert b.run() == "✅ output: 'built'"
    assert b.started == []


def test_detached_server_with_published_port(client):
    b = RunBuilder(client, command="sh -c 'mkdir -p /w && echo hi > /w/index.html && httpd -f -p 80 -h /w'")
    port = ck.free_port()
    b.rm.value, b.detach.value, b.publish.value = False, True, f"{port}:80"
    assert f"-p {port}:80" in b.cli_line()
    assert f"ports={{'80/tcp': ('127.0.0.1', {port})}}" in b.sdk_call()
    assert b.run().startswith("✅ started")

    def up():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read() == b"hi\n"
        except OSError:
            return False
    try:
        assert wait_until(up, 10)
    finally:
        b.cleanup()
    assert client.containers.list(all=True, filters={"label": ["coursekit.role=runbuilder",
                                                              ck.label_filter()]}) == []


def test_bad_input_and_busy_port_become_messages(client):
    b = RunBuilder(client)
    b.publish.value = "80"
    assert "fix the input first" in b.sdk_call()
    assert b.run().startswith("❌ -p '80'")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        b.publish.value = f"{s.getsockname()[1]}:80"
        assert "already in use" in b.run()
    b.publish.value, b.memory.value = "", "lots"
    assert b.run().startswith("❌")
    assert b.started == []
