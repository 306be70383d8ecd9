"""Pure logic of the workshop and instructor commands (no engine)."""
import copy
import os
import re
from pathlib import Path

import jsonschema
import nbformat
import pytest
import yaml

from coursekit import errors
from coursekit.instructor import boundary, cards, learners, settings, slides
from coursekit.instructor.wheels import learner_requirements, pins

ROOT = Path(__file__).resolve().parents[2]
# the chart's defaults and schema, copied with their licence (workshop/z2jh-chart/README.md)
Z2JH = Path(os.environ.get("COURSEKIT_Z2JH", ROOT / "workshop" / "z2jh-chart"))


def test_mem_bytes_units_and_clear_errors():
    assert settings.mem_bytes("1g") == 2**30
    assert settings.mem_bytes("768m") == 768 * 2**20
    assert settings.mem_bytes("1536M") == 1536 * 2**20
    with pytest.raises(errors.WorkshopError, match="not a size"):
        settings.mem_bytes("lots")
    with pytest.raises(errors.WorkshopError, match="below 256 MiB") as err:
        settings.mem_bytes("100m")
    assert "1g" in err.value.fix


def test_settings_from_env_and_a_bad_value():
    s = settings.Settings.from_env({"WORKSHOP_PORT": "9000", "WORKSHOP_MEM": "2g",
                                    "WORKSHOP_CPUS": "0.5"})
    assert (s.port, s.mem, s.cpus) == (9000, "2g", 0.5)
    assert s.id.startswith("ws") and s.id != settings.Settings().id
    with pytest.raises(errors.WorkshopError, match="WORKSHOP_PORT='eighty'"):
        settings.Settings.from_env({"WORKSHOP_PORT": "eighty"})


def test_learner_host_config_has_no_privileged_and_caps_swap():
    cfg = learners.learner_host_config(settings.Settings(mem="1g", pids=500))
    assert "privileged" not in cfg and "SYS_ADMIN" in cfg["cap_add"]
    assert cfg["memswap_limit"] == 2**30 and cfg["pids_limit"] == 500
    assert cfg["cgroupns"] == "private"


def test_learner_names_are_per_workshop_and_user():
    n = settings.learner_names("ws1", "ada")
    assert n == {"container": "ck-ws1-learner-ada", "engine_volume": "ck-ws1-engine-ada",
                 "home_volume": "ck-ws1-home-ada", "network": "ck-ws1-net-ada"}


def test_learner_requirements_come_from_the_pins():
    reqs = learner_requirements(pins())
    assert all("==" in r for r in reqs) and any(r.startswith("jupyterhub==") for r in reqs)
    with pytest.raises(ValueError, match="jupyterhub"):
        learner_requirements([p for p in pins() if not p.startswith("jupyterhub==")])


def test_slide_types_follow_headings():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("## Part"), nbformat.v4.new_markdown_cell("### Detail"),
        nbformat.v4.new_markdown_cell("text")])
    slides.slide_types(nb)
    assert [c.metadata["slideshow"]["slide_type"] for c in nb.cells] == [
        "slide", "-", "slide", "subslide", "-"]


def test_lessons_need_neither_mathjax_nor_mermaid():
    """The slide template drops both CDN scripts; that is only right while no lesson uses them."""
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            assert "```mermaid" not in cell.source, path
            if cell.cell_type == "markdown":   # (shell's `$$VAR` in code spans is not maths)
                prose = re.sub(r"`[^`]*`", "", cell.source)
                assert "$$" not in prose and "\\(" not in prose, path
            for out in cell.get("outputs", []):
                assert "text/vnd.mermaid" not in out.get("data", {}), path


def _merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


@pytest.fixture(scope="module")
def z2jh():
    assert (Z2JH / "values.schema.yaml").exists(), f"no Zero to JupyterHub chart data at {Z2JH}"
    return (yaml.safe_load((Z2JH / "values.yaml").read_text()),
            yaml.safe_load((Z2JH / "values.schema.yaml").read_text()))


def test_z2jh_values_validate_against_the_charts_schema(z2jh):
    defaults, schema = z2jh
    ours = yaml.safe_load((ROOT / "workshop" / "z2jh-values.yaml").read_text())
    jsonschema.validate(_merge(defaults, ours), schema)
    # and the validation is real: a misspelt key is refused
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_merge(defaults, {"singleuser": {"extraContainer": []}}), schema)


