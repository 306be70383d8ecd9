"""The dashboard lists this session's containers only, and its buttons act on them."""
import time

import coursekit as ck

from .conftest import unique


def _names(d):
    """Each row's text: its cells (name, state, ports, memory, CPU) joined."""
    return [" ".join(cell.value for cell in row.children if hasattr(cell, "value"))
            for row in d.table.children[1:] if hasattr(row, "children")]


def test_lists_logs_stops_removes_and_auto_refreshes(client, created):
    mine = client.containers.run(ck.BUSYBOX, ["sh", "-c", "echo hello-dash; sleep 300"], detach=True,
                                 name=ck.name(unique("dash")), labels=ck.labels())
    other = client.containers.run(ck.BUSYBOX, "sleep 300", detach=True, name=unique("not-course"))
    created.append(other)
    d = ck.dashboard(client=client)
    rows = _names(d)
    assert any(mine.name in r and "running" in r for r in rows), rows
    assert not any(other.name in r for r in rows)
    d._logs(mine)
    assert "hello-dash" in d.detail.value
    d._stop(mine)
    assert any(mine.name in r and "exited" in r for r in _names(d))
    d.auto.value = True                      # auto-refresh picks up a new container
    late = client.containers.run(ck.BUSYBOX, "sleep 300", detach=True,
                                 name=ck.name(unique("late")), labels=ck.labels())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(late.name in r for r in _names(d)):
        time.sleep(0.2)
    d.auto.value = False
    assert any(late.name in r for r in _names(d))
    d._cleanup()
    assert "removed 2 containers" in d.detail.value
    other.reload()
    assert other.status == "running"         # not the course's: untouched
