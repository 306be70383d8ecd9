"""``python -m coursekit doctor|engine|images|registry|cleanup|lab|pack|load|reset|slides|workshop``."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .labelling import SESSION_ENV, SESSION_LABEL
from .errors import CourseError
from .notebook import lab_overrides
from .paths import ROOT, state_dir


def _line(ok: bool | None | str, what: str, detail: str) -> bool:
    """One doctor line: True ✅, False ❌ (a failure), None ⚠️ (a warning), "info" ℹ️."""
    mark = {True: "✅", False: "❌", None: "⚠️ ", "info": "ℹ️ "}[ok]
    print(f"{mark} {what:<10} {detail}", flush=True)
    return ok is not False


def cgroup_version() -> str:
    """'v2' (unified), 'v1' (legacy/hybrid), from this machine's /sys/fs/cgroup."""
    if Path("/sys/fs/cgroup/cgroup.controllers").exists():
        return "v2"
    return "v1" if Path("/sys/fs/cgroup").exists() else "unknown"


def doctor(fix: bool = False, offline: bool | None = None) -> int:
    """One line per check; exit status 0 only when every check passes."""
    from .engine import ensure_engine
    from .images import LAB_IMAGES, ensure_images, image_out_of_date, image_source
    t0 = time.monotonic()
    ok = True
    try:
        st = ensure_engine(fix=fix)
    except CourseError as err:
        _line(False, "engine", str(err))
        return 1
    _line(True, "engine", str(st))
    from .engine import ensure_plugins
    plugins = ensure_plugins(fix=fix)
    if plugins.action:
        _line(True if plugins.ok else None, "plugins", plugins.action)
    for what, (good, text) in (("builder", plugins.builder_line()),
                               ("compose", plugins.compose_line())):
        _line(good, what, text)   # a missing plugin is a warning, not a failure
    from .connect import connect
    client = connect()
    info = client.info()
    _line(True, "cgroups", f"engine reports cgroup v{info.get('CgroupVersion', '?')} "
                           f"({info.get('CgroupDriver', '?')} driver); "
                           f"this host's /sys/fs/cgroup is {cgroup_version()}")
    # Disk before images: on a full disk the image build is what fails, and the
    # learner must read why first.
    from .checks import NEEDED_GIB, free_disk, gib
    free, where = free_disk(client)
    ok &= _line(free >= NEEDED_GIB, "disk", f"{gib(free)} free at {where}"
                + ("" if free >= NEEDED_GIB else f"; the course needs {NEEDED_GIB} GiB: free some "
                   "space (`docker system df` shows what the engine uses)"))
    if fix:
        try:
            done = ensure_images(client, offline=offline, fix=True)
        except CourseError as err:
            _line(False, "images", str(err))
            return 1
        for tag, how in done.items():   # an out-of-date image kept (offline): a warning
            _line(None if "could not be rebuilt" in how else True, "image", f"{tag}: {how}")
    else:
        for tag, lab in LAB_IMAGES.items():
            src = image_source(client, tag)
            old = image_out_of_date(client, lab) if src else ""
            ok &= _line(src is not None and (None if old else True), "image",
                        f"{tag}: {src}" + (f", {old}; fix: `make images`" if old else "") if src else
                        f"{tag} missing ({lab.about}); fix: `make images`")
    from .registry import running_registries
    regs = [c for c in running_registries(client, all_sessions=True) if c.status == "running"]
    _line("info" if not regs else True, "registry",
          ", ".join(f"{c.name} on {_ports(c)}" for c in regs) if regs else
          "none running (lessons start their own; `python -m coursekit registry start`)")
    print(f"doctor: {'all good' if ok else 'problems found'} in {time.monotonic() - t0:.1f} s")
    return 0 if ok else 1


def _ports(c) -> str:
    ports = c.attrs.get("NetworkSettings", {}).get("Ports") or {}
    return ", ".join(f"{b['HostIp']}:{b['HostPort']}" for v in ports.values() if v for b in v)


