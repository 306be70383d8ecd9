"""End to end: a workshop hub on this host, three learners, each with their own engine.

Starts the hub exactly as `make workshop` does (offline learner image, JupyterHub,
DockerSpawner, one card per learner, at most four servers), tries the attacks a room of
strangers could (unknown names, another learner's password, a fifth server, another
learner's server), logs three learners in through the login form, runs the hello lesson
in each through a real kernel, checks that no learner sees another's containers, that
a memory hog is stopped inside its learner's limit while the others carry on, that
reset and idle culling work, and that stopping leaves nothing behind.

Per-learner memory (idle and during the lesson) goes to
test-artifacts/workshop-measurements.json and is printed.
"""
from __future__ import annotations

import glob
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

import coursekit as ck
from coursekit import errors
from coursekit.instructor import boundary, settings
from coursekit.instructor import hub as workshop_hub
from coursekit.instructor.hubclient import HubError, Learner
from coursekit.engine import wait_until
from coursekit.labelling import SESSION_LABEL

ROOT = Path(__file__).resolve().parents[2]
LESSON = "notebooks/01_hello_container.ipynb"
NAMES = ["ada", "bob", "cyd"]
LIMIT = "1g"
DISK = "1g"           # each learner's own file system: engine storage + home
ARTIFACTS = ROOT / "test-artifacts"
measured: dict = {"limit": LIMIT, "learners": {}}


def inventory(client) -> dict[str, set]:
    """What the workshop could have left: every object on the engine except those of a
    course session (``coursekit.session``: lessons and tests running beside this one,
    which the workshop never creates). Unlabelled objects stay in, so an unlabelled
    leftover of the workshop's own is still caught."""
    def ours(labels):
        return SESSION_LABEL not in (labels or {})
    return {"containers": {c["Id"] for c in client.api.containers(all=True) if ours(c.get("Labels"))},
            "volumes": {v["Name"] for v in client.api.volumes().get("Volumes") or [] if ours(v.get("Labels"))},
            "networks": {n["Id"] for n in client.api.networks() if ours(n.get("Labels"))},
            "images": {i["Id"] for i in client.api.images(all=True) if ours(i.get("Labels"))}}


def cgroup_file(container_id: str, v1: str, v2: str) -> Path:
    for pattern in (f"/sys/fs/cgroup/memory/docker/{container_id}/{v1}",
                    f"/sys/fs/cgroup/memory/*/docker-{container_id}.scope/{v1}",
                    f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/{v2}",
                    f"/sys/fs/cgroup/docker/{container_id}/{v2}"):
        found = glob.glob(pattern)
        if found:
            return Path(found[0])
    raise FileNotFoundError(f"no cgroup file {v1}/{v2} for {container_id[:12]}")


def reset_peak(container_id: str) -> None:
    """cgroup v1: reset ``memory.max_usage_in_bytes`` (v2's memory.peak is not resettable
    before kernel 6.12; there the oom_kill count of memory.events is the evidence)."""
    f = cgroup_file(container_id, "memory.max_usage_in_bytes", "memory.events")
    if f.name == "memory.max_usage_in_bytes":
        f.write_text("0")


def reached_limit(container_id: str, limit: int) -> bool:
    """Did the learner's cgroup itself hit its limit?  v1: its peak reached the limit
    (this kernel leaves ``memory.failcnt`` at 0); v2: ``oom_kill`` in ``memory.events``
    (hierarchical, so it counts kills in the learner's inner containers)."""
    f = cgroup_file(container_id, "memory.max_usage_in_bytes", "memory.events")
    text = f.read_text()
    if f.name == "memory.max_usage_in_bytes":
        return int(text) >= limit * 0.98
    return int(dict(line.split() for line in text.splitlines()).get("oom_kill", 0)) > 0


def _du(path: str) -> float:
    out = subprocess.run(["du", "-sk", path], capture_output=True, text=True).stdout
    return round(int(out.split()[0]) / 1024, 1) if out else -1.0


def volume_path(v) -> str:
    """Where a volume's files are on the host: its bind device (a learner's own disk) or
    the engine's volume directory."""
    return (v.attrs.get("Options") or {}).get("device") or v.attrs["Mountpoint"]


def mem_usage(c) -> int:
    return c.stats(stream=False)["memory_stats"].get("usage", 0)


class Sampler(threading.Thread):
    """Samples a container's memory use (stats API, ~1 per second) until stopped."""
    def __init__(self, container):
        super().__init__(daemon=True)
        self.container, self.peak, self.done = container, 0, threading.Event()

    def run(self):
        for s in self.container.stats(stream=True, decode=True):
            self.peak = max(self.peak, s.get("memory_stats", {}).get("usage", 0))
            if self.done.is_set():
                break


