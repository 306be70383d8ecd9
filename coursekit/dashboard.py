"""The course dashboard: this session's containers, live, with safe buttons.

    ck.dashboard()

Lists the containers carrying this session's course label (state, ports, memory
and CPU use), with buttons for logs, stop and remove per container, and a
cleanup button.  Every button acts only on course-labelled objects.
"""
from __future__ import annotations

import html

import ipywidgets as w

from .labelling import label_filter, session


COLUMNS = ("220px", "80px", "200px", "90px", "50px")   # name, state, ports, memory, CPU


def _ports(c) -> str:
    ports = (c.attrs.get("NetworkSettings") or {}).get("Ports") or {}
    return ", ".join(f"{b['HostIp']}:{b['HostPort']}→{k}" for k, v in ports.items() if v for b in v)


def _usage(c) -> tuple[str, str]:
    """(memory, cpu%) from one stats record; '–' when not running."""
    if c.status != "running":
        return "–", "–"
    try:
        st = c.stats(stream=False, one_shot=True)
    except Exception:
        return "?", "?"
    mem = (st.get("memory_stats") or {}).get("usage")
    cpu = st.get("cpu_stats") or {}
    pre = st.get("precpu_stats") or {}
    d_cpu = cpu.get("cpu_usage", {}).get("total_usage", 0) - pre.get("cpu_usage", {}).get("total_usage", 0)
    d_sys = cpu.get("system_cpu_usage", 0) - pre.get("system_cpu_usage", 0)
    ncpu = cpu.get("online_cpus") or 1
    pct = f"{d_cpu / d_sys * ncpu * 100:.0f}%" if d_sys > 0 and d_cpu >= 0 else "–"
    return (f"{mem / 2**20:.1f} MiB" if mem else "–"), pct


class Dashboard(w.VBox):
    """This session's course containers, with logs/stop/remove and cleanup."""

    def __init__(self, client=None, all_sessions: bool = False):
        if client is None:
            from .connect import connect
            client = connect()
        self.client, self.all_sessions = client, all_sessions
        self.title = w.HTML()
        self.table = w.VBox()
        self.detail = w.HTML()
        auto_width = w.Layout(width="auto")   # a button's default 148 px cut these labels
        self.refresh_button = w.Button(description="Refresh", icon="refresh", layout=auto_width)
        self.cleanup_button = w.Button(description="Clean up course objects", icon="trash",
                                       button_style="warning", layout=auto_width)
        self.auto = w.ToggleButton(description="Auto-refresh (2 s)", icon="clock-o", value=False,
                                   layout=auto_width)
        self.auto.observe(lambda ch: self._auto(ch["new"]), names="value")
        self._timer = None
        self.refresh_button.on_click(lambda _: self.refresh())
        self.cleanup_button.on_click(lambda _: self._cleanup())
        super().__init__([self.title, self.table,
                          w.HBox([self.refresh_button, self.auto, self.cleanup_button]), self.detail])
        self.add_class("coursekit-dashboard")
        self.refresh()

    def __repr__(self) -> str:
        who = "all course sessions" if self.all_sessions else f"session {session()}"
        return f"<course dashboard: {len(self.table.children) - 1} rows ({who})>"

    def containers(self):
        return self.client.containers.list(all=True, ignore_removed=True, filters={"label": [label_filter(self.all_sessions)]})

    def refresh(self):
        boxes = self.containers()
        who = "all course sessions" if self.all_sessions else f"session {session()}"
        from .cleanup import orphans
        gone = orphans(self.client)
        left = ("" if not gone else
                "<div>⚠️ Left by notebooks whose kernel has ended: "
                + "; ".join(html.escape(str(o)) for o in gone)
                + " &mdash; removed by themselves a minute after their kernel ended, or now with "
                "<code>python -m coursekit cleanup --orphans</code></div>")
        self.title.value = (f"<b>Course containers</b> ({who}): {len(boxes)}{left}")
        # Header and rows share one set of column widths, so the columns line up.
        def cells(values, tag="span"):
            return [w.HTML(f"<{tag}>{v}</{tag}>", layout=w.Layout(width=width, overflow="hidden"))
                    for v, width in zip(values, COLUMNS)]
        rows = [w.HBox(cells(["name", "state", "ports", "memory", "CPU"], "b"))]
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=8) as pool:   # one stats call per container, at once
            usage = list(pool.map(_usage, boxes))
        for c, (mem, cpu) in zip(boxes, usage):
            line = cells([f"<code>{html.escape(c.name)}</code>", c.status,
                          html.escape(_ports(c)) or "no ports", mem, cpu])
            line[0].add_class("coursekit-row")
            buttons = []
            for label, action in (("logs", self._logs), ("stop", self._stop), ("remove", self._remove)):
                b = w.Button(description=label, layout=w.Layout(width="auto", min_width="64px"))
                b.on_click(lambda _, c=c, a=action: a(c))
                buttons.append(b)
            rows.append(w.HBox([*line, *buttons]))
        if not boxes:
            rows.append(w.HTML("<i>none running</i>"))
        self.table.children = rows

    def _auto(self, on: bool, every: float = 2.0):
        """Refresh every ``every`` seconds while the toggle is on (a daemon thread)."""
        import threading
        if self._timer is not None:
            self._timer.set()
            self._timer = None
        if not on:
            return
        stop = self._timer = threading.Event()

        def loop():
            while not stop.wait(every):
                try:
                    self.refresh()
                except Exception as err:  # engine gone: say so and stop, never raise
                    self.detail.value = f"auto-refresh stopped: {html.escape(str(err))}"
                    self.auto.value = False
                    return
        threading.Thread(target=loop, daemon=True, name="coursekit-dashboard").start()

    def _logs(self, c):
        text = c.logs(tail=20).decode(errors="replace") or "(no output yet)"
        self.detail.value = f"<b>logs of {html.escape(c.name)}</b><pre>{html.escape(text)}</pre>"

    def _stop(self, c):
        c.stop(timeout=2)
        self.detail.value = f"stopped {html.escape(c.name)}"
        self.refresh()

    def _remove(self, c):
        c.remove(force=True)
        self.detail.value = f"removed {html.escape(c.name)}"
        self.refresh()

    def _cleanup(self):
        from .cleanup import cleanup
        self.detail.value = html.escape(str(cleanup(all_sessions=self.all_sessions, client=self.client)))
        self.refresh()


def dashboard(all_sessions: bool = False, client=None) -> Dashboard:
    """Open the course dashboard (one line, from any lesson)."""
    return Dashboard(client, all_sessions)
