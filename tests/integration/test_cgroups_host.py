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
