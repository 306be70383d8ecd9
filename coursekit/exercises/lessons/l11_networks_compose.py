"""Lesson 11, Networks and Compose: the tasks net-alias, net-connect, net-envfile, net-compose."""
from __future__ import annotations

from pathlib import Path

import coursekit as ck

from ..identity import _name
from ..model import Task
from ..support import WORDS, _container, _get, _kept_in_place, _run_quiet, _running, _setup_open_dir, _setup_sleeper, _task_container, _tmp

LESSON = "11_networks_compose"
TITLE = "Networks and Compose"


def check_net_alias(client, p, answer):
    problems = []
    net = _get(client, "network", p["net"])
    if net is None:
        problems.append(f"there is no network named {p['net']} (docker network ls shows the names)")
    elif net.attrs.get("Driver") != "bridge":
        problems.append(f"{net.name} has the driver {net.attrs.get('Driver')}, not bridge")
    c = _container(client, p, problems)
    if c is None or net is None:
        return problems
    nets = c.attrs["NetworkSettings"]["Networks"] or {}
    if net.name not in nets:
        problems.append(f"{c.name} is not on {net.name} (its networks: {', '.join(nets) or 'none'}): "
                        f"start it with --network {net.name}")
    elif p["alias"] not in (nets[net.name].get("Aliases") or []):
        problems.append(f"{c.name} has no alias {p['alias']} on {net.name}")
    if _running(c, problems) and not problems:
        ip = nets[net.name]["IPAddress"]
        code, out = _run_quiet(client, f"nslookup {p['alias']}", network=net.name)
        if code != 0 or ip not in out:
            problems.append(f"a container on {net.name} does not resolve {p['alias']} to {ip}: {out.strip()[-80:]!r}")
    return problems


net_alias = Task(
    id="net-alias",
    lesson=LESSON,
    level="easy",
    text="Create a user-defined network named {net}. Start a container named {name} on it (sleep 3600, in "
         "the background) that the other containers of {net} also reach under the extra name {alias}.",
    params=lambda r: {"net": _name("ex-net-alias-net"), "alias": r.choice(["db", "cache", "api", "queue", "store"])},
    check=check_net_alias,
    hint="Lesson 11 started web2 on its own network with a second name: `docker run --help | grep network` "
         "lists both flags. The SDK's containers.run() takes network= and networking_config=, a dict from "
         "the network's name to client.api.create_endpoint_config(aliases=[...]).",
    requires="{net} is a bridge network, {name} is running on it with the alias {alias}, and a container "
             "on {net} resolves {alias} to {name}'s address there.",
    cli="docker network create {net}\ndocker run -d --name {name} --network {net} --network-alias {alias} coursekit/busybox:1 sleep 3600",
)