@pytest.fixture(scope="module")
def hub():
    client = ck.connect()
    before = inventory(client)
    keep_image = any(t == settings.LEARNER_IMAGE for i in client.images.list() for t in i.tags)
    edge = boundary.boundary(client)
    print(f"\nthis host's boundary: {edge}")
    # A host without a user namespace runs the test as the trusted room it would need to be.
    s = settings.Settings(port=ck.free_port(), mem=LIMIT, cpus=1.0, pids=1024,
                          names=",".join(NAMES + ["dee", "eve"]), max_servers=4,
                          disk=DISK, trusted_room=not edge.isolated, admin_password=secrets.token_hex(16))
    t0 = time.monotonic()
    state = workshop_hub.start(s, client)
    measured["hub_start_s"] = round(time.monotonic() - t0, 1)
    yield {"state": state, "client": client, "before": before, "keep_image": keep_image,
           "url": f"http://127.0.0.1:{s.port}", "learners": {}, "kernels": {},
           "admin_password": s.admin_password}
    keep_hub_log()
    workshop_hub.stop(client, quiet=True, keep_image=keep_image)   # no-op after test_stop


def learner_container(hub, name):
    ws = hub["state"]["settings"]["id"]
    found = hub["client"].containers.list(filters={"label": [f"{settings.WORKSHOP_LABEL}={ws}",
                                                             f"{settings.LEARNER_LABEL}={name}"]})
    assert len(found) == 1, f"expected one running server container for {name}: {found}"
    return found[0]


def test_a_host_without_a_user_namespace_is_refused_unless_the_room_is_trusted():
    """Runs before the hub starts: start() checks the boundary before it builds anything."""
    client = ck.connect()
    edge = boundary.boundary(client)
    if edge.isolated:
        assert str(edge).startswith("isolated")
        return
    assert any("userns-remap" in r or "cgroup v1" in r for r in edge.reasons)
    with pytest.raises(errors.WorkshopError) as err:
        workshop_hub.start(settings.Settings(port=ck.free_port(), names="ada"), client, quiet=True)
    assert "cannot keep strangers apart" in str(err.value)
    assert "WORKSHOP_TRUSTED_ROOM=1" in err.value.fix and "userns-remap" in err.value.fix
    assert workshop_hub.read_state() is None                 # no hub state was written


def test_only_a_card_opens_its_own_account(hub):
    """Attack: log in under a name that is on no card, or as another learner."""
    cards = hub["state"]["cards"]
    attempts = [("mallory", "not-the-password"),          # a name on no card
                ("mallory", cards["ada"]),                # a real password, an unknown name
                ("ada", cards["bob"]),                    # bob's card, ada's name
                ("ada", "")]
    for name, password in attempts:
        with pytest.raises(HubError, match="refused"):
            Learner(hub["url"], name, password).login()
    # the hub's secrets stay on the host, readable by root alone
    assert oct(settings.STATE.stat().st_mode & 0o777) == "0o700"
    state_text = (settings.STATE / "state.json").read_text()
    assert cards["ada"] not in state_text and "scrypt$" in state_text


