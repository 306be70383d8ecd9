"""Two sessions on one engine, at the same time, with the same object purposes."""
import os
import subprocess
import sys



from .conftest import unique

WORK = """
import coursekit as ck, urllib.request
c = ck.connect()
port = ck.free_port()
web = c.containers.run(ck.BUSYBOX, "httpd -f -p 80 -h /etc", detach=True, name=ck.name("web"),
                       labels=ck.labels(), ports={"80/tcp": ("127.0.0.1", port)})
vol = c.volumes.create(ck.name("data"), labels=ck.labels())
net = c.networks.create(ck.name("net"), labels=ck.labels())
net.connect(web)
from coursekit.engine import wait_until
def up():
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/passwd", timeout=1).status == 200
    except OSError:
        return False
assert wait_until(up, 10), "httpd did not answer"
print(web.name, port)
"""


def _objects(client, session):
    flt = {"label": [f"coursekit.session={session}"]}
    return (client.containers.list(all=True, filters=flt), client.volumes.list(filters=flt),
            client.networks.list(filters=flt))


def test_two_sessions_at_once_do_not_collide(client):
    a, b = unique("sa"), unique("sb")
    procs = [subprocess.Popen([sys.executable, "-c", WORK], env=dict(os.environ, COURSEKIT_SESSION=s),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for s in (a, b)]
    try:
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        (name_a, port_a), (name_b, port_b) = (o[0].split() for o in outs)
        assert name_a == f"ck-{a}-web" and name_b == f"ck-{b}-web"
        assert port_a != port_b
        # Cleaning session A leaves every object of session B alone.
        r = subprocess.run([sys.executable, "-m", "coursekit", "cleanup", "--session", a],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert all(len(x) == 0 for x in _objects(client, a))
        assert all(len(x) == 1 for x in _objects(client, b))
    finally:
        for s in (a, b):
            subprocess.run([sys.executable, "-m", "coursekit", "cleanup", "--session", s],
                           capture_output=True, timeout=120)
    assert all(len(x) == 0 for x in _objects(client, b))