def test_z2jh_values_give_each_learner_an_engine_sidecar(z2jh):
    su = yaml.safe_load((ROOT / "workshop" / "z2jh-values.yaml").read_text())["singleuser"]
    engine = next(c for c in su["extraContainers"] if c["name"] == "engine")
    sock = next(a for a in engine["args"] if a.startswith("--host=")).split("=", 1)[1]
    assert su["extraEnv"]["DOCKER_HOST"] == sock == "unix://" + settings.ENGINE_SOCKET
    assert su["extraEnv"]["CK_ENGINE"] == "sidecar"
    shared = {m["name"] for m in engine["volumeMounts"]} & {
        m["name"] for m in su["storage"]["extraVolumeMounts"]}
    assert shared == {"engine-socket"}            # only the socket is shared, not storage
    assert engine["resources"]["limits"]["memory"]   # a hog stops at the learner's limit
    assert "/var/run/docker.sock" not in yaml.safe_dump(su)   # never the node's socket
    assert str(su["fsGid"]) in " ".join(engine["args"])       # socket group = learner's group



# Pod-level settings that the chart's schema passes through unchecked, checked as the
# Kubernetes API server would (compute resource names and quantities, volume names).
K8S_RESOURCES = {"cpu", "memory", "ephemeral-storage"}
QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")


def bad_resources(values) -> list[str]:
    """Where ``values`` name a compute resource Kubernetes does not have (``pids``, say:
    the PID limit is the kubelet's podPidsLimit, per node) or a quantity it cannot parse."""
    su = values.get("singleuser", {})
    found = []
    for kind in ("limits", "guarantees"):
        for k, v in (su.get("extraResource", {}).get(kind) or {}).items():
            found.append((f"singleuser.extraResource.{kind}.{k}", k, v))
    for key in ("cpu", "memory"):
        for k, v in (su.get(key) or {}).items():
            if v is not None:
                found.append((f"singleuser.{key}.{k}", key, v))
    for part in ("extraContainers", "initContainers"):
        for c in su.get(part) or []:
            for kind in ("limits", "requests"):
                for k, v in ((c.get("resources") or {}).get(kind) or {}).items():
                    found.append((f"singleuser.{part}[{c['name']}].resources.{kind}.{k}", k, v))
    return [where for where, name, value in found
            if not (name in K8S_RESOURCES or name.startswith("hugepages-") or "/" in name)
            or not QUANTITY.match(str(value))]


def test_z2jh_values_use_only_kubernetes_resources(z2jh):
    defaults, _ = z2jh
    ours = yaml.safe_load((ROOT / "workshop" / "z2jh-values.yaml").read_text())
    assert bad_resources(_merge(defaults, ours)) == []
    # the check is real: the PID "resource" this file once set is refused, as the API server does
    assert bad_resources({"singleuser": {"extraResource": {"limits": {"pids": "1024"}}}}) == [
        "singleuser.extraResource.limits.pids"]
    assert bad_resources({"singleuser": {"memory": {"limit": "lots"}}}) == ["singleuser.memory.limit"]


def test_z2jh_volume_mounts_name_declared_volumes():
    su = yaml.safe_load((ROOT / "workshop" / "z2jh-values.yaml").read_text())["singleuser"]
    volumes = {v["name"] for v in su["storage"]["extraVolumes"]}
    mounts = [m["name"] for m in su["storage"]["extraVolumeMounts"]]
    for c in su["extraContainers"]:
        mounts += [m["name"] for m in c.get("volumeMounts", [])]
    assert set(mounts) <= volumes, set(mounts) - volumes


def test_z2jh_dind_sidecar_is_current_and_as_described():
    text = (ROOT / "workshop" / "z2jh-values.yaml").read_text()
    su = yaml.safe_load(text)["singleuser"]
    engine = next(c for c in su["extraContainers"] if c["name"] == "engine")
    tags = set(re.findall(r"docker:[\w.-]+-dind", text))
    assert tags == {engine["image"]}, f"the file names several dind images: {tags}"
    major = int(re.fullmatch(r"docker:(\d+)(\.\d+)*-dind", engine["image"]).group(1))
    assert major >= 29, "Docker 27 and 28 no longer get fixes; this container is privileged"
    # what the file says: a privileged container (dind needs it), nothing more
    assert engine["securityContext"] == {"privileged": True}
    # Docker 29 refuses clients below API 1.44 by default; the learner image's docker CLI
    # (the build machine's: Debian 12's 20.10) speaks 1.41
    env = {e["name"]: e["value"] for e in engine.get("env", [])}
    assert tuple(map(int, env["DOCKER_MIN_API_VERSION"].split("."))) <= (1, 41)