def test_the_instructor_warms_three_learners_servers_before_they_arrive(hub, capsys):
    """`coursekit workshop start --warm 3`: ada's, bob's and cyd's servers start before
    they log in (two at a time, with progress), each with their own volumes; a count the
    cards or the cap (four) cannot hold is refused first; and the idle culler, even with
    a 1-second timeout, leaves a warm server whose learner has not come."""
    from coursekit.instructor import warm
    with pytest.raises(errors.WorkshopError, match="only 5 cards"):
        warm.warm(6)
    with pytest.raises(errors.WorkshopError, match="at most 4 servers may run at once"):
        warm.warm(5)
    times = warm.warm(3, parallel=2)
    out = capsys.readouterr().out
    assert sorted(times) == NAMES, times
    assert "warming 3/3:" in out and "warm: 3 servers ready" in out, out
    measured["warm_s"] = {n: round(t, 1) for n, t in times.items()}
    ws = hub["state"]["settings"]["id"]
    hub["warm_ids"] = {}
    for name in NAMES:
        box = learner_container(hub, name)
        names = settings.learner_names(ws, name)
        mounts = {m["Destination"]: m.get("Name") for m in box.attrs["Mounts"]}
        assert (mounts.get("/home/jovyan"), mounts.get("/var/lib/docker")) == (
            names["home_volume"], names["engine_volume"]), mounts     # their own home and engine
        hub["warm_ids"][name] = box.id
    assert warm.warm(3) == {}                          # again: nothing left to start
    assert "already running" in capsys.readouterr().out
    state = hub["state"]
    env = dict(os.environ, JUPYTERHUB_API_TOKEN=state["api_token"])
    culler = subprocess.Popen([sys.executable, "-m", "jupyterhub_idle_culler",
                               f"--url={hub['url']}/hub/api", "--timeout=1", "--cull-every=2",
                               f"--config={ROOT / 'workshop' / 'idle_culler_config.py'}",
                               "--IdleCuller.log_level=DEBUG"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = ""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and seen.count("Not culling server") < 6:
            line = culler.stdout.readline()    # two rounds over the three warm servers
            if not line and culler.poll() is not None:
                break
            seen += line
    finally:
        culler.terminate()
        seen += culler.communicate(timeout=10)[0]
    assert "Culling server" not in seen and all(f"Not culling server {n}" in seen for n in NAMES), seen[-2000:]
    for name in NAMES:
        assert learner_container(hub, name).id == hub["warm_ids"][name]


def test_three_learners_log_in_and_run_the_hello_lesson(hub):
    cards = hub["state"]["cards"]

    def one(name):
        L = Learner(hub["url"], name, cards[name])
        L.login()
        spawn_s = L.start_server()
        L.make_token()
        box = learner_container(hub, name)
        if hub.get("warm_ids"):     # warmed before they came: the server they find is that one
            assert box.id == hub["warm_ids"][name] and spawn_s < 10, (name, spawn_s)
        idle = mem_usage(box)
        sampler = Sampler(box)
        sampler.start()
        nb = L.notebook(LESSON)
        k = L.kernel(LESSON)
        t0 = time.monotonic()
        runs = k.run_notebook(nb)
        lesson_s = time.monotonic() - t0
        sampler.done.set()
        sampler.join(5)
        driver = k.execute("print(client.info()['Driver'])").output.strip()
        vols = settings.learner_names(hub["state"]["settings"]["id"], name)
        disk = {key: _du(volume_path(hub["client"].volumes.get(vols[key])))
                for key in ("engine_volume", "home_volume")}
        measured["learners"][name] = {
            "spawn_s": round(spawn_s, 1), "lesson_s": round(lesson_s, 1),
            "idle_mib": round(idle / 2**20), "lesson_peak_mib": round(sampler.peak / 2**20),
            "storage_driver": driver, "engine_disk_mib": disk["engine_volume"],
            "home_disk_mib": disk["home_volume"]}
        return L, k, runs

    with ThreadPoolExecutor(len(NAMES)) as pool:
        results = dict(zip(NAMES, pool.map(one, NAMES)))
    for name, (L, k, runs) in results.items():
        hub["learners"][name], hub["kernels"][name] = L, k
        bad = [r for r in runs if r.status != "ok"]
        assert not bad, f"{name}: cell {bad[0].index} failed: {bad[0].error}\n{bad[0].output}"
        code_cells = sum(c["cell_type"] == "code" for c in L.notebook(LESSON)["cells"])
        assert len(runs) == code_cells
        same = next(r for r in runs if "same kernel:" in r.output)
        assert "same kernel: True" in same.output
    print("\nper-learner cost:", json.dumps(measured, indent=1))


def test_the_learner_image_declares_no_volume(hub):
    """A VOLUME in the learner image gives every learner container an empty anonymous
    volume that outlives it (the wheels' bind mount of the build once left /wheels)."""
    img = hub["client"].images.get(settings.LEARNER_IMAGE)
    assert not img.attrs["Config"].get("Volumes"), img.attrs["Config"].get("Volumes")


def test_each_learner_has_their_own_engine_and_not_the_hosts(hub):
    ks = hub["kernels"]
    if len(ks) < 3:
        pytest.skip("needs the three learners from the previous test")
    host_id = hub["client"].info()["ID"]
    ids = {}
    for name, k in ks.items():
        r = k.execute("import docker, os\n"
                      "eng = docker.from_env()\n"
                      f"m = eng.containers.run(ck.BUSYBOX, 'sleep 300', detach=True, "
                      f"name='marker-{name}', labels=ck.labels())\n"
                      "print('ENGINE', eng.info()['ID'])\n"
                      "print('HOST_SOCKET', os.path.exists('/var/run/docker.sock'))\n"
                      "print('DOCKER_HOST', os.environ['DOCKER_HOST'])")
        assert r.status == "ok", r.error
        lines = dict(line.split(" ", 1) for line in r.output.splitlines() if " " in line)
        ids[name] = lines["ENGINE"]
        assert lines["HOST_SOCKET"] == "False"
        assert lines["DOCKER_HOST"] == "unix://" + settings.ENGINE_SOCKET
    assert len(set(ids.values())) == 3 and host_id not in ids.values()
    for name, k in ks.items():
        r = k.execute("print(sorted(c.name for c in eng.containers.list(all=True)))")
        seen = eval(r.output.strip())
        assert f"marker-{name}" in seen
        others = [f"marker-{o}" for o in ks if o != name]
        assert not set(others) & set(seen), f"{name} sees {set(others) & set(seen)}"
        r = k.execute("!docker ps -a --format '{{{{.Names}}}}'")  # IPython expands {x}
        assert f"marker-{name}" in r.output and not any(o in r.output for o in others)
    host_names = {c.name for c in hub["client"].containers.list(all=True)}
    assert not host_names & {f"marker-{n}" for n in ks}, "markers must live in learner engines"
    for name in ks:   # the server containers never mount the host's socket
        mounts = learner_container(hub, name).attrs["Mounts"]
        assert all("docker.sock" not in m.get("Source", "") for m in mounts), mounts


ROOM = "/services/roomview/"


def exercise_code(kind: str) -> str:
    """The hello-run task in a learner's kernel: ``wrong`` (the first wrong answer, then
    the check) or ``right`` (the reference solution, the check, where it was recorded)."""
    from coursekit import exercises as ex
    task = ex.TASKS_BY_ID["hello-run"]
    body = task.wrong[0][0] if kind == "wrong" else task.solution
    return ("from coursekit import exercises as ex\n"
            "P = ex.show('hello-run')\n"
            f"{body}\n"
            f"print('{kind.upper()}', repr(ex.check('hello-run')).replace(chr(10), ' | '))\n"
            "print('FILE', ex.record._progress_file())\n"
            "print('DONE', ex.progress()['01_hello_container'][0])\n"
            "ex.cleanup('hello-run')")


def run_exercise(hub, kind: str) -> dict[str, dict]:
    outs = {}
    for name, k in hub["kernels"].items():
        r = k.execute(exercise_code(kind))
        assert r.status == "ok", f"{name}: {r.error}\n{r.output}"
        outs[name] = dict(line.split(" ", 1) for line in r.output.splitlines() if " " in line)
    return outs


def admin(hub) -> Learner:
    """The instructor, logged in through the hub's form (no server of their own)."""
    if "admin" not in hub:
        a = Learner(hub["url"], settings.ADMIN_USER, hub["admin_password"])
        a.login()
        hub["admin"] = a
    return hub["admin"]


def room_rows(hub, until, timeout: float = 60) -> dict[str, dict]:
    """The room view's rows (as the instructor: the hub's OAuth, followed), by learner,
    once ``until(rows)`` holds (the view caches its facts for a few seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        r = admin(hub).http.get(hub["url"] + ROOM + "rows.json", timeout=60)
        assert r.status_code == 200 and r.url.endswith("rows.json"), (r.status_code, r.url, r.text[:300])
        rows = {row["name"]: row for row in r.json()["rows"]}
        if until(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(1)


def room_csv(hub) -> dict[str, dict]:
    import csv
    import io
    r = admin(hub).http.get(hub["url"] + ROOM + "room.csv", timeout=60)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv"), r.status_code
    return {row["learner"]: row for row in csv.DictReader(io.StringIO(r.text))}


def test_each_learner_fails_an_exercise_with_its_hint(hub):
    """On the hub, as each learner (uid 1000, the package installed in root's Python): a
    wrong answer gets its hint, and the failed check is noted in the learner's own home."""
    from coursekit import exercises as ex
    if len(hub["kernels"]) < 3:
        pytest.skip("needs the three learners from the previous test")
    phrase = ex.TASKS_BY_ID["hello-run"].wrong[0][1]
    for name, out in run_exercise(hub, "wrong").items():
        assert out["WRONG"].startswith("❌ hello-run: not yet") and phrase in out["WRONG"], out["WRONG"]
        assert "hint:" in out["WRONG"]
        assert out["FILE"] == "/home/jovyan/.coursekit/progress.json", out["FILE"]
        assert out["DONE"] == "0"


def test_the_room_view_shows_each_learners_failed_check_to_the_instructor_only(hub):
    if len(hub["kernels"]) < 3:
        pytest.skip("needs the three learners")
    rows = room_rows(hub, lambda rows: all(rows.get(n, {}).get("tasks", {}).get("hello-run", {})
                                           .get("text") == "❌ 1" for n in NAMES))
    assert set(rows) == set(NAMES + ["dee", "eve"]), sorted(rows)     # learners only, no instructor
    for n in NAMES:
        row = rows[n]
        assert row["tasks"]["hello-run"]["text"] == "❌ 1", (n, row["tasks"]["hello-run"])
        assert row["tasks"]["hello-run"]["hint"], row["tasks"]["hello-run"]
        assert row["stuck_task"] == "hello-run" and row["server"] == "running"
        assert (row["lesson"], row["lesson_how"]) == ("01_hello_container", "open"), row
        assert isinstance(row["containers"], int), row
        assert row["limit_mib"] == settings.mem_bytes(LIMIT) // 2**20 and row["mem_mib"] > 0, row
        assert row["idle_s"] is not None and row["idle_s"] < 600, row
    assert all(c["text"] == "" for c in rows["eve"]["tasks"].values())    # eve never started
    table = room_csv(hub)
    assert {n: table[n]["hello-run"] for n in NAMES} == {n: "failed 1" for n in NAMES}
    # a learner (logged in, or with their token) is refused: by the hub's OAuth, then the view
    ada = hub["learners"]["ada"]
    r = requests.Session()
    bob = Learner(hub["url"], "bob", hub["state"]["cards"]["bob"], http=r)
    bob.login()
    for resp in (r.get(hub["url"] + ROOM, timeout=60),
                 r.get(hub["url"] + ROOM + "room.csv", timeout=60),
                 ada.http.get(hub["url"] + ROOM + "rows.json", timeout=60, allow_redirects=False,
                              headers={"Authorization": f"token {ada.token}"})):
        assert resp.status_code == 403, (resp.status_code, resp.url, resp.text[:200])
        assert "hello-run" not in resp.text


def test_each_learner_completes_an_exercise_recorded_in_their_home(hub):
    """The right answer passes and is recorded in the learner's own home (it raised
    PermissionError from site-packages before); the room view and its CSV show ✅."""
    if len(hub["kernels"]) < 3:
        pytest.skip("needs the three learners from the previous test")
    for name, out in run_exercise(hub, "right").items():
        assert out["RIGHT"] == "✅ hello-run: passed", out["RIGHT"]
        assert out["FILE"] == "/home/jovyan/.coursekit/progress.json", out["FILE"]
        assert out["DONE"] == "1"
    rows = room_rows(hub, lambda rows: all(rows[n]["tasks"]["hello-run"]["text"] == "✅" for n in NAMES))
    for n in NAMES:
        cell = rows[n]["tasks"]["hello-run"]
        assert (cell["text"], cell["failed"]) == ("✅", 1), (n, cell)
        assert rows[n]["passed"] == 1 and rows[n]["stuck_failed"] == 0
    table = room_csv(hub)
    assert {n: table[n]["hello-run"] for n in NAMES} == {n: "passed" for n in NAMES}


def test_a_memory_hog_is_stopped_inside_its_learners_limit(hub):
    ks = hub["kernels"]
    if len(ks) < 3:
        pytest.skip("needs the three learners")
    a, others = NAMES[0], NAMES[1:]
    box = learner_container(hub, a)
    limit = settings.mem_bytes(LIMIT)
    hc = box.attrs["HostConfig"]
    assert hc["Memory"] == hc["MemorySwap"] == limit        # the learner's limits, all three
    assert hc["CpuQuota"] == 100_000 and hc["CpuPeriod"] == 100_000    # 1 CPU
    assert hc["PidsLimit"] == 1024 and not hc["Privileged"]
    reset_peak(box.id)
    assert not reached_limit(box.id, limit) or not Path('/sys/fs/cgroup/memory').is_dir()
    sampler = Sampler(box)
    sampler.start()
    # 3 GiB into `tail`'s buffer, in ada's engine, with no limit of its own: only ada's is there
    hog = ks[a].execute(
        "h = eng.containers.run(ck.BUSYBOX, ['sh', '-c', 'head -c 3221225472 /dev/zero | tail'],"
        " detach=True, name='hog', labels=ck.labels())\n"
        "print('EXIT', h.wait(timeout=120)['StatusCode'])\n"
        "h.reload(); print('OOMKILLED', h.attrs['State']['OOMKilled'])", timeout=150)
    results = {}

    def carry_on(name):
        r = ks[name].execute("print(eng.containers.run(ck.BUSYBOX, 'echo still here', "
                             "remove=True).decode().strip())")
        results[name] = r

    threads = [threading.Thread(target=carry_on, args=(n,)) for n in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    sampler.done.set()
    sampler.join(5)
    assert hog.status == "ok", hog.error
    assert "EXIT 137" in hog.output, hog.output            # killed (SIGKILL by the OOM killer)
    assert "OOMKILLED True" in hog.output                   # ... by the OOM killer
    assert reached_limit(box.id, limit)                     # ... at ada's limit
    assert sampler.peak <= limit                            # never above ada's limit
    box.reload()
    assert box.status == "running"                          # ada's server survived
    r = ks[a].execute("print(len(eng.containers.list()))")
    assert r.status == "ok"                                 # and her kernel still answers
    for name in others:
        assert results[name].status == "ok" and "still here" in results[name].output
    measured["hog"] = {"learner": a, "peak_mib": round(sampler.peak / 2**20),
                       "limit_mib": limit // 2**20}


def test_a_port_a_learner_publishes_is_theirs_alone(hub):
    """Attack: bob reaches the web server ada published in her engine (-p 8080:80)."""
    ks = hub["kernels"]
    if len(ks) < 3:
        pytest.skip("needs the three learners")
    r = ks["ada"].execute("web = eng.containers.run(ck.BUSYBOX, 'httpd -f -p 80', detach=True, "
                          "ports={'80/tcp': 8080}, name='web', labels=ck.labels())")
    assert r.status == "ok", r.error
    probe = ("import urllib.request, urllib.error\n"
             "def probe(url):\n"
             "    for _ in range(20):\n"
             "        try:\n"
             "            return f'reached {urllib.request.urlopen(url, timeout=2).status}'\n"
             "        except urllib.error.HTTPError as e:\n"
             "            return f'reached {e.code}'\n"
             "        except OSError as e:\n"
             "            last = f'unreachable {type(e).__name__}'\n"
             "    return last\n")
    ws = hub["state"]["settings"]["id"]
    ada_box = learner_container(hub, "ada")
    ada_ip = ada_box.attrs["NetworkSettings"]["Networks"][f"ck-{ws}-net-ada"]["IPAddress"]
    own = ks["ada"].execute(probe + f"print(probe('http://{ada_ip}:8080/'))")
    assert "reached 404" in own.output, own.output          # busybox httpd: no index, 404
    other = ks["bob"].execute(probe.replace("range(20)", "range(2)")
                              + f"print(probe('http://{ada_ip}:8080/'))")
    assert "unreachable" in other.output, other.output
    # and the two servers are on networks of their own
    bob_nets = set(learner_container(hub, "bob").attrs["NetworkSettings"]["Networks"])
    assert bob_nets == {f"ck-{ws}-net-bob"} and set(ada_box.attrs["NetworkSettings"]["Networks"]) == {f"ck-{ws}-net-ada"}
    ks["ada"].execute("web.remove(force=True)")


def test_filling_the_disk_stops_at_the_learners_quota(hub):
    """Attack: write 3 GiB into the home folder, and into a container's layer."""
    ks = hub["kernels"]
    if len(ks) < 3:
        pytest.skip("needs the three learners")
    quota = settings.disk_bytes(DISK)
    host_free = shutil.disk_usage(settings.STATE).free
    r = ks["bob"].execute("!dd if=/dev/zero of=/home/jovyan/fill bs=1M count=3072 2>&1 | grep -o 'No space.*'; "
                          "du -m /home/jovyan/fill; rm -f /home/jovyan/fill", timeout=120)
    assert "No space left on device" in r.output, r.output
    written_mib = int(r.output.strip().splitlines()[-1].split()[0])
    assert written_mib * 2**20 <= quota, r.output
    r = ks["bob"].execute("print(eng.containers.run(ck.BUSYBOX, ['sh', '-c', 'dd if=/dev/zero "
                          "of=/fill bs=1M count=3072 2>&1 | grep -o \\'No space.*\\''], remove=True).decode())",
                          timeout=120)
    assert "No space left on device" in r.output, r.output
    assert shutil.disk_usage(settings.STATE).free > host_free - quota   # the host lost at most the quota
    r = ks["bob"].execute("print(eng.containers.run(ck.BUSYBOX, 'echo still works', remove=True).decode())")
    assert "still works" in r.output, r.output
    measured["disk_quota"] = {"quota_mib": quota // 2**20, "home_fill_stopped_at_mib": written_mib}
    # bob's disk's loop device does direct I/O: his writes reach this machine's disk as his
    # (his cgroup's), not as the writeback of his disk's file (book/instructor.md)
    img = str((settings.STATE / "disks" / "bob.ext4").resolve())
    dio = [Path(d, "loop", "dio").read_text().strip() for d in Path("/sys/block").glob("loop*")
           if Path(d, "loop", "backing_file").exists()
           and Path(d, "loop", "backing_file").read_text().strip() == img]
    assert dio == ["1"], (img, dio)


def launch_path(page: str) -> str:
    """The path of the book page's JupyterHub launch link: read from the built site
    (`make book`), else made as the book's extension makes it."""
    import re
    import sys
    built = ck_root() / "_build" / "html" / f"{page}.html"
    if built.exists():
        m = re.search(r'href="https?://[^/"]+(/hub/user-redirect/[^"]+)"', built.read_text())
        assert m, f"{built}: no JupyterHub launch link"
        return m.group(1)
    sys.path.insert(0, str(ck_root() / "book" / "_ext"))
    from offline_book import hub_urlpath
    return f"/hub/user-redirect/{hub_urlpath(page)}"


def ck_root() -> Path:
    return Path(__file__).resolve().parents[2]


def test_a_learner_logs_in_with_a_real_browser_and_gets_jupyterlab(hub):
    """Chromium through the hub's login form to the learner's JupyterLab (proxy and
    websockets included): the start page opens and its kernel answers."""
    from playwright.sync_api import expect, sync_playwright
    chromium = os.environ.get("COURSEKIT_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        pytest.fail(f"no Chromium at {chromium}: `make test-workshop` installs Debian's chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{hub['url']}/hub/login")
            page.fill("#username_input", "dee")
            page.fill("#password_input", hub["state"]["cards"]["dee"])
            page.click("#login_submit")
            # the spawn-pending page, then JupyterLab on the start page
            page.wait_for_url("**/user/dee/lab/**", timeout=180_000)
            expect(page.locator(".jp-NotebookPanel").first).to_be_visible(timeout=60_000)
            expect(page.get_by_role("heading", name="Start here").first).to_be_visible(timeout=30_000)
            expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first
                   ).to_be_attached(timeout=60_000)
            # the course's JupyterLab settings are in the image: no news prompt offline
            expect(page.get_by_text("official Jupyter news")).to_have_count(0)
            # The book's launch button (from the built site when there is one) opens the
            # lesson's notebook in this learner's JupyterLab, not a 404.
            page.goto(hub["url"] + launch_path("notebooks/01_hello_container"))
            page.wait_for_url("**/user/dee/lab/tree/notebooks/01_hello_container.ipynb", timeout=60_000)
            expect(page.get_by_role("heading", name="Hello, container").first).to_be_visible(timeout=30_000)
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "workshop-browser.png"), full_page=True)
            raise
        finally:
            browser.close()
    assert learner_container(hub, "dee").status == "running"


def test_the_hub_caps_servers_and_a_learner_cannot_enter_anothers(hub):
    """Attacks: a fifth server beyond the cap of four; ada's token on bob's server."""
    if len(hub["kernels"]) < 3:
        pytest.skip("needs the three learners and dee's server")
    eve = Learner(hub["url"], "eve", hub["state"]["cards"]["eve"])
    eve.login()                                          # her card is valid ...
    with pytest.raises(HubError, match="429"):
        eve.start_server(timeout=30)                     # ... but four servers already run
    ada = hub["learners"]["ada"]
    r = ada.http.get(f"{hub['url']}/user/bob/api/kernels", allow_redirects=False, timeout=30,
                     headers={"Authorization": f"token {ada.token}"})
    assert r.status_code == 403, (r.status_code, r.text[:200])
    # and from inside ada's server: the hub's state directory is not there
    r = hub["kernels"]["ada"].execute(f"import os; print('STATE', os.path.exists({str(settings.STATE)!r}))")
    assert "STATE False" in r.output, r.output


def test_reset_removes_one_learners_work_and_no_one_elses(hub):
    if len(hub["kernels"]) < 3:
        pytest.skip("needs the three learners")
    c, b = NAMES[2], NAMES[1]
    hub["kernels"][c].ws.close()
    removed = workshop_hub.reset_learner(c, hub["client"], quiet=True)
    ws = hub["state"]["settings"]["id"]
    assert sorted(removed) == sorted([f"ck-{ws}-engine-{c}", f"ck-{ws}-home-{c}"])
    with pytest.raises(AssertionError):
        learner_container(hub, c)
    r = hub["kernels"][b].execute("print([x.name for x in eng.containers.list()])")
    assert "marker-bob" in r.output                         # bob's work untouched
    with pytest.raises(errors.WorkshopError, match="no learner"):
        workshop_hub.reset_learner("nobody-here", hub["client"], quiet=True)


def test_the_instructor_follows_the_room_in_a_browser_and_resets_a_learner(hub):
    """Chromium as the instructor: ada's row shows hello-run ✅, cyd's (reset above) shows
    nothing tried; ada's page shows her last check's hint; the reset button on dee's
    page removes dee's server and volumes, and no one else's."""
    from playwright.sync_api import expect, sync_playwright

    from coursekit import exercises as ex
    if len(hub["kernels"]) < 3:
        pytest.skip("needs the three learners")
    out = hub["kernels"]["ada"].execute(exercise_code("wrong"))     # her last check: ❌ with a hint
    assert "WRONG ❌" in out.output, out.output + out.error
    phrase = ex.TASKS_BY_ID["hello-run"].wrong[0][1]
    ws = hub["state"]["settings"]["id"]
    chromium = os.environ.get("COURSEKIT_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            page.goto(f"{hub['url']}/hub/login?next={ROOM}")
            page.fill("#username_input", settings.ADMIN_USER)
            page.fill("#password_input", hub["admin_password"])
            page.click("#login_submit")
            page.wait_for_url(f"**{ROOM}", timeout=60_000)
            cell = "tr[data-learner='{}'] td[data-task='hello-run']"
            expect(page.locator(cell.format("ada"))).to_have_text("✅", timeout=30_000)
            expect(page.locator(cell.format("bob"))).to_have_text("✅")
            expect(page.locator(cell.format("cyd"))).to_have_text(re.compile(r"^\s*$"))  # the full reset took it
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "workshop-roomview.png"), full_page=True)
            page.click("tr[data-learner='ada'] a")
            page.wait_for_url(f"**{ROOM}learner/ada", timeout=30_000)
            task = page.locator("div.task[data-task='hello-run']")
            expect(task).to_contain_text(phrase)
            expect(task.locator(".hint")).to_contain_text("Hint:")
            expect(task).to_contain_text("2 failed checks")
            page.goto(f"{hub['url']}{ROOM}learner/dee")
            page.once("dialog", lambda d: d.accept())
            page.get_by_role("button", name="Reset everything").click()
            page.wait_for_url(re.compile(re.escape(ROOM) + r"\?message="), timeout=90_000)
            expect(page.locator("#message")).to_contain_text("reset dee (all)")
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "workshop-roomview.png"), full_page=True)
            raise
        finally:
            browser.close()
    flt = {"label": [f"{settings.WORKSHOP_LABEL}={ws}", f"{settings.LEARNER_LABEL}=dee"]}
    assert not hub["client"].containers.list(all=True, filters=flt)
    assert not hub["client"].volumes.list(filters=flt)
    for n in ("ada", "bob"):
        assert learner_container(hub, n).status == "running"


def test_progress_survives_a_restart_and_a_reset_that_keeps_the_home_not_a_full_reset(hub):
    """ada's server stops and starts again; bob is reset keeping his home (his engine is
    emptied); cyd was fully reset above: each new server reads its own progress file,
    written as the learner (uid 1000)."""
    if len(hub["kernels"]) < 3:
        pytest.skip("needs the three learners")
    ws = hub["state"]["settings"]["id"]
    for k in hub["kernels"].values():
        k.ws.close()
    removed = workshop_hub.reset_learner("bob", hub["client"], quiet=True, keep_home=True)
    assert removed == [f"ck-{ws}-engine-bob"], removed
    ada = hub["learners"]["ada"]
    r = ada.api("DELETE", "/users/ada/server")
    assert r.status_code in (202, 204), r.text
    assert wait_until(lambda: not hub["client"].containers.list(
        all=True, filters={"label": [f"{settings.WORKSHOP_LABEL}={ws}", f"{settings.LEARNER_LABEL}=ada"]}), 60, 0.5)
    code = ("import json, os, docker\n"
            "from coursekit import exercises as ex\n"
            "f = ex.record._progress_file()\n"
            "d = json.loads(f.read_text()) if f.exists() else {}\n"
            "print('DONE', ex.progress()['01_hello_container'][0])\n"
            "print('FAILED', d.get('_checks', {}).get('hello-run', {}).get('failed', 0))\n"
            "print('OWNER', os.stat(f).st_uid if f.exists() else 'none')\n"
            "print('MARKER', any(c.name.startswith('marker-') for c in docker.from_env().containers.list(all=True)))")

    def again(name):
        L = hub["learners"][name]
        L.start_server()
        k = L.kernel(LESSON)
        r = k.execute(code)
        assert r.status == "ok", f"{name}: {r.error}\n{r.output}"
        return name, k, dict(line.split(" ", 1) for line in r.output.splitlines() if " " in line)

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(again, NAMES))
    seen = {}
    for name, k, out in results:
        hub["kernels"][name] = k
        seen[name] = (out["DONE"], out["FAILED"], out["OWNER"])
        hub.setdefault("markers", {})[name] = out["MARKER"]
    assert seen == {"ada": ("1", "2", "1000"),       # restarted: progress kept
                    "bob": ("1", "1", "1000"),       # engine reset, home kept
                    "cyd": ("0", "0", "none")}, seen   # full reset: nothing left
    assert hub["markers"]["bob"] == hub["markers"]["cyd"] == "False", hub["markers"]   # engines emptied
    rows = room_rows(hub, lambda rows: rows["cyd"]["server"] == "running")
    assert (rows["bob"]["tasks"]["hello-run"]["text"], rows["cyd"]["tasks"]["hello-run"]["text"]) == ("✅", "")
    for k in hub["kernels"].values():
        k.ws.close()


