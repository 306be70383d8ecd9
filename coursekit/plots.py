"""Plots drawn from the Docker stats API while a container runs."""
from __future__ import annotations

import time

MiB = 2**20


def _usage(stats: dict) -> int | None:
    mem = stats.get("memory_stats") or {}
    return mem.get("usage")


def sample_memory(container, on_sample=None, timeout: float = 60) -> list[tuple[float, int]]:
    """Follow ``container``'s memory use through the stats API until it exits.

    The engine streams one stats record per second; ``on_sample(samples)`` is
    called after each one (to redraw a plot).  Returns ``[(seconds, bytes), ...]``.
    """
    samples: list[tuple[float, int]] = []
    t0 = time.monotonic()
    for st in container.stats(stream=True, decode=True):
        used = _usage(st)
        if used is None:          # the container has exited: the stream ends
            break
        samples.append((time.monotonic() - t0, used))
        if on_sample:
            on_sample(samples)
        if time.monotonic() - t0 > timeout:
            break
    return samples


def memory_figure(samples, limit: int | None, title: str = "", ax=None):
    """Memory use over time, with the limit as a red line."""
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 2.8))
    else:
        fig = ax.figure
        ax.clear()
    if samples:
        xs, ys = zip(*samples)
        ax.plot(xs, [y / MiB for y in ys], marker="o", ms=3, label="memory in use")
    if limit:
        ax.axhline(limit / MiB, color="crimson", ls="--", label=f"limit {limit / MiB:.0f} MiB")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("MiB")
    ax.set_title(title or "memory use, from the Docker stats API")
    ax.set_ylim(bottom=0, top=max([limit / MiB * 1.15 if limit else 0]
                                  + [y / MiB * 1.1 for _, y in samples] + [1]))
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def live_memory_plot(container, limit: int | None, title: str = "", timeout: float = 60):
    """Draw the memory plot and redraw it as each stats record arrives.

    In a notebook the figure updates in place; the final figure stays as output."""
    import matplotlib.pyplot as plt
    from IPython.display import display
    fig = memory_figure([], limit, title)
    handle = display(fig, display_id=True)

    def redraw(samples):
        memory_figure(samples, limit, title, ax=fig.axes[0])
        handle.update(fig)
    samples = sample_memory(container, redraw, timeout)
    redraw(samples)
    plt.close(fig)
    return samples
