"""How fast is a whole room at work?  (`make bench-workshop N=... [COLD=1] [SPREAD=s]`)

Starts the workshop hub with N cards, then N learners arrive: each logs in, gets their
server, opens JupyterLab, starts a kernel and runs one cell -- "login to a working
JupyterLab", the time a learner waits -- then runs the hello lesson through that kernel.

- warm (the default): the instructor first warms the room (``coursekit workshop start
  --warm N``: servers started a few at a time before anyone arrives), then the N
  learners arrive.
- cold (``--cold``): no warming; each learner's login starts their server (what the
  first measurements in book/capacity.md did).

Arrivals: all in the same second (``--spread 0``, the default and the worst case) or
spread evenly over ``--spread`` seconds.  Per learner it records the wait and its parts
(login, server, JupyterLab page, kernel start, first cell), the hello lesson's time, and
where their server's start went (container created and started, their own dockerd up,
lab images loaded, notebook server listening, hub saw it ready; from the container's
log, see workshop/learner-image/entrypoint.sh).  For the host: the load average before
and after, peak memory added.  Prints a table; writes
bench/results/workshop-load-<N>-<warm or cold>[-spread<S>].json.  Stops the hub and removes everything after.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import coursekit as ck
from coursekit.instructor import boundary, hub, settings
from coursekit.instructor.hubclient import Learner
from coursekit.instructor.warm import warm
from coursekit.images import image_summaries

ROOT = Path(__file__).resolve().parents[1]
LESSON = "notebooks/01_hello_container.ipynb"
RESULTS = ROOT / "bench" / "results"


def host_mem_used() -> int:
    info = dict(line.split(":") for line in Path("/proc/meminfo").read_text().splitlines())
    kib = lambda k: int(info[k].split()[0]) * 1024  # noqa: E731
    return kib("MemTotal") - kib("MemAvailable")


def _epoch(docker_time: str) -> float:
    """Docker's RFC 3339 time (nanoseconds) -> epoch seconds."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z", docker_time)
    base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    return base + float(m.group(2) or 0)


