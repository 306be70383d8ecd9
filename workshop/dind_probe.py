"""Probe for issue #8 (not yet the workshop): can a learner get an isolated Docker
engine inside an *unprivileged* container on this kind of machine?

`--privileged` fails here ("unable to apply caps": CAP_SYS_RESOURCE is not in the
bounding set), so this builds an image from the host's own docker.io binaries (plus
their libraries) and starts dockerd in a container with explicit capabilities only.
Result on 2026-11-27: the inner engine answers and runs a container whose 32 MiB
memory limit is enforced.  Run: .venv/bin/python workshop/dind_probe.py (cleans up).
"""
import shutil, subprocess, os, time
from pathlib import Path
import coursekit as ck
from coursekit.images import build_context, parse_ldd
c = ck.connect()
bins = ["/usr/sbin/dockerd", "/usr/sbin/runc", "/usr/bin/containerd", "/usr/bin/containerd-shim-runc-v2", "/usr/bin/docker", "/bin/busybox"]
files = {}
for b in bins:
    p = shutil.which(os.path.basename(b)) or b
    files["rootfs/bin/" + os.path.basename(b)] = Path(os.path.realpath(p))
    out = subprocess.run(["ldd", p], capture_output=True, text=True).stdout
    for lib in parse_ldd(out):
        files["rootfs" + lib] = Path(os.path.realpath(lib))
df = "FROM scratch\nCOPY rootfs/ /\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nENV PATH=/bin\n"
img, _ = c.images.build(fileobj=build_context(df, files), custom_context=True, tag=ck.name("dind") + ":probe", labels=ck.labels(), rm=True)
print("image", img.short_id, img.attrs["Size"] // 2**20, "MiB")
box = c.containers.run(img.id, ["sh", "-c", "mkdir -p /tmp /run /var/lib/docker && mount -t tmpfs tmpfs /run 2>&1; mount -o remount,rw /sys 2>/tmp/m.log; mount -o remount,rw /sys/fs/cgroup 2>>/tmp/m.log; for d in /sys/fs/cgroup/*; do mount -o remount,bind,rw $d 2>>/tmp/m.log; done; dockerd --iptables=false --bridge=none --storage-driver=vfs --host unix:///run/docker.sock > /tmp/d.log 2>&1 & sleep 600"],
    detach=True, cap_add=["SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "MKNOD", "SYS_CHROOT", "SETFCAP", "DAC_OVERRIDE"],
    security_opt=["seccomp=unconfined", "apparmor=unconfined"], cgroupns="private",
    tmpfs={"/var/lib/docker": "exec,size=1g"}, name=ck.name("dind"), labels=ck.labels())
for i in range(40):
    r = box.exec_run("docker -H unix:///run/docker.sock version --format '{{.Server.Version}}'")
    if r.exit_code == 0: print("inner engine:", r.output.decode().strip()); break
    time.sleep(0.5)
else:
    print(box.exec_run("tail -15 /tmp/d.log").output.decode())
import subprocess
subprocess.run(f"docker save {ck.BUSYBOX} | docker exec -i {box.name} docker -H unix:///run/docker.sock load", shell=True)
r = box.exec_run("docker -H unix:///run/docker.sock run --rm --network none -m 32m coursekit/busybox:1 sh -c 'echo hello from the inner engine; cat /sys/fs/cgroup/memory/memory.limit_in_bytes'")
print("inner run:", r.exit_code, r.output.decode()[-300:]); print(box.exec_run("cat /tmp/m.log").output.decode()[:600])
box.remove(force=True); c.images.remove(img.id, force=True); print(ck.cleanup())
