# JupyterHub for a workshop on one host.  Started by `make workshop`
# (coursekit.instructor.hub.start), which writes the state file this reads.
#
# Each learner: one container from coursekit/workshop-learner:1 running the notebook
# server *and its own dockerd* (DOCKER_HOST=unix:///run/ck-engine/docker.sock), with
# memory/CPU/pids limits on the whole, its engine storage and home in two labelled volumes.
import asyncio
import json
import os
import sys
import threading

import docker

from coursekit.instructor.hubauth import CardAuthenticator
from coursekit.instructor.learners import learner_host_config, prepare_learner
from coursekit.instructor.settings import (ADMIN_USER, ENGINE_SOCKET, LEARNER_IMAGE, LEARNER_LABEL, STATE,
                                           USERNAME_PATTERN, Settings, learner_names, mem_bytes,
                                           workshop_labels)
from coursekit.paths import HUB_CONFIG

state = json.loads((STATE / "state.json").read_text())
s = Settings(**state["settings"])
c = get_config()  # noqa: F821 (provided by JupyterHub)

# --- where things listen ---------------------------------------------------------------
c.JupyterHub.bind_url = f"http://0.0.0.0:{s.port}"           # what the room connects to
c.JupyterHub.hub_ip = state["hub_ip"]        # reachable from learner containers: the gateway of
c.JupyterHub.hub_port = state["hub_port"]    # the workshop's network, or WORKSHOP_HUB_IP when the
c.JupyterHub.hub_connect_ip = state["hub_ip"]   # engine is on another machine
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{state['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [state["chp"]]
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "cookie_secret")
c.JupyterHub.cleanup_servers = True                           # hub stop -> servers stop

# --- who gets in: the names and passwords on the instructor's cards; 'instructor' is admin --
c.JupyterHub.authenticator_class = CardAuthenticator
c.CardAuthenticator.accounts = state["accounts"]
c.Authenticator.admin_users = {ADMIN_USER}
c.Authenticator.allowed_users = set(state["accounts"])
c.Authenticator.allow_all = False
c.Authenticator.username_pattern = f"^{USERNAME_PATTERN}$"
c.JupyterHub.active_server_limit = s.max_servers or len(state["accounts"]) - 1

# --- each learner's server -------------------------------------------------------------
c.JupyterHub.spawner_class = "docker"
c.DockerSpawner.image = LEARNER_IMAGE
c.DockerSpawner.pull_policy = "never"                         # built offline by start()
c.DockerSpawner.network_name = state["network"]              # replaced per learner by prepare()
c.DockerSpawner.use_internal_ip = True
c.DockerSpawner.remove = True                                 # volumes keep the learner's work
names = learner_names(s.id, "{username}")
c.DockerSpawner.name_template = names["container"]
c.DockerSpawner.volumes = {names["engine_volume"]: "/var/lib/docker",
                           names["home_volume"]: "/home/jovyan"}
c.DockerSpawner.mem_limit = mem_bytes(s.mem)
c.DockerSpawner.cpu_limit = s.cpus
c.DockerSpawner.extra_host_config = learner_host_config(s)
c.DockerSpawner.extra_create_kwargs = {"labels": {**workshop_labels(s.id), LEARNER_LABEL: "{username}"}}
c.DockerSpawner.environment = {"DOCKER_HOST": "unix://" + ENGINE_SOCKET}
c.DockerSpawner.notebook_dir = "/home/jovyan"
c.Spawner.default_url = "/lab/tree/notebooks/00_start_here.ipynb"
c.Spawner.start_timeout = 300                          # a whole room logging in at once on 2 cores
c.Spawner.http_timeout = 240


_preparing = threading.Lock()    # one learner at a time: two would pick the same free subnet


def _prepare(user: str) -> str:
    with _preparing:
        return prepare_learner(docker.from_env(), s, user)


async def prepare(spawner):
    """The learner's own network, disk and labelled volumes, before their server starts:
    in a thread, so that the hub goes on answering the room meanwhile (making a disk
    takes a while, on an engine elsewhere a helper container; run in the hub's event
    loop it held every request, and a login's POST waited over 60 s)."""
    spawner.network_name = await asyncio.to_thread(_prepare, spawner.escaped_name)


c.Spawner.pre_spawn_hook = prepare

# --- services: idle culling (a warm server waits for its learner: idle_culler_config.py),
# the instructor's room view (coursekit/instructor/roomview.py: admin-only through the
# hub's OAuth; learners get 403), and the course's admin token (instructor commands,
# tests) --
cull_every = max(10, min(300, s.idle_timeout // 4))
c.JupyterHub.services = [
    {"name": "idle-culler",
     "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                 f"--timeout={s.idle_timeout}", f"--cull-every={cull_every}",
                 f"--config={HUB_CONFIG.with_name('idle_culler_config.py')}"]},
    {"name": "roomview", "display": True, "oauth_no_confirm": True,
     "url": f"http://127.0.0.1:{state['roomview_port']}",
     "command": [sys.executable, "-m", "coursekit.instructor.roomview"],
     "environment": {k: os.environ[k] for k in ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "HOME",
                                                "COURSEKIT_WORKSHOP_STATE")
                     if k in os.environ}},
    {"name": "coursekit", "api_token": state["api_token"]},
]
c.JupyterHub.load_roles = [
    {"name": "idle-culler", "services": ["idle-culler"],
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
    # reads the learners and their servers; makes each learner a token for their own
    # server only (to list their open notebooks); resets go through the course's token
    {"name": "roomview", "services": ["roomview"],
     "scopes": ["list:users", "read:users", "read:users:activity", "read:servers", "tokens",
                "access:servers"]},
    {"name": "coursekit-admin", "services": ["coursekit"],
     "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users", "list:services", "read:services",
                "access:servers"]},
]