def start_phases(box, requested: float | None, ready: float | None) -> dict:
    """Where a server's start went, in seconds from the spawn request: container created,
    started, own dockerd answering, lab images loaded, notebook server listening, and
    the hub's "ready".  The entrypoint's marks are /proc/uptime seconds (this host's)."""
    boot = time.time() - float(Path("/proc/uptime").read_text().split()[0])
    logs = box.logs().decode(errors="replace")
    marks = {m.group(1): boot + float(m.group(2)) for m in re.finditer(r"ck-start: (\w+) ([\d.]+)", logs)}
    listen = re.search(r"\[I (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \w+\] .*(?:is running at|Jupyter Server .* running)", logs)
    t = {"created": _epoch(box.attrs["Created"]), "started": _epoch(box.attrs["State"]["StartedAt"]),
         **marks}
    if listen:
        t["listening"] = datetime.strptime(listen.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(
            tzinfo=timezone.utc).timestamp()
    if ready:
        t["hub_ready"] = ready
    t0 = requested or t["created"]
    return {k: round(v - t0, 2) for k, v in sorted(t.items(), key=lambda kv: kv[1])}


def distribution(xs: list[float]) -> dict:
    xs = sorted(xs)
    if not xs:
        return {}
    q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
    return {"min": xs[0], "median": q(0.5), "p90": q(0.9), "max": xs[-1], "n": len(xs),
            "within_60_s": sum(x <= 60 for x in xs)}


def main(n: int, cold: bool = False, spread: float = 0, mem: str = "1g", lesson: bool = True,
         parallel: int | None = None) -> dict:
    mode = "cold" if cold else "warm"
    parallel = parallel or os.cpu_count() or 2
    client = ck.connect()
    keep = any(settings.LEARNER_IMAGE in i["RepoTags"] for i in image_summaries(client))
    base_mem = host_mem_used()
    load_before = os.getloadavg()
    s = settings.Settings(port=ck.free_port(), mem=mem, cpus=1.0, learners=n,
                          trusted_room=not boundary.boundary(client).isolated)
    state = hub.start(s, client, quiet=True)
    url = f"http://127.0.0.1:{s.port}"
    names = s.card_names()
    results: dict = {n_: {"ok": False} for n_ in names}
    peak_host = [0]
    stop = threading.Event()

    def watch_host():
        while not stop.is_set():
            peak_host[0] = max(peak_host[0], host_mem_used())
            time.sleep(0.5)
    threading.Thread(target=watch_host, daemon=True).start()

    requested: dict[str, float] = {}
    ready: dict[str, float] = {}
    warm_s = None
    if not cold:
        t0 = time.monotonic()
        warm(n, parallel=parallel)      # its starts' phases count from their containers' creation
        warm_s = round(time.monotonic() - t0, 1)
    load_arrival = os.getloadavg()

    def learner(i: int):
        name = names[i]
        r = results[name]
        time.sleep(spread * i / max(1, n))
        try:
            t0 = time.monotonic()
            if cold:
                requested[name] = time.time()
            L = Learner(url, name, state["cards"][name])
            L.login()
            r["login_s"] = round(time.monotonic() - t0, 2)
            r["server_s"] = round(L.start_server(timeout=600), 2)
            if cold:
                ready[name] = time.time()
            L.make_token()      # before the page: the server sets an _xsrf cookie of its own
            t1 = time.monotonic()
            page = L.http.get(f"{url}/user/{name}/lab", timeout=120)
            page.raise_for_status()
            r["lab_page_s"] = round(time.monotonic() - t1, 2)
            t1 = time.monotonic()
            k = L.kernel(LESSON)
            r["kernel_s"] = round(time.monotonic() - t1, 2)
            t1 = time.monotonic()
            cell = k.execute("print(6 * 7)", timeout=300)
            if cell.status != "ok" or "42" not in cell.output:
                raise RuntimeError(f"first cell: {cell.status} {cell.error} {cell.output!r}")
            r["first_cell_s"] = round(time.monotonic() - t1, 2)
            r["working_s"] = round(time.monotonic() - t0, 1)
            if lesson:
                t1 = time.monotonic()
                runs = k.run_notebook(L.notebook(LESSON), timeout=300)
                r["lesson_s"] = round(time.monotonic() - t1, 1)
                bad = [x for x in runs if x.status != "ok"]
                if bad:
                    r["error"] = f"cell {bad[0].index}: {bad[0].error or bad[0].status}"
            r["ok"] = "error" not in r
            k.ws.close()
        except Exception as err:  # recorded, not raised: the table shows who failed and why
            r["error"] = f"{type(err).__name__}: {err}"[:200]

    t0 = time.monotonic()
    with ThreadPoolExecutor(n) as pool:
        list(pool.map(learner, range(n)))
    wall = time.monotonic() - t0
    stop.set()
    load_after = os.getloadavg()
    for name in names:       # where each server's start went, from its container's log
        try:
            box = client.containers.get(settings.learner_names(s.id, name)["container"])
            results[name]["start_phases_s"] = start_phases(box, requested.get(name), ready.get(name))
            results[name]["mem_after_mib"] = round(box.stats(stream=False)["memory_stats"]["usage"] / 2**20)
        except Exception as err:
            results[name].setdefault("error", f"phases: {type(err).__name__}: {err}"[:200])
    hub.stop(client, quiet=True, keep_image=keep)
    ok = [r for r in results.values() if r["ok"]]
    working = distribution([r["working_s"] for r in results.values() if "working_s" in r])
    summary = {
        "mode": mode, "learners": n, "arrivals_spread_s": spread, "succeeded": len(ok),
        "limit": mem, "cores": os.cpu_count(), "warm_parallel": None if cold else parallel,
        "warm_s": warm_s, "wall_s": round(wall, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_at_arrival": [round(x, 2) for x in load_arrival],
        "load_after": [round(x, 2) for x in load_after],
        "host_mem_added_gib": round((peak_host[0] - base_mem) / 2**30, 2),
        "login_to_working_lab_s": working,
        "lesson_s": distribution([r["lesson_s"] for r in ok if "lesson_s" in r]),
        "command": f"make bench-workshop N={n}" + (" COLD=1" if cold else "")
                   + (f" SPREAD={spread:g}" if spread else ""),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "per_learner": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"workshop-load-{n}-{mode}{f'-spread{spread:g}' if spread else ''}.json"
    out.write_text(json.dumps(summary, indent=1) + "\n")
    w = working
    print(f"{n} learners, {mode} room" + (f" (warmed in {warm_s} s, {parallel} at a time)" if warm_s else "")
          + f", arriving {'in the same second' if not spread else f'over {spread:g} s'}; "
          f"{len(ok)} ok in {wall:.0f} s")
    if w:
        print(f"  login to a working JupyterLab: min {w['min']} s, median {w['median']} s, "
              f"p90 {w['p90']} s, max {w['max']} s; {w['within_60_s']}/{n} within 60 s")
    if summary["lesson_s"]:
        print(f"  hello lesson after: median {summary['lesson_s']['median']} s, max {summary['lesson_s']['max']} s")
    print(f"  load average before {load_before[0]:.2f}, at arrival {load_arrival[0]:.2f}, "
          f"after {load_after[0]:.2f}; host memory +{summary['host_mem_added_gib']} GiB")
    print(f"  results: {out.relative_to(ROOT)}")
    for name, r in sorted(results.items()):
        if not r["ok"]:
            print(f"  {name}: {r.get('error')}")
    return summary


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=10, help="learners (default 10)")
    ap.add_argument("--cold", action="store_true", help="no warming: each login starts its server")
    ap.add_argument("--spread", type=float, default=0, help="arrivals spread over this many seconds")
    ap.add_argument("--mem", default="1g", help="each learner's memory limit")
    ap.add_argument("--no-lesson", dest="lesson", action="store_false", help="stop at the first cell")
    ap.add_argument("--parallel", type=int, help="warm: servers started at once (default: cores)")
    a = ap.parse_args()
    main(a.n, a.cold, a.spread, a.mem, a.lesson, a.parallel)
