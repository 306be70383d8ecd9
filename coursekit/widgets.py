"""Widgets for the lessons (ipywidgets).  The lesson cells show the SDK calls
these make; the widgets only let the learner vary the numbers."""
from __future__ import annotations

import ipywidgets as w

from .cgroups import oom_killed
from .errors import InvalidValue
from .images import BUSYBOX
from .labelling import labels, name
from .plots import MiB, memory_figure, sample_memory

# Allocates ALLOC MiB in 4 MiB variables, one every PAUSE microseconds (default
# 0.25 s), then sleeps a second.  Each
# variable is its own copy, so the cgroup is charged ALLOC MiB plus about 9 MiB
# for the shell, the 4 MiB template and the pipe that made it.
HOG = ("c=$(head -c 4194304 /dev/zero | tr '\\0' x); n=0; "
       "while [ $n -lt $((ALLOC / 4)) ]; do eval \"v$n=\\$c\"; n=$((n+1)); usleep ${PAUSE:-250000}; done; "
       "echo allocated $ALLOC MiB; sleep 1")


def run_memory_workload(client, limit_mib: int, alloc_mib: int, on_sample=None):
    """Run the memory workload under a limit; return (container attrs State, samples).
    The State's OOMKilled is :func:`coursekit.cgroups.oom_killed`'s answer (the engine's
    own flag can stay false for a kill); this workload is the only process in its
    container and nothing else signals it, so exit code 137 counts as an OOM kill even
    when the engine's event log no longer reaches back to its start."""
    box = client.containers.run(
        BUSYBOX, ["sh", "-c", HOG], detach=True, environment={"ALLOC": str(alloc_mib)},
        mem_limit=f"{limit_mib}m", memswap_limit=f"{limit_mib}m",
        name=name(f"memlab-{limit_mib}-{alloc_mib}"), labels=labels(role="memlab"))
    try:
        samples = sample_memory(box, on_sample, timeout=120)
        box.wait(timeout=30)
        box.reload()
        return dict(box.attrs["State"], OOMKilled=oom_killed(client, box) is not False), samples
    finally:
        box.remove(force=True)


class MemoryLab(w.VBox):
    """Pick a memory limit and how much the workload allocates; run; see the outcome."""

    def __init__(self, client, limit_mib: int = 64, alloc_mib: int = 40):
        self.client = client
        # A slider's default width (300 px) includes its description: with a 180 px
        # label the track itself was 24 px wide. Give the whole row room.
        style, row = {"description_width": "180px"}, w.Layout(width="560px")
        self.limit = w.IntSlider(value=limit_mib, min=16, max=256, step=8, style=style,
                                 description="memory limit (MiB)", layout=row)
        self.alloc = w.IntSlider(value=alloc_mib, min=8, max=160, step=4, style=style,
                                 description="workload allocates (MiB)", layout=row)
        self.button = w.Button(description="Run the workload", button_style="primary",
                               icon="play", layout=w.Layout(width="auto"))
        self.outcome = w.HTML(value="<i>Choose the numbers, then run.</i>")
        self.plot = w.Image(format="png", layout=w.Layout(width="600px"))
        self.button.on_click(lambda _: self.run())
        super().__init__([self.limit, self.alloc, self.button, self.outcome, self.plot])

    def __repr__(self) -> str:
        return f"<memory lab: limit {self.limit.value} MiB, workload {self.alloc.value} MiB>"

    def run(self):
        import matplotlib.pyplot as plt
        limit, alloc = self.limit.value, self.alloc.value
        self.button.disabled = True
        self.outcome.value = f"⏳ running: allocate {alloc} MiB under a {limit} MiB limit ..."
        fig = memory_figure([], limit * MiB, f"limit {limit} MiB, allocating {alloc} MiB")
        plt.close(fig)

        def redraw(samples):
            import io
            memory_figure(samples, limit * MiB, fig.axes[0].get_title(), ax=fig.axes[0])
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=80)
            self.plot.value = buf.getvalue()
        try:
            state, samples = run_memory_workload(self.client, limit, alloc, redraw)
            redraw(samples)
            if state["OOMKilled"]:
                self.outcome.value = (f"❌ <b>OOM-killed</b> (exit code {state['ExitCode']}): "
                                      f"{alloc} MiB (+ about 9 MiB for the shell) did not "
                                      f"fit in {limit} MiB.")
            else:
                self.outcome.value = (f"✅ <b>finished</b> (exit code {state['ExitCode']}): "
                                      f"{alloc} MiB fitted under {limit} MiB.")
        except Exception as err:  # show, don't raise, inside a widget callback
            self.outcome.value = f"❌ could not run the workload: {err}"
        finally:
            self.button.disabled = False
        return Outcome(self.outcome.value)


class Outcome(str):
    """A widget's outcome: HTML in a notebook, the same words without tags as text."""

    def __repr__(self) -> str:
        import re
        return re.sub(r"<[^>]+>", "", self)

    def _repr_html_(self) -> str:
        return str(self)


def parse_publish(text: str) -> tuple[str, tuple[str, int]] | None:
    """'[IP:]HOST:CONTAINER' -> ('CONTAINER/tcp', (IP, HOST)); '' -> None; else ValueError."""
    text = text.strip()
    if not text:
        return None
    parts = text.split(":")
    if len(parts) == 2:
        parts = ["127.0.0.1", *parts]
    if len(parts) != 3 or not all(p.isdigit() for p in parts[1:]):
        raise InvalidValue(f"-p {text!r}: write HOST:CONTAINER (or IP:HOST:CONTAINER), e.g. 8080:80")
    ip, host, container = parts[0], int(parts[1]), int(parts[2])
    if not (0 < host < 65536 and 0 < container < 65536):
        raise InvalidValue(f"-p {text!r}: ports are numbers from 1 to 65535")
    return f"{container}/tcp", (ip, host)


