"""Widgets for the lessons (ipywidgets).  The lesson cells show the SDK calls
these make; the widgets only let the learner vary the numbers."""
from __future__ import annotations

import ipywidgets as w

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
    """Run the memory workload under a limit; return (container attrs State, samples)."""
    box = client.containers.run(
        BUSYBOX, ["sh", "-c", HOG], detach=True, environment={"ALLOC": str(alloc_mib)},
        mem_limit=f"{limit_mib}m", memswap_limit=f"{limit_mib}m",
        name=name(f"memlab-{limit_mib}-{alloc_mib}"), labels=labels(role="memlab"))
    try:
        samples = sample_memory(box, on_sample, timeout=120)
        box.wait(timeout=30)
        box.reload()
        return box.attrs["State"], samples
    finally:
        box.remove(force=True)


class MemoryLab(w.VBox):
    """Pick a memory limit and how much the workload allocates; run; see the outcome."""

    def __init__(self, client, limit_mib: int = 64, alloc_mib: int = 40):
        self.client = client
        style = {"description_width": "180px"}
        self.limit = w.IntSlider(value=limit_mib, min=16, max=256, step=8, style=style,
                                 description="memory limit (MiB)")
        self.alloc = w.IntSlider(value=alloc_mib, min=8, max=160, step=4, style=style,
                                 description="workload allocates (MiB)")
        self.button = w.Button(description="Run the workload", button_style="primary",
                               icon="play")
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
        return self.outcome.value