def lab(port: int | None, root: Path = ROOT, open_browser: bool = False) -> int:
    """Start JupyterLab on the course folder, on a free port, and print its URL."""
    import secrets
    import subprocess
    from .ports import check_port_free, free_port
    port = check_port_free(port) if port else free_port()
    token = os.environ.get("COURSEKIT_LAB_TOKEN") or secrets.token_hex(16)
    _lab_settings()
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.open_browser={open_browser}"]
    if os.name == "posix" and os.geteuid() == 0:
        cmd.append("--ServerApp.allow_root=True")
    url = f"http://127.0.0.1:{port}/lab/tree/notebooks/00_start_here.ipynb?token={token}"
    log_path = state_dir() / "lab.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"Starting JupyterLab (its log: {log_path}) ", end="", flush=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not _wait_for_lab(proc, port, token):
            print(f"\nJupyterLab did not start; the end of its log ({log_path}):")
            print("".join(log_path.read_text().splitlines(keepends=True)[-20:]))
            proc.terminate()
            return 1
        print(f"\n\nThe course is open at:\n\n    {url}\n\n(stop it with Ctrl-C)", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        return 0


def _wait_for_lab(proc, port: int, token: str, timeout: float = 120) -> bool:
    """Wait until JupyterLab answers on ``port`` (a dot a second), or it exits."""
    import urllib.request
    deadline, next_dot = time.monotonic() + timeout, time.monotonic() + 1
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=1)
            return True
        except OSError:
            time.sleep(0.1)
        if time.monotonic() > next_dot:
            print(".", end="", flush=True)
            next_dot += 1
    return False


def _lab_settings() -> Path:
    """Write :func:`lab_overrides` into this environment's JupyterLab settings."""
    import json
    f = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    f.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(f.read_text()) if f.exists() else {}
    f.write_text(json.dumps(lab_overrides(data), indent=2))
    return f


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m coursekit", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("doctor", help="check engine, cgroups, lab images, registry, disk")
    d.add_argument("--fix", action="store_true",
                   help="install/start an engine (Debian, root) and provide the lab images")
    d.add_argument("--offline", action="store_true", help="build images without pulling")
    e = sub.add_parser("engine", help="start/stop/status of the Docker engine")
    e.add_argument("action", choices=["start", "stop", "status"])
    i = sub.add_parser("images", help="make sure the lab images exist")
    i.add_argument("--offline", action="store_true", help="build offline, no pull")
    i.add_argument("--rebuild", action="store_true", help="rebuild even if present")
    r = sub.add_parser("registry", help="start/stop/list the course registry")
    r.add_argument("action", choices=["start", "stop", "status"])
    r.add_argument("--auth", action="store_true", help="htpasswd-protected mode")
    r.add_argument("--port", type=int)
    r.add_argument("--session", help="stop: that session's registries (a notebook's id, "
                   "shown by `registry status`; default: those started here, session 'cli')")
    r.add_argument("--all", action="store_true", help="stop: every session's course registries")
    c = sub.add_parser("cleanup", help="remove the course's labelled objects")
    c.add_argument("--all", action="store_true",
                   help="every session's, not only this one's (never a workshop's: `workshop stop`)")
    c.add_argument("--session", help="the session id to clean (default: $COURSEKIT_SESSION)")
    c.add_argument("--lab-images", action="store_true", help="also remove the lab images")
    c.add_argument("--orphans", action="store_true",
                   help="every session whose notebook kernel has ended (restarted or closed)")
    d.add_argument("--room", type=int, metavar="LEARNERS",
                   help="also check this host can hold a workshop for LEARNERS learners")
    pk = sub.add_parser("pack", help="instructor: one archive of lab images + Python wheels")
    pk.add_argument("path", type=Path, nargs="?", default=ROOT / "coursekit-pack.tar")
    ld = sub.add_parser("load", help="instructor: install from a pack, with no network")
    ld.add_argument("path", type=Path)
    rs = sub.add_parser("reset", help="instructor: remove one learner's course objects and progress")
    who = rs.add_mutually_exclusive_group(required=True)
    who.add_argument("--session", help="a learner's session id on this machine")
    who.add_argument("--learner", help="a learner's user name on the running workshop hub")
    rs.add_argument("--keep-home", action="store_true",
                    help="--learner: remove only their engine; keep their home and exercise progress")
    sl = sub.add_parser("slides", help="instructor: reveal.js slides from the lessons")
    sl.add_argument("--out", type=Path, default=ROOT / "_build" / "slides")
    w = sub.add_parser("workshop", help="instructor: the JupyterHub workshop on this host")
    w.add_argument("action", choices=["start", "stop", "status", "cards"],
                   help="cards: where the learners' printable cards are")
    w.add_argument("--keep-image", action="store_true", help="stop: keep the learner image")
    w.add_argument("--warm", type=int, metavar="N", default=0,
                   help="start: also start the first N learners' servers now, before the room "
                   "arrives (a few at a time; on a running workshop: only that)")
    lb = sub.add_parser("lab", help="start JupyterLab on the course and print its URL")
    lb.add_argument("--port", type=int)
    lb.add_argument("--root", type=Path, default=ROOT, help="folder to serve (default: the course)")
    args = p.parse_args(argv)
    try:
        return _run(args)
    except CourseError as err:
        print(f"❌ {type(err).__name__}: {err}", file=sys.stderr)
        return 1


