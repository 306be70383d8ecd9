"""cgroups.read_on_host: one helper reads each container's limit from the host side."""
import coursekit as ck
from coursekit import cgroups


def test_read_on_host_finds_each_containers_limit(client):
    limit_file = "memory.max" if client.info()["CgroupVersion"] == "2" else "memory.limit_in_bytes"
    boxes = [client.containers.run(ck.BUSYBOX, "sleep 60", detach=True, mem_limit=m,
                                   name=ck.name(f"readhost-{i}"), labels=ck.labels())
             for i, m in enumerate(["48m", "64m"])]
    try:
        found = cgroups.read_on_host(client, boxes, limit_file)
        assert [found[b][1] for b in boxes] == [str(48 * 2**20), str(64 * 2**20)]
        for b in boxes:
            assert b.id in found[b][0] and found[b][0].startswith("/host/cgroup/")
    finally:
        for b in boxes:
            b.remove(force=True)


SPIN = "while [ $(t) -lt $END ]; do :; done; echo $(( $(u) - u0 ))"


def _spin(client, ver, seconds, **limits):
    """A container that spins for ``seconds`` and prints the CPU µs it used meanwhile."""
    script = ("t() { read s _ < /proc/uptime; echo ${s%.*}${s#*.}; }; " + cgroups.CPU_USED[ver]
              + f"END=$(( $(t) + {seconds * 100} )); u0=$(u); " + SPIN)
    return client.containers.run(ck.BUSYBOX, ["sh", "-c", script], detach=True,
                                 name=ck.name("spin"), labels=ck.labels(), **limits)


def test_a_busy_machine_makes_a_cpu_race_inconclusive(client):
    """The lesson's CPU race must say "inconclusive", not False, when other work kept a
    racer from its quota: idle, a 0.5-CPU racer gets its quota; under heavy,
    heavier-weighted load on every CPU it does not, and that is detected."""
    ver = cgroups.version(client)
    lim = {"nano_cpus": 500_000_000}
    with cgroups.measurement_lock():
        idle = _spin(client, ver, 2, **lim)
        idle.wait()
        used = int(idle.logs().split()[-1])
        idle.remove()
        assert cgroups.got_their_cpu([lim], [used], 2), f"idle machine: only {used} µs of 1e6"
        ncpu = client.info()["NCPU"]
        hogs = [client.containers.run(ck.BUSYBOX, ["sh", "-c", "while :; do :; done"], detach=True,
                                      name=ck.name(f"hog-{i}"),
                                      labels=ck.labels()) for i in range(2 * ncpu)]
        try:
            busy = _spin(client, ver, 2, cpu_shares=2, **lim)
            busy.wait()
            used_busy = int(busy.logs().split()[-1])
            busy.remove()
        finally:
            for h in hogs:
                h.remove(force=True)
    assert not cgroups.got_their_cpu([lim], [used_busy], 2), f"busy machine, yet {used_busy} µs"
    print(f"\n0.5-CPU racer over 2 s: idle {used / 1e6:.2f} CPU-s, under load {used_busy / 1e6:.2f} CPU-s")
