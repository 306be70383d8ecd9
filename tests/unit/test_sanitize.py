"""Each nbval sanitize pattern replaces what varies and leaves the facts alone."""
import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

CFG = Path(__file__).resolve().parents[1] / "nbval_sanitize.cfg"


def sanitize(text):
    """As nbval does: its own parser, the patterns in file order."""
    for regex, replace in get_sanitize_patterns(CFG.read_text()):
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize("a,b", [
    ("ck-18ac9f-box running", "ck-7f00aa-box running"),
    ("coursekit.session=abc123", "coursekit.session=worker-2"),
    ("sha256:" + "a" * 64, "sha256:" + "b" * 64),
    ("container id   : 409b11b1df22", "container id   : 0c905cc1d613"),
    ("Created 2026-11-27T21:40:01.123456789Z", "Created 2026-11-28T01:02:03Z"),
    ("Created 3 seconds ago", "Created About a minute ago"),
    ("Up 4 seconds", "Up Less than a second"),
    ("127.0.0.1:58813->5000/tcp", "127.0.0.1:40001->5000/tcp"),
    ("80/tcp -> 127.0.0.1:34095", "80/tcp -> 192.168.76.2:40123"),
    ("#5 [2/3] COPY greeting.txt /app/greeting.txt", "#7 [2/3] COPY greeting.txt /app/greeting.txt"),
    ("the container's PID 1 is host PID 6505", "the container's PID 1 is host PID 71"),
    ("the exec'd shell's PID inside: 14", "the exec'd shell's PID inside: 11"),
    ("    7 root     ps", "   12 root     ps"),
    ("29079 root     sleep 600", " 6544 root     sleep 600"),
    ("22919               sleep 300", "18193               sleep 300"),
    ("   36 ps", "   41 ps"),
    ("net net:[4026532184]", "net net:[4026532999]"),
    ("eth0 172.17.0.2/16", "eth0 172.18.0.5/16"),
    ("'6.18.44-fc-v595'", "'6.1.0-27-amd64'"),
    ("ports={'80/tcp': ('127.0.0.1', 8080)}", "ports={'80/tcp': ('192.168.76.2', 40001)}"),
    ("/tmp/ipykernel_1234/567.py:3: Warning", "/tmp/ipykernel_99/1.py:3: Warning"),
    ("#8 naming to docker.io/library/ck-1-app:1 done", "#8 naming to docker.io/library/ck-1-app:1 0.1s done"),
    ("#8 naming to x:1 done\r\n", "#8 naming to x:1 0.0s done\r\n"),   # `!` output ends lines with \r\n
    ("1: digest: sha256:" + "a" * 64 + " size: 1564", "1: digest: sha256:" + "b" * 64 + " size: 1563"),
    ("/tmp/ipykernel_1234/567.py:3: Warning", "/var/tmp/coursekit-share/ipykernel_9/1.py:3: Warning"),
    # `$ docker ...` echo lines: a lesson's folder under $TMPDIR, mkdtemp's random tail
    ("$ docker run --rm -v /tmp/ck-ab12-scratch-k2x_9qaz:/shared --name ck-ab12-bind",
     "$ docker run --rm -v /run/coursekit-hosts/v2vm/share/ck-77ff-scratch-0a1b2c3d:/shared --name ck-77ff-bind"),
    ("$ DOCKER_CONFIG=/tmp/ck-ab12-docker-config docker push",
     "$ DOCKER_CONFIG=/var/tmp/share/ck-77ff-docker-config docker push"),
    ("$ docker build -t ck-ab12-hello:1 /tmp/ck-ab12-hello-p0o9i8u7 2>&1",
     "$ docker build -t ck-77ff-hello:1 /tmp/x/ck-77ff-hello-12345678 2>&1"),
    ("ps -o pid,user,args | awk 'NR == 1 || $1 == 6505'", "ps -o pid,user,args | awk 'NR == 1 || $1 == 71'"),
    ("/sys/fs/cgroup/pids.max = 3473", "/sys/fs/cgroup/pids.max = 4915"),
    ("15 % of the kernel's thread limit (23155): True", "15 % of the kernel's thread limit (32768): True"),
])
def test_varying_parts_compare_equal(a, b):
    assert sanitize(a) == sanitize(b)


@pytest.mark.parametrize("a,b", [
    ("same kernel: True", "same kernel: False"),
    ("    1 root     sleep 300", "    1 root     sh"),
    ("PID   USER     COMMAND", "PID   USER     CMD"),
    ("net net:[1]", "uts uts:[1]"),
    ("lo 127.0.0.1/8", "lo 10.0.0.1/8"),
    ("cleanup: nothing of the course's to remove", "cleanup: removed 1 containers"),
    ("#5 [2/3] COPY greeting.txt /app/greeting.txt", "#5 [3/3] RUN wc -c /app/greeting.txt"),
    ("#6 CACHED", "#6 DONE"),
    # a container's name keeps its purpose (no folder before it), and so does a fixed folder
    ('"Name": "/ck-ab12-registry"', '"Name": "/ck-ab12-webcache"'),
    ("DOCKER_CONFIG=/tmp/ck-ab12-docker-config", "DOCKER_CONFIG=/tmp/ck-ab12-docker-configs"),
    ("/sys/fs/cgroup/pids.max = max", "/sys/fs/cgroup/pids.max = 3473"),   # no limit vs systemd's
    ("/sys/fs/cgroup/pids.max = 64", "/sys/fs/cgroup/pids.max = 20"),       # --pids-limit values
])
def test_facts_still_differ(a, b):
    assert sanitize(a) != sanitize(b)


def test_loopback_address_is_not_a_kernel_release():
    assert sanitize("bind '127.0.0.1'") == "bind '127.0.0.1'"
    assert sanitize("kernel '6.1.0-27-amd64'") == "kernel 'KERNEL_OR_VERSION'"


def test_nbval_reads_every_rule():
    # nbval's parser silently skips a rule whose "replace: " line lacks its space
    text = CFG.read_text()
    assert len(get_sanitize_patterns(text)) == len(re.findall(r"(?m)^regex: ", text))
