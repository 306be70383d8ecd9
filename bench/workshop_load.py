"""How many learners can work at once on this host?  (`make bench-workshop N=...`)

Starts the workshop hub, then N learners all at once: each logs in, starts their server
(with its own engine), and runs the hello lesson through a real kernel, twice.  Records
per learner: server start time, lesson time, memory at idle and at the lesson's peak;
for the host: memory used and the load average.  Prints a table and writes
test-artifacts/workshop-load-N.json.  Stops the hub and removes everything after.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import coursekit as ck
from coursekit.instructor import boundary, hub, settings
from coursekit.instructor.hubclient import Learner
from coursekit.images import image_summaries

ROOT = Path(__file__).resolve().parents[1]
LESSON = "notebooks/01_hello_container.ipynb"


def host_mem_used() -> int:
    info = dict(line.split(":") for line in Path("/proc/meminfo").read_text().splitlines())
    kib = lambda k: int(info[k].split()[0]) * 1024  # noqa: E731
    return kib("MemTotal") - kib("MemAvailable")


def main(n: int, mem: str = "1g") -> dict:
    client = ck.connect()
    keep = any(settings.LEARNER_IMAGE in i["RepoTags"] for i in image_summaries(client))
    base_mem = host_mem_used()
    s = settings.Settings(port=ck.free_port(), mem=mem, cpus=1.0, learners=n,
                          trusted_room=not boundary.boundary(client).isolated)
    state = hub.start(s, client, quiet=True)
    url = f"http://127.0.0.1:{s.port}"
    results: dict = {}
    peak_host = [0]
    stop = threading.Event()

    def watch_host():
        while not stop.is_set():
            peak_host[0] = max(peak_host[0], host_mem_used())
            time.sleep(0.5)
    threading.Thread(target=watch_host, daemon=True).start()

    def learner(i: int):
        name = f"learner{i:02d}"
        r = {"ok": False}
        try:
            L = Learner(url, name, state["cards"][name])
            L.login()
            r["spawn_s"] = round(L.start_server(timeout=600), 1)
            L.make_token()
            box = client.containers.get(settings.learner_names(s.id, name)["container"])
            r["idle_mib"] = round(box.stats(stream=False)["memory_stats"]["usage"] / 2**20)
            nb = L.notebook(LESSON)
            k = L.kernel(LESSON)
            for rep in (1, 2):
                t0 = time.monotonic()
                runs = k.run_notebook(nb, timeout=300)
                r[f"lesson{rep}_s"] = round(time.monotonic() - t0, 1)
                bad = [x for x in runs if x.status != "ok"]
                if bad:
                    r["error"] = f"cell {bad[0].index}: {bad[0].error or bad[0].status}"
                    break
            st = box.stats(stream=False)["memory_stats"]
            r["peak_mib"] = round(st.get("max_usage", st.get("usage", 0)) / 2**20)
            r["ok"] = "error" not in r
            k.ws.close()
        except Exception as err:  # recorded, not raised: the table shows who failed and why
            r["error"] = f"{type(err).__name__}: {err}"[:200]
        results[name] = r

    t0 = time.monotonic()
    with ThreadPoolExecutor(n) as pool:
        list(pool.map(learner, range(n)))
    wall = time.monotonic() - t0
    stop.set()
    load1 = os.getloadavg()[0]
    hub.stop(client, quiet=True, keep_image=keep)
    ok = [r for r in results.values() if r["ok"]]
    med = lambda xs: sorted(xs)[len(xs) // 2] if xs else None  # noqa: E731
    summary = {
        "learners": n, "succeeded": len(ok), "limit": mem, "cores": os.cpu_count(),
        "wall_s": round(wall, 1), "load1_after": round(load1, 1),
        "host_mem_added_gib": round((peak_host[0] - base_mem) / 2**30, 2),
        "median_spawn_s": med([r["spawn_s"] for r in ok]),
        "median_lesson_s": med([r["lesson2_s"] for r in ok]),
        "max_lesson_s": max((r["lesson2_s"] for r in ok), default=None),
        "median_idle_mib": med([r["idle_mib"] for r in ok]),
        "median_peak_mib": med([r["peak_mib"] for r in ok]),
        "per_learner": results,
    }
    out = ROOT / "test-artifacts" / f"workshop-load-{n}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary, indent=1))
    print(f"{n} learners at once ({mem} limit each, {os.cpu_count()} cores): "
          f"{len(ok)} ok in {wall:.0f} s; median spawn {summary['median_spawn_s']} s, "
          f"lesson {summary['median_lesson_s']} s (max {summary['max_lesson_s']} s); "
          f"idle {summary['median_idle_mib']} MiB, peak {summary['median_peak_mib']} MiB per "
          f"learner; host memory +{summary['host_mem_added_gib']} GiB; load {load1:.1f}")
    for name, r in sorted(results.items()):
        if not r["ok"]:
            print(f"  {name}: {r.get('error')}")
    return summary


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10, *(sys.argv[2:3]))