@net_alias.answer
def _(client, P):
    client.networks.create(P["net"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, network=P["net"], networking_config={P["net"]: client.api.create_endpoint_config(aliases=[P["alias"]])}, name=P["name"], labels=ck.labels())


@net_alias.wrong_answer("is not on")
def _(client, P):
    client.networks.create(P["net"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())


@net_alias.wrong_answer("has no alias")
def _(client, P):
    client.networks.create(P["net"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, network=P["net"], name=P["name"], labels=ck.labels())


@net_alias.wrong_answer("there is no network named")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, name=P["name"], labels=ck.labels())


@net_alias.wrong_answer("not running")
def _(client, P):
    client.networks.create(P["net"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "true", detach=True, network=P["net"], networking_config={P["net"]: client.api.create_endpoint_config(aliases=[P["alias"]])}, name=P["name"], labels=ck.labels()).wait()


@net_alias.wrong_answer("never started")
def _(client, P):
    client.networks.create(P["net"], labels=ck.labels())
    client.containers.create(ck.BUSYBOX, "sleep 3600", network=P["net"], networking_config={P["net"]: client.api.create_endpoint_config(aliases=[P["alias"]])}, name=P["name"], labels=ck.labels())


def check_net_connect(client, p, answer):
    c, problems = _task_container(client, p)
    if c is None:
        return problems
    problems += _kept_in_place(c, p, "docker network connect adds a network to a running container",
                               "connecting needs no restart")
    nets = c.attrs["NetworkSettings"]["Networks"] or {}
    if _get(client, "network", p["net"]) is None:
        problems.append(f"there is no network named {p['net']} (docker network ls shows the names)")
    elif p["net"] not in nets:
        problems.append(f"{c.name} is not on {p['net']} (its networks: {', '.join(nets) or 'none'})")
    if "bridge" not in nets:
        problems.append(f"{c.name} is no longer on the default bridge (bridge): it must keep it (docker rm -f "
                        f"{p['name']}, then run the task's show cell again to start over)")
    _running(c, problems, "run the task's show cell again to start it; connecting needs no stop")
    return problems


net_connect = Task(
    id="net-connect",
    lesson=LESSON,
    level="medium",
    text="The task started {name} (sleep 3600) on the default bridge. Create a network named {net} and "
         "connect the running {name} to it too: it keeps its place on the default bridge, and is neither "
         "recreated nor restarted.",
    params=lambda r: {"net": _name("ex-net-connect-net")},
    check=check_net_connect,
    hint="Lesson 11 added the running probe to a second network with one `docker network` command "
         "(`docker network --help` lists them); the SDK's Network object has a method of the same name, "
         "which takes the container.",
    requires="{name} is the container the task started, running since then without a restart, and "
             "attached to both the default bridge and the bridge network {net}.",
    setup=_setup_sleeper,
    cli="docker network create {net}\ndocker network connect {net} {name}",
)


@net_connect.answer
def _(client, P):
    net = client.networks.create(P["net"], labels=ck.labels())
    net.connect(P["name"])


@net_connect.wrong_answer("is not on")
def _(client, P):
    client.networks.create(P["net"], labels=ck.labels())


@net_connect.wrong_answer("is a new container")
def _(client, P):
    client.containers.get(P["name"]).remove(force=True)
    client.networks.create(P["net"], labels=ck.labels())
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, network=P["net"], name=P["name"], labels=ck.labels())


@net_connect.wrong_answer("no longer on the default bridge")
def _(client, P):
    net = client.networks.create(P["net"], labels=ck.labels())
    net.connect(P["name"])
    client.networks.get("bridge").disconnect(P["name"])


@net_connect.wrong_answer("was restarted")
def _(client, P):
    net = client.networks.create(P["net"], labels=ck.labels())
    net.connect(P["name"])
    client.containers.get(P["name"]).restart(timeout=0)


def _setup_envfile(client, p):
    Path(p["file"]).write_text(f"# the app's settings\nMODE=production\nCOLOR={p['color']}\nLEVEL={p['level']}\n")


def check_net_envfile(client, p, answer):
    problems = []
    c = _container(client, p, problems)
    if c is None or not _running(c, problems):
        return problems
    code, out = c.exec_run("env")
    env = dict(line.split("=", 1) for line in out.decode(errors="replace").splitlines() if "=" in line)
    for key, want in (("COLOR", p["color"]), ("LEVEL", p["level"]), ("MODE", p["mode"])):
        if key not in env:
            problems.append(f"its processes' environment has no {key}" + ("" if key == "MODE" else f" (from {p['file']})"))
        elif env[key] != want:
            problems.append(f"{key} is {env[key]!r} in it, not {want!r}")
    return problems


net_envfile = Task(
    id="net-envfile",
    lesson=LESSON,
    level="easy",
    text="The task wrote the settings file {file} (one NAME=VALUE a line). Start a container named {name} "
         "(sleep 3600, in the background) with every setting of that file in its environment, except "
         "MODE, which must be {mode} in it.",
    params=lambda r: {"file": _tmp("ex-net-envfile.env"), "mode": r.choice(["debug", "staging", "test"]),
                      "color": r.choice(WORDS), "level": str(r.randrange(2, 9))},
    check=check_net_envfile,
    hint="Lesson 11's section on -e and --env-file passed a file and one more setting in one docker run; "
         "when both set a name, one of them wins. The SDK has no env file: read it into a dict for "
         "environment=, then change MODE.",
    requires="{name} is running and the environment of its processes has COLOR and LEVEL as in {file}, "
             "and MODE={mode}.",
    setup=_setup_envfile,
    cli="docker run -d --name {name} --env-file {file} -e MODE={mode} coursekit/busybox:1 sleep 3600",
)


@net_envfile.answer
def _(client, P):
    lines = open(P["file"]).read().splitlines()
    settings = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, environment={**settings, "MODE": P["mode"]}, name=P["name"], labels=ck.labels())


@net_envfile.wrong_answer("MODE is 'production'")
def _(client, P):
    lines = open(P["file"]).read().splitlines()
    settings = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, environment=settings, name=P["name"], labels=ck.labels())


@net_envfile.wrong_answer("has no COLOR")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "sleep 3600", detach=True, environment={"MODE": P["mode"]}, name=P["name"], labels=ck.labels())


@net_envfile.wrong_answer("not running")
def _(client, P):
    client.containers.run(ck.BUSYBOX, "true", detach=True, environment={"MODE": P["mode"]}, name=P["name"], labels=ck.labels()).wait()


@net_envfile.wrong_answer("never started")
def _(client, P):
    client.containers.create(ck.BUSYBOX, "sleep 3600", environment={"MODE": P["mode"]}, name=P["name"], labels=ck.labels())