def _run(args) -> int:
    if args.cmd == "doctor":
        code = doctor(fix=args.fix, offline=args.offline or None)
        return room(args.room) or code if args.room else code
    if args.cmd in ("pack", "load", "reset", "slides", "workshop"):
        return _instructor(args)
    if args.cmd == "engine":
        from .engine import ensure_engine, started_pid, stop_started_engine
        if args.action == "start":
            print(ensure_engine(fix=True))
        elif args.action == "stop":
            print("stopped the engine the course started" if stop_started_engine()
                  else "no engine started by the course is running: nothing stopped")
        else:
            pid = started_pid()
            print(ensure_engine(fix=False), f"(course-started dockerd pid {pid})" if pid else "")
        return 0
    if args.cmd == "images":
        from .images import ensure_images
        t0 = time.monotonic()
        for tag, how in ensure_images(offline=True if args.offline else None,
                                      rebuild=args.rebuild, fix=True).items():
            print(f"✅ {tag}: {how}")
        print(f"images: ready in {time.monotonic() - t0:.2f} s")
        return 0
    if args.cmd == "registry":
        return _registry(args)
    if args.cmd == "cleanup":
        from .cleanup import cleanup
        if args.orphans:
            from .cleanup import cleanup_orphans, orphans
            from .connect import connect
            client = connect()
            found = orphans(client)
            for o, rep in zip(found, cleanup_orphans(client)):
                print(f"{o}: {rep}")
            if not found:
                print("cleanup: no session of an ended notebook kernel has anything left")
            return 0
        if args.session:
            os.environ[SESSION_ENV] = args.session
        elif not args.all and not os.environ.get(SESSION_ENV):
            print("cleanup: give --session ID (see `docker ps --filter label=coursekit.session`) "
                  "or --all for every course session", file=sys.stderr)
            return 2
        print(cleanup(all_sessions=args.all, lab_images=args.lab_images))
        return 0
    if args.cmd == "lab":
        return lab(args.port, args.root.resolve())
    return 2


def _registry(args) -> int:
    # Registries started from the command line belong to the session "cli".
    os.environ.setdefault(SESSION_ENV, "cli")
    from .registry import running_registries, start_registry
    if args.action == "start":
        reg = start_registry(auth=args.auth, port=args.port)
        print(f"✅ {reg}")
        if reg.auth:
            print(f"   user: {reg.auth[0]}  password: {reg.auth[1]}")
        return 0
    if args.action == "stop":
        # Only registries (their containers, storage volumes and the tags pushed to
        # them) of the session named: never the rest of a notebook's work.
        from .connect import connect
        from .registry import stop_registries
        client = connect()
        session_id = None if args.all else (args.session or os.environ[SESSION_ENV])
        stopped = stop_registries(client, session_id)
        print("\n".join(f"stopped {s}" for s in stopped) or
              f"no course registry of {'any session' if args.all else 'session ' + session_id} "
              f"(`python -m coursekit registry status` lists them)")
        return 0
    regs = running_registries(all_sessions=True)
    for c in regs:
        print(f"{c.name}: {c.status} on {_ports(c)} (session {c.labels.get(SESSION_LABEL, '?')}; "
              f"stop: `python -m coursekit registry stop --session {c.labels.get(SESSION_LABEL, '?')}`)")
    if not regs:
        print("no course registry running")
    return 0


