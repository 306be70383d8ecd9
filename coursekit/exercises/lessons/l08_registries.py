"""Lesson 08, Registries: the tasks reg-push."""
from __future__ import annotations

import json

import coursekit as ck

from ..model import Task
from ..support import WORDS, _get, _params_port
from ...images import BUSYBOX
from ...labelling import name

LESSON = "08_registries"
TITLE = "Registries"


def check_reg_push(client, p, answer):
    import urllib.request
    from ...registry import running_registries
    regs = [c for c in running_registries(client) if c.name == p["registry"]]
    if not regs:
        return ["the task's registry is not running: run the task's show cell again"]
    from ...connect import engine_address   # the registry API, seen from this notebook
    api = f"http://{engine_address()}:{p['address'].rsplit(':', 1)[1]}/v2/{p['repo']}"
    try:
        tags = json.load(urllib.request.urlopen(f"{api}/tags/list", timeout=3))
    except OSError:
        return [f"the registry has no repository {p['repo']}: tag {p['address']}/{p['repo']}:1 and push it"]
    if "1" not in (tags.get("tags") or []):
        return [f"{p['repo']} has tags {tags.get('tags')}, not 1"]
    req = urllib.request.Request(f"{api}/manifests/1", headers={"Accept": ", ".join([
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json"])})
    with urllib.request.urlopen(req, timeout=3) as resp:
        digest = resp.headers.get("Docker-Content-Digest") or ""
        manifest = json.load(resp)
    config = (manifest.get("config") or {}).get("digest")
    base = _get(client, "image", BUSYBOX)
    if base is not None and config and config != base.id and digest != base.id and not any(
            d.endswith("@" + digest) for d in base.attrs.get("RepoDigests") or [] if digest):
        # the config digest is the image ID; with the containerd image store the ID is the
        # manifest's digest, and a pushed image records it in RepoDigests
        return [f"{p['address']}/{p['repo']}:1 in the registry is not the course's busybox ({BUSYBOX})"]
    return []


def _setup_registry(client, p):
    from ...registry import running_registries, start_registry
    from ...errors import PortBusy
    from ...ports import free_port
    if not [c for c in running_registries(client) if c.name == p["registry"]]:
        try:
            reg = start_registry(client=client, port=p["port"], purpose="ex-reg-push-registry")
        except PortBusy:   # taken since the task chose it: take another, and show that one
            p["port"] = free_port()
            reg = start_registry(client=client, port=p["port"], purpose="ex-reg-push-registry")
        p["address"] = reg.address


def _registry_params(r):
    port = _params_port(r)
    return {"port": port, "address": f"127.0.0.1:{port}", "registry": name("ex-reg-push-registry"),
            "repo": f"ex-{r.choice(WORDS)}"}


reg_push = Task(
    id="reg-push",
    lesson=LESSON,
    level="medium",
    text="The task started a course registry at {address}. Push the course's busybox image there as "
         "{address}/{repo}:1.",
    params=lambda r: _registry_params(r),
    check=check_reg_push,
    hint="A push goes to the registry named at the start of the image's name. Give the image a second name that starts with the registry's address ({address}), then push that name.",
    requires="the task's registry is running and holds {repo}:1, and that is the course's busybox image.",
    setup=_setup_registry,
    cli="docker tag coursekit/busybox:1 {address}/{repo}:1\ndocker push {address}/{repo}:1",
)


@reg_push.answer
def _(client, P):
    ref = f"{P['address']}/{P['repo']}"
    client.images.get(ck.BUSYBOX).tag(ref, "1")
    client.images.push(ref, "1")


@reg_push.wrong_answer("and push it")
def _(client, P):
    ref = f"{P['address']}/{P['repo']}"
    client.images.get(ck.BUSYBOX).tag(ref, "1")


@reg_push.wrong_answer("not 1")
def _(client, P):
    ref = f"{P['address']}/{P['repo']}"
    client.images.get(ck.BUSYBOX).tag(ref, "latest")
    client.images.push(ref, "latest")


@reg_push.wrong_answer("is not the course's busybox")
def _(client, P):
    ref = f"{P['address']}/{P['repo']}"
    from coursekit.images import build_context
    client.images.build(fileobj=build_context(f'FROM {ck.BUSYBOX}\nRUN echo other > /x\n', {}), custom_context=True, tag=f"{ref}:1", labels=ck.labels(), rm=True)
    client.images.push(ref, "1")