def parse_volume(text: str) -> tuple[str, dict] | None:
    """'SRC:DST[:ro]' -> (SRC, {'bind': DST, 'mode': ...}); '' -> None; else ValueError."""
    text = text.strip()
    if not text:
        return None
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1].startswith("/"):
        raise InvalidValue(f"-v {text!r}: write SOURCE:/container/path, e.g. mydata:/data")
    mode = parts[2] if len(parts) == 3 else "rw"
    if mode not in ("ro", "rw"):
        raise InvalidValue(f"-v {text!r}: the mode after the second ':' is ro or rw")
    return parts[0], {"bind": parts[1], "mode": mode}


class RunBuilder(w.VBox):
    """Tick `docker run` flags, see the CLI line and the SDK call, run it."""

    def __init__(self, client, command: str = "echo hello"):
        self.client, self.started = client, []
        # Widths: a checkbox is 300 px by default (four in a row overflowed and were cut);
        # a text field's 120 px label cut "-p HOST:CONTAINER".
        tick = w.Layout(width="auto", margin="0 16px 0 0")
        self.detach = w.Checkbox(description="-d  detach", indent=False, layout=tick)
        self.rm = w.Checkbox(description="--rm  remove on exit", value=True, indent=False, layout=tick)
        self.interactive = w.Checkbox(description="-i  keep stdin open", indent=False, layout=tick)
        self.tty = w.Checkbox(description="-t  terminal", indent=False, layout=tick)
        wide, field = {"description_width": "160px"}, w.Layout(width="480px")
        self.publish = w.Text(description="-p HOST:CONTAINER", placeholder="e.g. 8080:80",
                              style=wide, layout=field)
        self.volume = w.Text(description="-v SOURCE:TARGET", placeholder="e.g. mydata:/data",
                             style=wide, layout=field)
        self.memory = w.Text(description="-m memory", placeholder="e.g. 64m", style=wide, layout=field)
        self.command = w.Text(description="command", value=command, style=wide, layout=field)
        self.cli = w.HTML()
        self.sdk = w.HTML()
        self.result = w.HTML()
        self.button = w.Button(description="Run", button_style="primary", icon="play")
        self.button.on_click(lambda _: self.run())
        for x in (self.detach, self.rm, self.interactive, self.tty, self.publish, self.volume,
                  self.memory, self.command):
            x.observe(lambda _: self._update(), names="value")
        super().__init__([w.HBox([self.detach, self.rm, self.interactive, self.tty]),
                          self.publish, self.volume, self.memory, self.command,
                          self.cli, self.sdk, self.button, self.result])
        self.add_class("coursekit-runbuilder")
        self._update()

    def __repr__(self) -> str:
        return f"<docker run builder: {self.cli_line()}>"

    def _kwargs(self) -> dict:
        kw: dict = {}
        if self.detach.value:
            kw["detach"] = True
        if self.rm.value:
            kw["remove"] = True
        if self.interactive.value:
            kw["stdin_open"] = True
        if self.tty.value:
            kw["tty"] = True
        pub = parse_publish(self.publish.value)
        if pub:
            kw["ports"] = {pub[0]: pub[1]}
        vol = parse_volume(self.volume.value)
        if vol:
            kw["volumes"] = {vol[0]: vol[1]}
        if self.memory.value.strip():
            kw["mem_limit"] = self.memory.value.strip()
        return kw

    def cli_line(self) -> str:
        flags = [f for f, on in (("-d", self.detach.value), ("--rm", self.rm.value),
                                 ("-i", self.interactive.value), ("-t", self.tty.value)) if on]
        for flag, box in (("-p", self.publish), ("-v", self.volume), ("-m", self.memory)):
            if box.value.strip():
                flags.append(f"{flag} {box.value.strip()}")
        return " ".join(["docker run", *flags, BUSYBOX, self.command.value.strip()])

    def sdk_call(self) -> str:
        try:
            kw = self._kwargs()
        except ValueError as err:
            return f"(fix the input first: {err})"
        args = "".join(f", {k}={v!r}" for k, v in kw.items())
        return f"client.containers.run({BUSYBOX!r}, {self.command.value.strip()!r}{args})"

    def _update(self):
        import html as _html
        self.cli.value = f"<b>CLI</b> <code>{_html.escape(self.cli_line())}</code>"
        self.sdk.value = f"<b>SDK</b> <code>{_html.escape(self.sdk_call())}</code>"

    def run(self) -> str:
        import html as _html
        from .errors import CourseError
        from .ports import check_port_free
        try:
            kw = self._kwargs()
            if "ports" in kw:
                (ip, port), = kw["ports"].values()
                check_port_free(port, ip)
            name_ = name(f"builder-{len(self.started)}")
            out = self.client.containers.run(BUSYBOX, self.command.value.strip(), name=name_,
                                             labels=labels(role="runbuilder"), **kw)
            if kw.get("detach"):
                self.started.append(name_)
                out.reload()
                text = f"✅ started {name_}: {out.status}"
            else:
                if not kw.get("remove"):
                    self.started.append(name_)
                text = f"✅ output: {out.decode(errors='replace').strip()!r}"
        except (ValueError, CourseError) as err:
            text = f"❌ {err}"
        except Exception as err:  # docker errors: show them, never a traceback
            text = f"❌ {type(err).__name__}: {getattr(err, 'explanation', None) or err}"
        self.result.value = _html.escape(text)
        return text

    def cleanup(self):
        """Remove the containers this builder started."""
        import docker as _docker
        for n in self.started:
            try:
                self.client.containers.get(n).remove(force=True)
            except _docker.errors.NotFound:
                pass
        self.started.clear()