def test_z2jh_hub_and_learners_run_the_pinned_jupyterhub():
    pin = next(p for p in pins() if p.lower().startswith("jupyterhub=="))
    version = pin.split("==")[1]
    assert pin in learner_requirements(pins())          # the learner image installs it
    text = (ROOT / "workshop" / "z2jh-values.yaml").read_text()
    hub_image = yaml.safe_load(text)["hub"]["image"]
    assert hub_image["name"] != "quay.io/jupyterhub/k8s-hub", "the chart's hub has its own JupyterHub"
    assert hub_image["tag"] == f"jupyterhub-{version}"
    named = set(re.findall(r"jupyterhub==([\w.]+)", text))
    assert named == {version}, f"the file builds the hub with jupyterhub {named}, pyproject pins {version}"

# --- who gets in: cards --------------------------------------------------------------------
def test_card_passwords_are_readable_and_distinct():
    seen = {cards.card_password() for _ in range(200)}
    assert len(seen) == 200
    for p in seen:
        assert re.fullmatch(r"[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}", p), p
        assert not set(p) & set("01ilo")


def test_password_hashes_match_only_their_password():
    stored = cards.hash_password("k7mp-x3qa-9fzt")
    assert stored.startswith("scrypt$") and "k7mp" not in stored
    assert cards.password_matches("k7mp-x3qa-9fzt", stored)
    assert cards.hash_password("k7mp-x3qa-9fzt") != stored          # salted
    for wrong in ("k7mp-x3qa-9fzT", "", "k7mp-x3qa-9fz"):
        assert not cards.password_matches(wrong, stored)
    assert not cards.password_matches("x", "plain-text-password")    # not a hash: refused


def test_learner_names_from_a_count_or_a_list_and_bad_names_refused():
    assert settings.Settings(learners=3).card_names() == ["learner01", "learner02", "learner03"]
    assert settings.Settings(names=" Ada, bob ,cyd").card_names() == ["ada", "bob", "cyd"]
    for bad in ("ada,ada", "ada,instructor", "9lives", "a b", ","):
        with pytest.raises(errors.WorkshopError, match="not usable") as err:
            settings.Settings(names=bad).card_names()
        assert "WORKSHOP_NAMES" in err.value.fix


def test_trusted_room_is_an_explicit_flag():
    assert settings.Settings.from_env({}).trusted_room is False
    assert settings.Settings.from_env({"WORKSHOP_TRUSTED_ROOM": "1"}).trusted_room is True
    assert settings.Settings.from_env({"WORKSHOP_TRUSTED_ROOM": "no"}).trusted_room is False
    with pytest.raises(errors.WorkshopError, match="WORKSHOP_TRUSTED_ROOM='maybe'"):
        settings.Settings.from_env({"WORKSHOP_TRUSTED_ROOM": "maybe"})


class _Info:
    """A stand-in for a docker client: boundary() reads only info()."""
    def __init__(self, **info):
        self._info = info

    def info(self):
        return self._info


@pytest.mark.parametrize("opts, cgroup, isolated, why", [
    (["name=seccomp,profile=builtin", "name=userns", "name=cgroupns"], "2", True, None),
    (["name=seccomp,profile=builtin", "name=cgroupns"], "2", False, "userns-remap"),
    (["name=seccomp,profile=builtin", "name=userns"], "1", False, "cgroup v1"),
    (["name=seccomp,profile=builtin", "name=rootless", "name=userns"], "2", False, "rootless"),
])
def test_boundary_reads_the_engines_user_namespace_and_cgroup_version(opts, cgroup, isolated, why):
    edge = boundary.boundary(_Info(SecurityOptions=opts, CgroupVersion=cgroup))
    assert edge.isolated is isolated
    assert str(edge).startswith("isolated" if isolated else "trusted room only")
    if why:
        assert any(why in r for r in edge.reasons)


