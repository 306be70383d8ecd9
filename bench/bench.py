"""`make bench`: the course's set-up and run-time overheads, measured in one run.

Prints: the first run (`make lab` in a fresh clone, with and without a package
cache, until the course's URL is printed), warm set-up time (`make setup` with
everything present), lab-image check time, offline build time of the lab images
(into throw-away tags), and `docker run --rm` latency through the SDK and through
the CLI, bare and with the course's labels and per-session names, with the course's
overhead as a ratio.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import coursekit as ck
from coursekit.images import LAB_IMAGES, LabImage, ensure_image, ensure_images

ROOT = Path(__file__).resolve().parents[1]
N = 7


def timed(fn, n=N):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times)


def row(what, t, n=N):
    med, lo, hi = t
    print(f"{what:<56} {med * 1000:7.0f} ms  (median; min {lo * 1000:.0f}, max {hi * 1000:.0f}, n={n})")


def first_run(cold_cache: bool) -> float:
    """Seconds from `make lab` in a fresh clone of this repository to the printed URL
    (the engine and lab images already present, as on a learner's second course)."""
    import os
    import signal
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "course"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = dict(os.environ, COURSEKIT_LAB_TOKEN="bench")
        if cold_cache:
            env["UV_CACHE_DIR"] = str(Path(tmp) / "uv-cache")   # every package downloaded
        t0 = time.perf_counter()
        proc = subprocess.Popen(["make", "lab"], cwd=clone, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            for line in proc.stdout:
                if "The course is open at" in line:
                    return time.perf_counter() - t0
            raise RuntimeError("`make lab` ended without printing the course's URL")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


def main() -> int:
    client = ck.connect()
    print(f"engine: {client.version()['Version']}  session: {ck.session()}\n")
    for cold, cache in ((True, "no package cache"), (False, "package cache warm")):
        print(f"{'first run, `make lab` in a fresh clone, ' + cache:<56} {first_run(cold):7.1f} s   (target: 30 s)")
    row("warm set-up (`make setup`, all present)",
        timed(lambda: subprocess.run(["make", "-s", "setup"], cwd=ROOT, check=True,
                                     stdout=subprocess.DEVNULL), n=3), n=3)
    row("lab-image check (ensure_images, all present)",
        timed(lambda: ensure_images(client, quiet=True)))
    for tag, lab in LAB_IMAGES.items():
        bench_tag = f"coursekit-bench/{tag.split('/')[1].split(':')[0]}:{ck.session()}"
        tmp = LabImage(bench_tag, lab.upstream, lab.offline, lab.apt_package, lab.about)

        def build(nocache):
            ensure_image(client, tmp, offline=True, rebuild=True, quiet=True, nocache=nocache)
            client.images.remove(bench_tag)
        row(f"offline build of {tag}, no cache", timed(lambda: build(True), n=3), n=3)
        row(f"offline build of {tag}, layer cache warm", timed(lambda: build(False), n=3), n=3)

    def sdk_bare():
        client.containers.run(ck.BUSYBOX, "true", remove=True)

    def sdk_course():
        client.containers.run(ck.BUSYBOX, "true", remove=True, name=ck.name("bench"),
                              labels=ck.labels())

    def cli_bare():
        subprocess.run(["docker", "run", "--rm", ck.BUSYBOX, "true"], check=True)

    def cli_course():
        subprocess.run(["docker", "run", "--rm", "--name", ck.name("bench"),
                        *ck.cli_labels().split(), ck.BUSYBOX, "true"], check=True)

    sdk_bare()  # warm the engine's caches once
    results = {}
    for label, fn in (("docker run --rm, SDK, bare", sdk_bare),
                      ("docker run --rm, SDK, course labels + name", sdk_course),
                      ("docker run --rm, CLI, bare", cli_bare),
                      ("docker run --rm, CLI, course labels + name", cli_course)):
        results[label] = timed(fn)
        row(label, results[label])
    sdk = results["docker run --rm, SDK, course labels + name"][0] / \
        results["docker run --rm, SDK, bare"][0]
    cli = results["docker run --rm, CLI, course labels + name"][0] / \
        results["docker run --rm, CLI, bare"][0]
    print(f"\ncourse overhead (median, course / bare): SDK {sdk:.2f}x, CLI {cli:.2f}x")
    left = ck.cleanup(client=client)
    print(left)
    return 0


if __name__ == "__main__":
    sys.exit(main())