def room(learners: int) -> int:
    """Workshop checks, one line each; exit status 1 if the host cannot hold the room."""
    from .connect import connect
    from .instructor.boundary import boundary
    from .instructor.hub import chp_command, status
    from .instructor.settings import LEARNER_IMAGE, Settings, mem_bytes
    from .images import image_summaries
    ok = True
    s = Settings.from_env()
    client = connect()
    info = client.info()
    total = info["MemTotal"]
    need = learners * mem_bytes(s.mem) + 2 * 2**30
    ok &= _line(need <= total, "memory", f"{learners} learners x {s.mem} + 2 GiB for the host = "
                f"{need / 2**30:.1f} GiB of {total / 2**30:.1f} GiB"
                + ("" if need <= total else "; lower WORKSHOP_MEM or split the room"))
    cpus = info["NCPU"]
    _line(None if learners * s.cpus > 4 * cpus else True, "cpu",
          f"{learners} x {s.cpus:g} CPU limits on {cpus} cores (fine while most learners read; "
          "see book/capacity.md)")
    edge = boundary(client)
    _line(True if edge.isolated else None, "boundary", str(edge)
          + ("" if edge.isolated else " (WORKSHOP_TRUSTED_ROOM=1 to start anyway; book/instructor.md)"))
    have = any(LEARNER_IMAGE in i["RepoTags"] for i in image_summaries(client))
    _line(True if have else None, "image",
          f"{LEARNER_IMAGE} " + ("present" if have else "not built yet (`make workshop` builds it offline, ~90 s)"))
    try:
        _line(True, "proxy", chp_command(quiet=True))
    except CourseError as err:
        ok &= _line(False, "proxy", str(err))
    st = status(client)
    _line(True if st["running"] else None, "hub",
          f"running at {st['url']}, {len(st['learners'])} learner servers up" if st["running"]
          else "not running (start: make workshop)")
    print(f"room: {'ready' if ok else 'not ready'} for {learners} learners")
    return 0 if ok else 1


def _instructor(args) -> int:
    from .instructor import hub
    if args.cmd == "pack":
        from .instructor.pack import pack
        pack(args.path)
    elif args.cmd == "load":
        from .instructor.pack import load
        load(args.path)
    elif args.cmd == "slides":
        from .instructor.slides import slides
        slides(args.out)
    elif args.cmd == "reset" and args.session:
        from .instructor.reset import reset_session
        reset_session(args.session)
    elif args.cmd == "reset":
        hub.reset_learner(args.learner, keep_home=args.keep_home)
    elif args.warm and args.action != "start":
        print("--warm goes with `workshop start`", file=sys.stderr)
        return 2
    elif args.action == "start":
        from .instructor.settings import Settings
        from .instructor.warm import warm, warm_plan
        s = Settings.from_env()
        if args.warm and not hub.read_state():   # a count the new workshop cannot hold: before it starts
            cards = s.card_names()
            warm_plan(cards, set(), args.warm, s.max_servers or len(cards))
        hub.start(s)
        if args.warm:
            warm(args.warm, parallel=os.cpu_count() or 2)
    elif args.action == "stop":
        hub.stop(keep_image=args.keep_image)
    elif args.action == "cards":
        sheet = hub.STATE / "cards.html"
        if not sheet.exists():
            print("no workshop running: `make workshop` prints the cards when it starts")
            return 1
        print(f"{sheet}  (open it in a browser and print it; one card per learner)")
    else:
        st = hub.status()
        if not st["running"]:
            print("no workshop running (start one: make workshop)")
            return 1
        print(f"workshop {st['id']} at {st['url']}  (learner cards: {st['cards']})")
        print(f"  room view (instructor only): {st['room_view']}")
        print(f"  boundary: {st['boundary']}")
        for user, info in sorted(st["learners"].items()):
            print(f"  {user:<16} {info['container']}  {info['memory_mib']} MiB")
    return 0