def test_idle_servers_are_culled(hub):
    """The hub runs jupyterhub-idle-culler (timeout from WORKSHOP_IDLE_TIMEOUT); here the
    same culler, with the hub's configuration, runs once more with a 1-second timeout and
    must stop the idle servers: ada's and bob's, warmed, then logged in to."""
    state, client = hub["state"], hub["client"]
    services = workshop_hub.api(state, "GET", "/services")
    assert "idle-culler" in services, services
    running = [n for n in NAMES[:2]]
    for n in running:
        hub["kernels"][n].ws.close()
    env = dict(os.environ, JUPYTERHUB_API_TOKEN=state["api_token"])
    culler = subprocess.Popen([sys.executable, "-m", "jupyterhub_idle_culler",
                               f"--url={hub['url']}/hub/api", "--timeout=1", "--cull-every=5",
                               f"--config={ROOT / 'workshop' / 'idle_culler_config.py'}"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        ws = state["settings"]["id"]
        flt = {"label": [f"{settings.WORKSHOP_LABEL}={ws}", settings.LEARNER_LABEL]}
        deadline = time.monotonic() + 60
        while client.containers.list(filters=flt) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not client.containers.list(filters=flt), "idle servers were not culled"
    finally:
        culler.terminate()
        out = culler.communicate(timeout=10)[0].decode(errors="replace")
    assert "Culling server" in out, out[-2000:]


def keep_hub_log() -> None:
    """The hub's log (the room view service's too) to test-artifacts/, before stop removes it."""
    log = settings.STATE / "hub.log"
    if log.exists():
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(log, ARTIFACTS / "workshop-hub.log")


def test_stop_leaves_nothing_behind(hub):
    client = hub["client"]
    keep_hub_log()
    removed = workshop_hub.stop(client, quiet=True, keep_image=hub["keep_image"])
    after = inventory(client)
    for kind, ids in after.items():
        assert ids <= hub["before"][kind], f"left behind ({kind}): {ids - hub['before'][kind]}"
    assert not settings.STATE.exists()
    assert removed["containers"] or removed["volumes"]
    measured["removed"] = {k: len(v) for k, v in removed.items()}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "workshop-measurements.json").write_text(json.dumps(measured, indent=1))
    print("\nworkshop measurements:", json.dumps(measured, indent=1))