def check_net_compose(client, p, answer):
    problems = []
    mine = client.containers.list(all=True, filters={"label": f"com.docker.compose.project={p['name']}"})
    if not mine:
        return [f"there is no Compose project named {p['name']} (no container has the label "
                f"com.docker.compose.project={p['name']}; docker compose ls lists projects)"]
    by_service: dict[str, list] = {}
    for c in mine:
        by_service.setdefault(c.labels.get("com.docker.compose.service", "?"), []).append(c)
    boxes = by_service.get(p["service"])
    if not boxes:
        return [f"the project has no service {p['service']} (its services: {', '.join(sorted(by_service))})"]
    running = [c for c in boxes if c.status == "running"]
    if len(running) != p["n"]:
        problems.append(f"{len(running)} containers of {p['service']} are running, not {p['n']}")
    if any(not c.attrs["HostConfig"].get("Init") for c in boxes):
        problems.append(f"{p['service']} runs without init: true (HostConfig.Init is not set)")
    return problems


net_compose = Task(
    id="net-compose",
    lesson=LESSON,
    level="hard",
    text="Run a Compose project named {name} with one service, {service}: the lab image coursekit/busybox:1 "
         "running sleep 3600, with init: true, scaled to {n} running containers.",
    params=lambda r: {"service": r.choice(["api", "worker", "cache", "queue"]), "n": 3,   # fixed: ex.cleanup() counts them
                      "dir": _tmp("ex-net-compose-dir")},
    check=check_net_compose,
    hint="Lesson 11's Compose section: docker compose -p NAME names the project, and up -d has a flag that "
         "runs several containers of one service. The compose file's service needs image, command and "
         "init. You may write the file into the task's folder {dir}.",
    requires="{n} running containers carry the labels com.docker.compose.project={name} and "
             "com.docker.compose.service={service}, each running with init (HostConfig.Init).",
    setup=_setup_open_dir,
    cli="printf 'services:\\n  {service}:\\n    image: coursekit/busybox:1\\n    command: sleep 3600\\n    init: true\\n' > {dir}/compose.yaml\ndocker compose -p {name} -f {dir}/compose.yaml up -d --scale {service}={n}",
)


@net_compose.answer
def _(client, P):
    import subprocess
    from pathlib import Path
    file = Path(P["dir"]) / "compose.yaml"
    file.write_text(f"services:\n  {P['service']}:\n    image: coursekit/busybox:1\n"
                    f"    command: sleep 3600\n    init: true\n")
    subprocess.run(["docker", "compose", "-p", P["name"], "-f", str(file), "up", "-d",
                   "--scale", f"{P['service']}={P['n']}"], check=True, capture_output=True)


@net_compose.wrong_answer("without init")
def _(client, P):
    import subprocess
    from pathlib import Path
    file = Path(P["dir"]) / "compose.yaml"
    file.write_text(f"services:\n  {P['service']}:\n    image: coursekit/busybox:1\n"
                    f"    command: sleep 3600\n")
    subprocess.run(["docker", "compose", "-p", P["name"], "-f", str(file), "up", "-d",
                   "--scale", f"{P['service']}={P['n']}"], check=True, capture_output=True)


@net_compose.wrong_answer("are running, not")
def _(client, P):
    import subprocess
    from pathlib import Path
    file = Path(P["dir"]) / "compose.yaml"
    file.write_text(f"services:\n  {P['service']}:\n    image: coursekit/busybox:1\n"
                    f"    command: sleep 3600\n    init: true\n")
    subprocess.run(["docker", "compose", "-p", P["name"], "-f", str(file), "up", "-d",
                   "--scale", f"{P['service']}=1"], check=True, capture_output=True)


@net_compose.wrong_answer("there is no Compose project")
def _(client, P):
    import subprocess
    from pathlib import Path
    file = Path(P["dir"]) / "compose.yaml"
    file.write_text(f"services:\n  {P['service']}:\n    image: coursekit/busybox:1\n"
                    f"    command: sleep 3600\n    init: true\n")
    subprocess.run(["docker", "compose", "-p", P["name"] + "x", "-f", str(file), "up", "-d",
                   "--scale", f"{P['service']}={P['n']}"], check=True, capture_output=True)


@net_compose.wrong_answer("has no service")
def _(client, P):
    import subprocess
    from pathlib import Path
    file = Path(P["dir"]) / "compose.yaml"
    file.write_text("services:\n  app:\n    image: coursekit/busybox:1\n"
                    "    command: sleep 3600\n    init: true\n")
    subprocess.run(["docker", "compose", "-p", P["name"], "-f", str(file), "up", "-d",
                   "--scale", f"app={P['n']}"], check=True, capture_output=True)
