"""Check results, in the style of otter-grader: ✅ or ❌, a specific hint, a plain
and an HTML form -- never a traceback.  Used by the start page and the exercises."""
from __future__ import annotations

import html
import shutil
from dataclasses import dataclass, field


class Verdict:
    """How the course shows every check, the start page's and the exercises': ✅ or ❌,
    the name and what was found, the problems one per line, then the next step (only
    on ❌). Subclasses say what those are in ``_view``; this is the one renderer."""

    advice_label = "fix"

    def _view(self) -> tuple[bool, str, str, list[str], str]:
        """(ok, name, detail, problems, advice)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        ok, name, detail, problems, advice = self._view()
        lines = [f"{'✅' if ok else '❌'} {name}: {detail}"] + [f"   - {p}" for p in problems]
        if advice and not ok:
            lines.append(f"   {self.advice_label}: {advice}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        ok, name, detail, problems, advice = self._view()
        items = ("<ul>" + "".join(f"<li>{html.escape(p)}</li>" for p in problems) + "</ul>"
                 if problems else "")
        step = (f"<div style='margin-left:1.6em'><b>{self.advice_label.capitalize()}:</b> "
                f"{html.escape(advice)}</div>" if advice and not ok else "")
        return (f"<div>{'✅' if ok else '❌'} <b>{html.escape(name)}</b>: "
                f"{html.escape(detail)}{items}{step}</div>")


@dataclass(repr=False)
class CheckResult(Verdict):
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def _view(self):
        return self.ok, self.name, self.detail, [], self.fix


@dataclass
class Report:
    title: str
    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def __repr__(self) -> str:
        head = f"{self.title}: {'all good' if self.ok else 'needs attention'}"
        return "\n".join([head] + [repr(r) for r in self.results])

    def _repr_html_(self) -> str:
        return (f"<div><b>{html.escape(self.title)}</b>: "
                f"{'all good ✅' if self.ok else 'needs attention ❌'}"
                + "".join(r._repr_html_() for r in self.results) + "</div>")


NEEDED_GIB = 2


def free_disk(client) -> tuple[float, str]:
    """(GiB free, where) for the engine's data root, measured on the engine's host by a
    helper container (so a VM, remote or Docker Desktop engine reports its own disk);
    the local folder when the lab image needed for that is not there yet."""
    from pathlib import Path
    from .images import BUSYBOX
    from .labelling import labels, name
    root = client.info().get("DockerRootDir", "/var/lib/docker")
    try:
        out = client.containers.run(BUSYBOX, ["df", "-Pk", "/data-root"], remove=True,
                                    volumes={root: {"bind": "/data-root", "mode": "ro"}},
                                    name=name("df"), labels=labels()).decode()
        return int(out.splitlines()[-1].split()[3]) / 2**20, f"{root} on the engine's host"
    except Exception:  # no lab image yet, or an engine that refuses the mount
        where = root if Path(root).exists() else str(Path.home())
        return shutil.disk_usage(where).free / 2**30, where


def _safely(name: str, fn) -> CheckResult:
    """Run one check; any exception becomes a ❌ with its message, not a traceback."""
    try:
        return fn()
    except Exception as err:  # noqa: BLE001 -- the point is to never raise at the learner
        fix = getattr(err, "fix", "") or "run `make setup` in a terminal, then re-run this cell"
        return CheckResult(name, False, getattr(err, "message", str(err)) or type(err).__name__, fix)


def environment(registry: bool = True, host: str | None = None) -> Report:
    """The start page's checks: engine, cgroups, lab images, registry, disk, leftovers.

    ``host``: check the engine at this address (as if ``DOCKER_HOST`` were set to it)
    instead of the usual one; the environment is restored afterwards."""
    if host is not None:
        import os
        saved = os.environ.get("DOCKER_HOST")
        os.environ["DOCKER_HOST"] = host
        try:
            return environment(registry)
        finally:
            if saved is None:
                del os.environ["DOCKER_HOST"]
            else:
                os.environ["DOCKER_HOST"] = saved
    from .connect import connect
    from .images import LAB_IMAGES, image_source
    rep = Report("Your course environment")
    state = {}

    def engine():
        client = state["client"] = connect()
        v = client.version()
        return CheckResult("Docker engine", True,
                           f"{v.get('Version')} (API {v.get('ApiVersion')}) answers")
    rep.results.append(_safely("Docker engine", engine))
    client = state.get("client")
    if client is None:
        return rep

    def cgroups():
        v = client.info().get("CgroupVersion", "?")
        return CheckResult("cgroups", True, f"containers run under cgroup v{v}"
                           + (" (the lessons explain v1 and v2)" if v in ("1", "2") else ""))
    rep.results.append(_safely("cgroups", cgroups))
    for tag, lab in LAB_IMAGES.items():
        def image(tag=tag, lab=lab):
            src = image_source(client, tag)
            return CheckResult(f"lab image {tag}", src is not None, src or "missing",
                               "run `make images` in a terminal (works offline on Debian)")
        rep.results.append(_safely(f"lab image {tag}", image))
    if registry:
        def reg():
            from .registry import start_registry
            r = start_registry(client=client, purpose="startpage-registry")
            try:
                r.catalog()
            finally:
                r.stop()
            return CheckResult("course registry", True, f"starts at {r.url} and answers")
        rep.results.append(_safely("course registry", reg))

    def disk():
        free, where = free_disk(client)
        return CheckResult("free disk", free >= NEEDED_GIB, f"{gib(free)} free at {where}"
                           + ("" if free >= NEEDED_GIB else f" (the course needs {NEEDED_GIB} GiB)"),
                           f"free at least {NEEDED_GIB} GiB for images and containers: "
                           "`docker system df` shows what uses it")
    rep.results.append(_safely("free disk", disk))

    def left_behind():
        from .cleanup import orphans
        found = orphans(client)
        if not found:
            return CheckResult("left behind", True, "nothing from notebooks whose kernel has ended")
        return CheckResult("left behind", False,
                           "course objects of notebooks whose kernel has ended: "
                           + "; ".join(str(o) for o in found),
                           "each goes by itself a minute after its kernel ended (the course's "
                           "reaper); `python -m coursekit cleanup --orphans` removes exactly those now")
    rep.results.append(_safely("left behind", left_behind))
    return rep


def gib(n: float) -> str:
    """``n`` GiB, rounded so that a value under the course's needs never reads as
    enough: one decimal under 10 GiB, rounded down."""
    import math
    return f"≈ {math.floor(n * 10) / 10:.1f} GiB" if n < 10 else f"≈ {n:.0f} GiB"