def test_the_hub_login_accepts_a_card_and_nothing_else(tmp_path, monkeypatch):
    import asyncio
    from coursekit.instructor import warm
    from coursekit.instructor.hubauth import CardAuthenticator
    monkeypatch.setattr(warm, "arrivals_dir", lambda: tmp_path)
    auth = CardAuthenticator(accounts={"ada": cards.hash_password("aaaa-bbbb-cccc"),
                                       "bob": cards.hash_password("dddd-eeee-ffff")})
    login = lambda u, p: asyncio.run(auth.authenticate(None, {"username": u, "password": p}))
    assert login("ada", "aaaa-bbbb-cccc") == "ada"
    assert login("ADA", "aaaa-bbbb-cccc") == "ada"            # names are normalised, not new
    assert login("ada", "dddd-eeee-ffff") is None              # bob's password
    assert login("mallory", "aaaa-bbbb-cccc") is None          # no card
    assert login("ada", "") is None
    assert [p.name for p in tmp_path.iterdir()] == ["ada"]      # her arrival, for a warm server


def test_the_cards_sheet_escapes_and_holds_one_card_each():
    sheet = cards.cards_sheet("ws1", "http://10.0.0.5:8000", {"ada": "a<b", "bob": "pw2"})
    assert sheet.count('class="card"') == 2 and "a&lt;b" in sheet and "http://10.0.0.5:8000" in sheet


# --- each learner's own network and disk ----------------------------------------------------
def test_disk_sizes_and_clear_errors():
    assert settings.disk_bytes("4g") == 4 * 2**30
    assert settings.disk_bytes("0") == 0                  # no per-learner file system
    with pytest.raises(errors.WorkshopError, match="below 512 MiB"):
        settings.disk_bytes("100m")
    with pytest.raises(errors.WorkshopError, match="not a size") as err:
        settings.disk_bytes("big")
    assert "WORKSHOP_DISK" in err.value.fix


def test_free_subnet_skips_what_is_taken():
    assert learners.free_subnet("172.30.0.0/16", []) == "172.30.0.0/26"
    assert learners.free_subnet("172.30.0.0/16", ["172.30.0.0/26", "172.30.0.64/27"]) == "172.30.0.128/26"
    assert learners.free_subnet("172.30.0.0/16", ["172.16.0.0/12"]) is None    # all overlap
    assert learners.free_subnet("10.9.0.0/25", ["10.9.0.0/26", "fd00::/64"]) == "10.9.0.64/26"


def test_host_routes_are_cidrs_without_the_default_route():
    import ipaddress
    routes = learners._host_routes()
    assert routes and all(ipaddress.ip_network(r).prefixlen > 0 for r in routes)


def test_the_instructor_package_imports_one_way():
    """coursekit/instructor/: each module imports only modules listed before it in the
    package's docstring (so no cycles), and the learner-facing modules none of it."""
    import ast

    import coursekit.instructor as pkg
    order = re.findall(r"^- ``(\w+)``", pkg.__doc__, re.M)
    here = Path(pkg.__file__).parent
    assert sorted(order) == sorted(p.stem for p in here.glob("*.py") if p.stem != "__init__")
    for i, name in enumerate(order):
        tree = ast.parse((here / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                assert node.module in order[:i], f"{name} imports .{node.module}, not listed before it"
    for p in here.parent.glob("*.py"):
        if p.name == "cli.py":                  # the instructor's commands start there
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
                assert not any(n.split(".")[0] == "instructor" for n in names), \
                    f"{p.name} (learner-facing) imports the instructor package"


def test_the_learner_image_files_are_read_from_workshop():
    """The image's Dockerfile and the files it holds verbatim are real files
    (workshop/learner-image/), each one the image build copies."""
    from coursekit.instructor import image
    d = ROOT / "workshop" / "learner-image"
    assert image.LEARNER_IMAGE_DIR == d
    assert sorted(p.name for p in d.iterdir()) == sorted(["Dockerfile", *(n for n, _, _ in image.IMAGE_FILES)])
    assert (d / "Dockerfile").read_text().startswith("FROM scratch\nCOPY rootfs/ /\n")
    assert (d / "entrypoint.sh").read_text().startswith("#!/bin/sh\n")
    assert os.access(d / "entrypoint.sh", os.X_OK)
    assert ("entrypoint.sh", "usr/local/bin/ck-learner-start", 0o755) in image.IMAGE_FILES
    assert 'ENTRYPOINT ["/usr/local/bin/ck-learner-start"]' in image.IMAGE_CHANGES
    assert "docker:x:998:jovyan" in (d / "group").read_text()         # the socket's group (entrypoint)


# --- a warm room (coursekit workshop start --warm N) ------------------------------------
def test_warm_plan_takes_the_first_cards_not_yet_running():
    from coursekit.instructor.warm import warm_plan
    cards = ["ada", "bob", "cyd", "dee"]
    assert warm_plan(cards, set(), 2, cap=4) == ["ada", "bob"]
    assert warm_plan(cards, {"bob"}, 3, cap=4) == ["ada", "cyd"]       # bob's already runs
    assert warm_plan(cards, {"ada", "bob"}, 2, cap=2) == []            # nothing left to do
    assert warm_plan(cards, set(), 0, cap=4) == []


@pytest.mark.parametrize("n, running, cap, says, fix", [
    (5, set(), 4, "only 4 cards", "warm at most 4"),
    (-1, set(), 4, "cannot be negative", "--warm 30"),
    (3, set(), 2, "at most 2 servers may run at once", "warm at most 2"),
    (2, {"dee"}, 2, "1 others already run: dee", "warm at most 1"),   # dee's server holds a place
])
def test_warm_plan_refuses_what_the_cards_or_the_cap_cannot_hold(n, running, cap, says, fix):
    from coursekit.instructor.warm import warm_plan
    with pytest.raises(errors.WorkshopError, match=re.escape(says)) as err:
        warm_plan(["ada", "bob", "cyd", "dee"], running, n, cap)
    assert fix in err.value.fix


def test_the_culler_keeps_a_warm_server_until_its_learner_logs_in(tmp_path, monkeypatch):
    from datetime import timedelta

    from coursekit.instructor import warm
    monkeypatch.setattr(warm, "arrivals_dir", lambda: tmp_path)
    now = 1_000_000.0
    hour = timedelta(hours=1)
    decide = lambda server, inactive: warm.cull_arbiter(   # noqa: E731
        inactive=inactive, inactive_limit=3600, server=server, now=now)
    cold = {"full_name": "ada/", "user_options": {}}
    hot = {"full_name": "bob/", "user_options": {"warm": True}}
    assert decide(cold, 2 * hour) is True and decide(cold, hour / 2) is False   # the usual rule
    assert decide(hot, 5 * hour) is False               # bob has not come: his server waits
    assert warm.mark_arrived("bob")
    os.utime(tmp_path / "bob", (now - 600, now - 600))   # bob logged in 10 minutes ago
    assert decide(hot, 5 * hour) is False               # idle since his login, not since warming
    os.utime(tmp_path / "bob", (now - 7200, now - 7200))
    assert decide(hot, 5 * hour) is True                # came, then left two hours ago
    assert decide(hot, hour / 2) is False               # ... but active half an hour ago
    warm.clear_arrival("bob")                           # warmed again: waits for him again
    assert decide(hot, 5 * hour) is False
    monkeypatch.setattr(warm, "arrivals_dir", lambda: tmp_path / "no" / "such")
    assert warm.mark_arrived("cyd") is False            # a login never fails for its mark


def test_the_idle_culler_is_configured_with_the_warm_arbiter():
    """The hub's culler service loads workshop/idle_culler_config.py, which sets the arbiter."""
    from traitlets.config import Config

    from coursekit.instructor import warm
    cfg_file = ROOT / "workshop" / "idle_culler_config.py"
    ns = {"get_config": lambda: ns["c"], "c": Config()}
    exec(compile(cfg_file.read_text(), str(cfg_file), "exec"), ns)
    assert ns["c"].IdleCuller.cull_arbiter_hook is warm.cull_arbiter
    assert "--config={HUB_CONFIG.with_name('idle_culler_config.py')}" in \
        (ROOT / "workshop" / "jupyterhub_config.py").read_text()


def test_workshop_start_refuses_a_warm_count_before_starting_anything(monkeypatch, capsys):
    """`workshop start --warm 31` with 30 cards: refused with the fix, the hub not started;
    `--warm` with another action: a usage error."""
    from coursekit import cli
    from coursekit.instructor import hub
    monkeypatch.setattr(hub, "read_state", lambda: None)
    monkeypatch.setattr(hub, "start", lambda *a, **k: pytest.fail("the hub must not start"))
    monkeypatch.setenv("WORKSHOP_LEARNERS", "30")
    monkeypatch.delenv("WORKSHOP_NAMES", raising=False)
    monkeypatch.delenv("WORKSHOP_MAX_SERVERS", raising=False)
    assert cli.main(["workshop", "start", "--warm", "31"]) == 1
    err = capsys.readouterr().err
    assert "only 30 cards" in err and "warm at most 30" in err, err
    monkeypatch.setenv("WORKSHOP_MAX_SERVERS", "20")
    assert cli.main(["workshop", "start", "--warm", "25"]) == 1
    assert "at most 20 servers may run at once" in capsys.readouterr().err
    assert cli.main(["workshop", "stop", "--warm", "3"]) == 2
    assert "--warm goes with `workshop start`" in capsys.readouterr().err


def test_a_remote_engine_ignores_this_hosts_routes(monkeypatch):
    """WORKSHOP_HUB_IP: the engine is elsewhere, so this machine's routes (one of which
    sends the learners' subnets to the engine) do not count as taken."""
    s = settings.Settings.from_env({"WORKSHOP_HUB_IP": "192.168.76.1", "WORKSHOP_SUBNETS": "172.31.0.0/16"})
    assert (s.hub_ip, s.subnets) == ("192.168.76.1", "172.31.0.0/16")

    import docker

    class Nets:         # what learner_network reads and creates (a fake: no engine here)
        def __init__(self):
            self.created = []

        def get(self, name):
            raise docker.errors.NotFound(name)

        def create(self, name, **kw):
            self.created.append(kw["ipam"]["Config"][0]["Subnet"])

    class Engine:
        def __init__(self):
            self.networks = Nets()
            self.api = type("API", (), {"networks": staticmethod(lambda: [])})()
    monkeypatch.setattr(learners, "_host_routes", lambda: ["172.31.0.0/16"])
    eng = Engine()
    learners.learner_network(eng, s, "ada")
    assert eng.networks.created == ["172.31.0.0/26"]
    s.hub_ip = ""            # an engine here: that route is taken, so nothing is free
    with pytest.raises(errors.WorkshopError, match="no free /26 left in 172.31.0.0/16"):
        learners.learner_network(Engine(), s, "bob")


def test_stop_kills_what_a_dead_hub_left_running(tmp_path):
    """A hub that died leaves its services (its process group) and its proxy (a session
    of its own, found by its API port) running; stop() must not leave them."""
    import subprocess
    import sys
    import time
    from coursekit.instructor import hub
    fake = tmp_path / "configurable-http-proxy"
    fake.write_text("import time\ntime.sleep(300)\n")
    proxy = subprocess.Popen([sys.executable, str(fake), "--api-port", "41999"], start_new_session=True)
    other = subprocess.Popen([sys.executable, str(fake), "--api-port", "419990"], start_new_session=True)
    leader = subprocess.Popen(["sh", "-c", "sleep 300 & echo $!"], stdout=subprocess.PIPE,
                              start_new_session=True, text=True)
    service = int(leader.stdout.readline())
    leader.wait()                                     # the "hub" is gone, its child is not
    try:
        hub._kill_leftovers({"pid": leader.pid, "proxy_api_port": 41999})
        proxy.wait(10)

        def alive(pid):
            try:
                return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
            except OSError:
                return False
        deadline = time.monotonic() + 10
        while alive(service) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(service) and proxy.returncode is not None
        assert other.poll() is None                   # another proxy's port: untouched
    finally:
        for p in (proxy, other):
            p.kill()
        try:
            os.kill(service, 9)
        except OSError:
            pass


def test_disk_share_reads_io_cost_then_bfq_from_the_probe():
    from coursekit.instructor.learners import parse_disk_share
    qos = "254:0 enable=1 ctrl=user rpct=95.00 rlat=50000 wpct=95.00 wlat=50000 min=50.00 max=100.00"
    probe = "disk 254:0 vda\nsched none [mq-deadline] bfq\n"
    share = parse_disk_share(probe + qos)
    assert (share.by, share.name, share.disk) == ("io.cost", "vda", "254:0")
    assert str(share).startswith("enforced by io.cost on vda (254:0)")
    # io.cost set up for another disk, or switched off, does not count
    assert parse_disk_share(probe + qos.replace("254:0", "8:0")).by == ""
    assert parse_disk_share(probe + qos.replace("enable=1", "enable=0")).by == ""
    assert parse_disk_share("disk 8:0 sda\nsched mq-deadline [bfq] none\n").by == "BFQ"
    unenforced = parse_disk_share(probe)
    assert unenforced.by == "" and "not enforced on vda" in str(unenforced)
    assert "'Sharing the disk'" in str(unenforced)        # the instructor page's section
    # not a block device: said so, not a crash
    assert parse_disk_share("disk  \nsched \n").by == ""
