#!/usr/bin/env bash
# Test host `v2vm`: the course's reference host.  A Debian 13 (trixie) VM under qemu
# with cgroup v2, the systemd cgroup driver and Docker 26, reached from this machine
# the way a learner reaches an engine in a VM (as Docker Desktop's is):
#   - the engine through a Unix socket here (mode 660, group docker), forwarded by
#     socat to the engine's TCP socket in the VM;
#   - ports that containers publish at the engine host's address, 192.168.76.2 (a
#     host-only tap link: this machine is 192.168.76.1);
#   - bind mounts for paths under /var/tmp/coursekit-share, shared with the VM at the
#     same path (9p, passthrough), like Docker Desktop's file sharing.
#
#   v2vm.sh build    build the VM's disk from the Debian mirror, or reuse the cached one
#                    (/var/cache/coursekit-hosts/v2vm/<hash of the build recipe>/)
#   v2vm.sh start    build if needed, boot, wait until its engine answers (idempotent)
#   v2vm.sh status   running or not (exit 3); engine version, cgroup version and driver
#   v2vm.sh stop     power off and remove everything `start` made here (idempotent)
#   v2vm.sh env      the variables a test run evals to use this host
#
# /dev/kvm here does not boot stock kernels, so qemu emulates the CPU (TCG): a boot
# takes ~35 s and a `docker run` a few seconds.  The notebooks and the Docker CLI run on
# this machine; only the engine runs in the VM.  Every boot starts from a fresh qcow2
# overlay over the cached disk, so each run sees a clean engine and the cache stays
# as built.
#
# Environment: V2VM_MEM (MiB, 3072), V2VM_BOOT_TIMEOUT (s, 300), V2VM_TCG_THREADS (multi),
# COURSEKIT_DEBIAN_MIRROR (http://deb.debian.org/debian), COURSEKIT_HOSTS_CACHE.
set -euo pipefail

NAME=v2vm
CACHE=${COURSEKIT_HOSTS_CACHE:-/var/cache/coursekit-hosts}/$NAME
RUN=/run/coursekit-hosts/$NAME          # pid files, sockets, console log
STATE=/var/lib/coursekit-hosts/$NAME     # the per-run overlay disk (grows with images)
SOCK=$RUN/docker.sock
REMAP_SOCK=$RUN/remap.sock   # the second engine, with userns-remap
SHARE=/var/tmp/coursekit-share
TAP=ckv2vm0
HOST_IP=192.168.76.1
VM_IP=192.168.76.2
MAC=52:54:00:76:00:02
MIRROR=${COURSEKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
MEM=${V2VM_MEM:-3072}
CPU=${V2VM_CPU:-qemu64}   # see tests/hosts/README.md (qemu64 emulates ~25 % faster than max)
TCG_THREADS=${V2VM_TCG_THREADS:-multi}
TB_SIZE=${V2VM_TB_SIZE:-2048}
REMAP_PORT=2376   # the second engine (userns-remap), see configure_rootfs
REMAP_LINK=192.168.78        # its network namespace's link to the VM's (a /30; not engine26's .77)
REMAP_SUBNETS=172.31.0.0/16  # learners' networks on it, routed from this machine
API_GUARD="-o ckv2vm0 -p tcp -m multiport --dports 2375,$REMAP_PORT -m owner ! --uid-owner 0 -j REJECT --reject-with tcp-reset"
BOOT_TIMEOUT=${V2VM_BOOT_TIMEOUT:-300}
# What the VM is made of.  docker-cli is only a Recommends of docker.io in trixie;
# apparmor too, and without apparmor_parser Docker cannot load its docker-default
# profile on a kernel with AppArmor on (Debian's), so containers would not start.
# e2fsprogs: mkfs.ext4, for a workshop's per-learner disks (coursekit/instructor/learners.py).
PACKAGES=systemd-sysv,udev,dbus,linux-image-amd64,docker.io,docker-cli,containerd,runc,tini,iptables,iproute2,kmod,ca-certificates,apparmor,procps,e2fsprogs

say() { echo "v2vm: $*"; }
die() { echo "v2vm: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------
# The build recipe.  Its hash (the package list, the addresses, and the text of the
# two functions below) names the cache folder, so editing the recipe rebuilds.

recipe_hash() {
  { echo "trixie minbase $PACKAGES $VM_IP $MAC $SHARE $REMAP_PORT $REMAP_LINK $REMAP_SUBNETS"
    declare -f configure_rootfs make_disk; } | sha256sum | cut -c1-16
}

# Inside the new root file system: network, the engine's TCP socket, the shared folder.
configure_rootfs() {
  local r=$1
  echo ckv2vm > "$r/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 ckv2vm\n' > "$r/etc/hosts"
  # A fixed machine id: no "first boot" (presets, firstboot prompts) on every start.
  tr -d - < /proc/sys/kernel/random/uuid > "$r/etc/machine-id"
  # The host-only link, matched by the MAC that `start` gives the virtio NIC.  No
  # gateway: the VM needs no internet (a pull fails at once instead of timing out).
  mkdir -p "$r/etc/systemd/network"
  cat > "$r/etc/systemd/network/10-ckv2vm.network" <<EOF
[Match]
MACAddress=$MAC
[Network]
Address=$VM_IP/24
LinkLocalAddressing=no
EOF
  chroot "$r" systemctl enable systemd-networkd.service >/dev/null 2>&1
  # The engine listens on its Unix socket and on the host-only address (dockerd runs
  # with -H fd://, so it serves every socket systemd hands it).  FreeBind: the socket
  # can be bound before networkd has put the address on the link.
  mkdir -p "$r/etc/systemd/system/docker.socket.d" "$r/etc/systemd/system/docker.service.d"
  cat > "$r/etc/systemd/system/docker.socket.d/tcp.conf" <<EOF
[Socket]
ListenStream=$VM_IP:2375
FreeBind=true
EOF
  # Docker starts after the shared folder is mounted, so bind mounts under it work.
  cat > "$r/etc/systemd/system/docker.service.d/share.conf" <<EOF
[Unit]
RequiresMountsFor=$SHARE
EOF
  mkdir -p "$r$SHARE"
  chmod 1777 "$r$SHARE"
  cat > "$r/etc/fstab" <<EOF
/dev/vda / ext4 rw,errors=remount-ro 0 1
ckshare $SHARE 9p trans=virtio,version=9p2000.L,msize=262144 0 0
EOF
  printf '9p\n9pnet_virtio\n' > "$r/etc/modules-load.d/ckv2vm-9p.conf"
  # systemd-tmpfiles must never age files out of the shared folder (it is the host's).
  echo "x $SHARE" > "$r/etc/tmpfiles.d/ckv2vm-share.conf"
  # One line on the serial console when the boot is over: what failed, if anything.
  cat > "$r/etc/systemd/system/ckv2vm-report.service" <<'EOF'
[Unit]
Description=Report the boot on the console
After=multi-user.target docker.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "ckv2vm: boot over; docker $(systemctl is-active docker); failed units: $(systemctl --failed --no-legend --plain | cut -d" " -f1 | tr "\\n" " ")"'
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
EOF
  chroot "$r" systemctl enable ckv2vm-report.service >/dev/null 2>&1
  # A second engine with "userns-remap" beside the main one (the security lesson shows
  # what it changes; the workshop's isolated-host suite runs a whole room on it): its
  # own data, exec root and containerd namespace, and its own network namespace
  # (ckremap), so it cannot touch the main engine's docker0 or iptables chains.
  # Entered with nsenter --net, not systemd's PrivateNetwork= or `ip netns exec`: those
  # also give it its own mount namespace, where the containers' root file systems would
  # be mounted out of containerd's sight (runc then finds an empty root: "stat
  # /bin/busybox").  systemd listens for it (on the host-only address) and starts it on
  # the first connection.
  mkdir -p "$r/etc/docker-remap"
  cat > "$r/etc/docker-remap/daemon.json" <<EOF
{"userns-remap": "default", "data-root": "/var/lib/docker-remap",
 "exec-root": "/run/docker-remap", "pidfile": "/run/docker-remap.pid",
 "containerd": "/run/containerd/containerd.sock", "containerd-namespace": "remap",
 "containerd-plugins-namespace": "remap-plugins"}
EOF
  # Its namespace has one routed link to the VM's own ($REMAP_LINK.1 here, .2 there),
  # for a workshop hub on the host ($HOST_IP): the host routes $REMAP_SUBNETS (the
  # learners' networks on this engine) to the VM, the VM to the link; the learners'
  # servers reach the hub and nothing else -- not the VM, not its main engine's API.
  cat > "$r/usr/local/sbin/ckv2vm-remap-net" <<EOF
#!/bin/sh
set -e
ip netns add ckremap
ip link add ckr0 type veth peer name ckr1 netns ckremap
ip addr add $REMAP_LINK.1/30 dev ckr0
ip link set ckr0 up
ip -n ckremap link set lo up
ip -n ckremap addr add $REMAP_LINK.2/30 dev ckr1
ip -n ckremap link set ckr1 up
ip -n ckremap route add default via $REMAP_LINK.1
ip route add $REMAP_SUBNETS via $REMAP_LINK.2
sysctl -qw net.ipv4.ip_forward=1
iptables -I INPUT 1 -i ckr0 -j DROP
iptables -I FORWARD 1 -i ckr0 -d $HOST_IP -j ACCEPT
iptables -I FORWARD 2 -o ckr0 -s $HOST_IP -j ACCEPT
iptables -I FORWARD 3 -i ckr0 -j DROP
iptables -I FORWARD 4 -o ckr0 -j DROP
iptables -t nat -A POSTROUTING -s $REMAP_LINK.2 -d $HOST_IP -j MASQUERADE
EOF
  chmod 755 "$r/usr/local/sbin/ckv2vm-remap-net"
  cat > "$r/etc/systemd/system/ckv2vm-remap-net.service" <<'EOF'
[Unit]
Description=The second engine's network namespace and its link to the host's hub
Before=ckv2vm-remap.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/ckv2vm-remap-net
EOF
  cat > "$r/etc/systemd/system/ckv2vm-remap.socket" <<EOF
[Unit]
Description=The second engine's API (userns-remap)
[Socket]
ListenStream=$VM_IP:$REMAP_PORT
FreeBind=true
[Install]
WantedBy=sockets.target
EOF
  # Once the engine is ready (DOCKER-USER exists), only the host may open connections
  # from the link into the learners' networks; the networks stay apart from each other.
  cat > "$r/etc/systemd/system/ckv2vm-remap.service" <<EOF
[Unit]
Description=A second Docker engine, with userns-remap, in its own network namespace
Requires=ckv2vm-remap.socket ckv2vm-remap-net.service
After=containerd.service ckv2vm-remap-net.service
Wants=containerd.service
[Service]
Type=notify
ExecStart=/usr/bin/nsenter --net=/run/netns/ckremap -- /usr/sbin/dockerd -H fd:// --config-file /etc/docker-remap/daemon.json
ExecStartPost=/usr/bin/nsenter --net=/run/netns/ckremap -- iptables -I DOCKER-USER -i ckr1 -s $HOST_IP -j ACCEPT
Delegate=yes
KillMode=process
EOF
  chroot "$r" systemctl enable ckv2vm-remap.socket >/dev/null 2>&1
  # qemu's multi-threaded TCG and the kernel patching its own code do not mix: a vCPU
  # now and then ran a breakpoint byte the other vCPU had just patched away ("Oops:
  # int3" in __set_next_task_fair, then a panic), at the jump of the static key
  # __cfs_bandwidth_used, which flips when the first cgroup gets a CPU quota (a
  # container with --cpus) and back when the last one goes.  A unit that holds a
  # quota from boot on keeps that key on, so it never flips while containers run.
  # (400% on 2 vCPUs limits nothing.)
  cat > "$r/etc/systemd/system/ckv2vm-cfs-key.service" <<'EOF'
[Unit]
Description=Hold a CPU quota so that the CFS bandwidth static key never flips (qemu TCG)
DefaultDependencies=no
Before=docker.service containerd.service
[Service]
ExecStart=/bin/sleep infinity
CPUQuota=400%
[Install]
WantedBy=multi-user.target
EOF
  chroot "$r" systemctl enable ckv2vm-cfs-key.service >/dev/null 2>&1
  # Nothing in the VM waits for a network that will not come, or runs cron-like jobs.
  # apparmor.service would compile the ~100 profiles of /etc/apparmor.d at every boot
  # (no cache on a fresh overlay): 25 s under TCG.  AppArmor stays on in the kernel,
  # and dockerd loads its own docker-default profile, which confines the containers.
  chroot "$r" systemctl mask systemd-networkd-wait-online.service apt-daily.timer \
    apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer \
    apparmor.service >/dev/null 2>&1 || true
  # A small initrd: only what mounts the virtio root disk (the default, MODULES=most,
  # makes the emulated kernel unpack and probe hundreds of modules).
  echo MODULES=list > "$r/etc/initramfs-tools/conf.d/ckv2vm.conf"
  printf '%s\n' virtio_pci virtio_blk ext4 crc32c_generic crc32c_intel >> "$r/etc/initramfs-tools/modules"
  chroot "$r" update-initramfs -u -k all >/dev/null 2>&1
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
}

# The disk: an ext4 image made straight from the tree (no loop mount), sparse, plus
# copies of the kernel and initrd that qemu boots directly.
make_disk() {
  local r=$1 out=$2
  cp "$(ls "$r"/boot/vmlinuz-* | sort -V | tail -1)" "$out/vmlinuz"
  cp "$(ls "$r"/boot/initrd.img-* | sort -V | tail -1)" "$out/initrd.img"
  mkfs.ext4 -q -F -L ckv2vm -d "$r" "$out/disk.img" 8G > /dev/null
}
# ---------------------------------------------------------------------------------

# Remove a build tree: first unmount whatever a failed debootstrap left mounted in it
# (proc, sys), and never cross into another file system.
remove_tree() {
  [ -d "$1" ] || return 0
  local m
  for m in $(awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" || true
  done
  rm -rf --one-file-system "$1"
}

need_tools() {
  local missing=()
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  command -v qemu-img >/dev/null || missing+=(qemu-utils)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v socat >/dev/null || missing+=(socat)
  command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs)
  command -v curl >/dev/null || missing+=(curl)
  command -v iptables >/dev/null || missing+=(iptables)
  [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (apt)"
    local log=/tmp/coursekit-v2vm-apt.log
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
        > $log 2>&1; } \
      || { apt-get update -q >> $log 2>&1 &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
             "${missing[@]}" >> $log 2>&1; } \
      || { tail -20 $log; die "could not install ${missing[*]}"; }
  fi
  # Old debootstraps know trixie only as a link to the `sid` script.
  local s=/usr/share/debootstrap/scripts
  [ -e $s/trixie ] || ln -s sid $s/trixie
}

build() {
  need_tools
  mkdir -p "$CACHE"
  # One build at a time (`make test` builds in the background while `start` may wait).
  exec 8> "$CACHE/.build.lock"
  flock 8
  local h; h=$(recipe_hash)
  if [ -f "$CACHE/$h/disk.img" ] && [ -f "$CACHE/$h/vmlinuz" ] && [ -f "$CACHE/$h/initrd.img" ]; then
    say "disk cached ($CACHE/$h, built $(cat "$CACHE/$h/built" 2>/dev/null || echo '?'))"
    exec 8>&-; return 0
  fi
  local t0 t1 t2; t0=$(date +%s)
  work=$CACHE/build-$$
  remove_tree "$work"; mkdir -p "$work/out"
  trap 'remove_tree "$work"' EXIT
  say "debootstrap trixie with Docker 26 from $MIRROR (1-2 minutes)"
  if ! debootstrap --variant=minbase --include="$PACKAGES" \
       --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
       trixie "$work/root" "$MIRROR" > "$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log"
    cp "$work/debootstrap.log" /tmp/coursekit-v2vm-debootstrap.log
    die "debootstrap failed (log: /tmp/coursekit-v2vm-debootstrap.log)"
  fi
  t1=$(date +%s)
  say "debootstrap took $(( t1 - t0 )) s ($(du -sh "$work/root" | cut -f1))"
  configure_rootfs "$work/root"
  make_disk "$work/root" "$work/out"
  t2=$(date +%s)
  say "disk image made in $(( t2 - t1 )) s"
  echo "$(date -u +%FT%TZ), debootstrap $(( t1 - t0 )) s, disk $(( t2 - t1 )) s" > "$work/out/built"
  find "$CACHE" -mindepth 1 -maxdepth 1 -regextype posix-extended -regex ".*/[0-9a-f]{16}" \
    -exec rm -rf {} +   # the disks of older recipes (not build-* folders)
  mv "$work/out" "$CACHE/$h"
  remove_tree "$work"; trap - EXIT
  exec 8>&-
  say "disk built in $(( t2 - t0 )) s"
}

# --- the running VM --------------------------------------------------------------

# A pid from a pid file, only if that process is still the one we started.
live_pid() {  # live_pid FILE WORD
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && grep -qa -- "$2" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}
qemu_pid() { live_pid "$RUN/qemu.pid" "ckv2vm"; }
socat_pid() { live_pid "$RUN/socat.pid" "UNIX-LISTEN:$SOCK"; }
remap_socat_pid() { live_pid "$RUN/remap-socat.pid" "UNIX-LISTEN:$REMAP_SOCK"; }

engine_up() {
  [ -S "$SOCK" ] && [ "$(curl -s -m 5 --unix-socket "$SOCK" http://v2vm/_ping 2>/dev/null)" = OK ]
}

engine_info() {
  docker -H "unix://$SOCK" info --format "$1"
}

# One start/stop at a time (the lock lives in the cache, which outlives the runs).
lock_runs() { mkdir -p "$CACHE"; exec 9> "$CACHE/.run.lock"; flock 9; }

# One boot: a fresh overlay over the cached disk, qemu, and the socket to its engine.
boot_once() {  # boot_once RECIPE-HASH
  local h=$1
  # A fresh overlay over the cached disk: a clean engine each run, a pristine cache.
  rm -f "$STATE/overlay.qcow2"
  qemu-img create -q -f qcow2 -b "$CACHE/$h/disk.img" -F raw "$STATE/overlay.qcow2"
  : > "$RUN/console.log"
  # TCG (no usable KVM here); panic=1 + -no-reboot: a kernel panic ends qemu at once.
  # thread=multi: a host thread per vCPU.  thread=single (V2VM_TCG_THREADS) cannot
  # race (see ckv2vm-cfs-key.service) but ran the notebooks 1.5-4x slower here.
  # tb-size: the emulator's cache of translated code, in MiB; 2048 is the most QEMU 7.2
  # takes.  At the default (1 GiB) a boot, the lab images and the 15 solution notebooks
  # flushed it 11 times (`info jit`), and each flush retranslates everything; at 2 GiB a
  # whole `make test` (boot, images, boundary suite, notebooks) flushed it 16 times.
  qemu-system-x86_64 -name ckv2vm -machine q35 -accel "tcg,thread=$TCG_THREADS,tb-size=$TB_SIZE" -cpu "$CPU" -smp 2 \
    -m "$MEM" -no-reboot \
    -kernel "$CACHE/$h/vmlinuz" -initrd "$CACHE/$h/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 quiet panic=1 mitigations=off" \
    -drive "file=$STATE/overlay.qcow2,if=virtio,format=qcow2,cache=unsafe,discard=unmap" \
    -netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=n0,mac=$MAC" \
    -virtfs "local,path=$SHARE,mount_tag=ckshare,security_model=passthrough,id=ckshare" \
    -device virtio-rng-pci \
    -nodefaults -display none -serial "file:$RUN/console.log" -monitor "unix:$RUN/monitor.sock,server,nowait" \
    -pidfile "$RUN/qemu.pid" -daemonize 9>&-   # 9: the run lock, not for qemu to keep
  # The engine, as a Unix socket on this machine for members of the docker group.
  # -t: after one side of a connection ends, keep the other open until it ends too
  # (the default, 0.5 s, cuts off `docker run`'s output: the CLI half-closes its side
  # of the attach stream at once, and a container's output comes seconds later).
  setsid socat -t 86400 "UNIX-LISTEN:$SOCK,fork,unlink-early,mode=660,user=root,group=docker" \
    "TCP:$VM_IP:2375" > "$RUN/socat.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$RUN/socat.pid"
  # The second engine (userns-remap; see configure_rootfs), the same way.
  setsid socat -t 86400 "UNIX-LISTEN:$REMAP_SOCK,fork,unlink-early,mode=660,user=root,group=docker" \
    "TCP:$VM_IP:$REMAP_PORT" > "$RUN/remap-socat.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$RUN/remap-socat.pid"
  say "booting (qemu pid $(cat "$RUN/qemu.pid"), console log $RUN/console.log)"
  # Wait for the engine: 0 when it answers, 2 if qemu dies, 1 after the deadline.
  local deadline=$(( $(date +%s) + BOOT_TIMEOUT ))
  until engine_up; do
    if ! qemu_pid >/dev/null; then
      kill "$(socat_pid)" 2>/dev/null || true
      return 2
    fi
    [ "$(date +%s)" -ge $deadline ] && return 1
    sleep 0.5
  done
}

start() {
  if qemu_pid >/dev/null && engine_up; then
    say "already running and healthy (qemu pid $(qemu_pid), engine at $SOCK)"; return 0
  fi
  if qemu_pid >/dev/null || [ -d "$RUN" ]; then
    say "left-overs of an earlier start (engine not answering): stopping them first"; stop
  fi
  build
  local h t0; h=$(recipe_hash); t0=$(date +%s)
  mkdir -p "$RUN" "$STATE" "$SHARE"
  chmod 755 /run/coursekit-hosts "$RUN"   # the learner reaches the socket inside
  chmod 1777 "$SHARE"
  groupadd -f docker
  # A host-only link: this machine is 192.168.76.1, the VM 192.168.76.2; no IPv6.
  ip link show "$TAP" >/dev/null 2>&1 || ip tuntap add dev "$TAP" mode tap
  sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1" || true
  ip addr replace "$HOST_IP/24" dev "$TAP"
  ip link set "$TAP" up
  # The learners' networks on the second engine, for a workshop hub here (configure_rootfs)
  ip route replace "$REMAP_SUBNETS" via "$VM_IP" dev "$TAP"
  # Only this machine may talk to the VM: nothing is forwarded to or from it (the
  # containers of this machine's own engine must not reach the VM's engine API).
  iptables -C FORWARD -o "$TAP" -j DROP 2>/dev/null || iptables -I FORWARD -o "$TAP" -j DROP
  iptables -C FORWARD -i "$TAP" -j DROP 2>/dev/null || iptables -I FORWARD -i "$TAP" -j DROP
  # The VM's engine API has no authentication: only root (socat, for the docker group's
  # socket) may open it.  Any other local user is refused, as with a root-owned socket.
  iptables -C OUTPUT $API_GUARD 2>/dev/null || iptables -I OUTPUT $API_GUARD
  local attempt rc
  for attempt in 1 2 3; do
    boot_once "$h" && rc=0 || rc=$?
    [ $rc = 0 ] && break
    # The kernel patches a static key while the other vCPU runs the patched code:
    # multi-threaded TCG can then run the int3 the kernel leaves there (tests/hosts/
    # README.md, "the VM died"). It strikes at boot too, when ckv2vm-cfs-key.service
    # sets the first CPU quota; a fresh boot is unaffected by the failed one.
    if [ $rc = 2 ] && grep -q "Oops: int3" "$RUN/console.log" && [ $attempt -lt 3 ]; then
      cp "$RUN/console.log" "$RUN/console-boot$attempt.log"
      say "boot $attempt died in the emulator's code-patching race ($(grep -o 'RIP: [^ ]*' "$RUN/console.log" | head -1); console kept in $RUN/console-boot$attempt.log): booting again"
      continue
    fi
    echo "--- last lines of the VM's console:"; tail -n 40 "$RUN/console.log" >&2
    stop >/dev/null 2>&1 || true
    [ $rc = 2 ] && die "qemu exited during the boot (console log above)"
    die "the VM's engine did not answer within $BOOT_TIMEOUT s (console log above)"
  done
  say "booted in $(( $(date +%s) - t0 )) s: $(engine_info 'Docker {{.ServerVersion}}, cgroup v{{.CgroupVersion}} ({{.CgroupDriver}} driver), kernel {{.KernelVersion}}')"
  # The second engine starts on its first connection: start it now, not in a lesson.
  t0=$(date +%s)
  local opts
  opts=$(docker -H "unix://$REMAP_SOCK" info --format '{{.SecurityOptions}}' 2>&1) \
    || die "the second engine (userns-remap) did not answer: $opts"
  [[ $opts == *name=userns* ]] || die "the second engine does not remap users: $opts"
  say "second engine (userns-remap) up in $(( $(date +%s) - t0 )) s at $REMAP_SOCK"
}

status() {
  local pid
  if pid=$(qemu_pid); then
    say "running (qemu pid $pid, socat pid $(socat_pid || echo none), engine at $SOCK)"
    if engine_up; then
      engine_info 'v2vm: engine {{.ServerVersion}}, CgroupVersion {{.CgroupVersion}}, CgroupDriver {{.CgroupDriver}}, {{.OperatingSystem}}, kernel {{.KernelVersion}}'
      # The emulator's code cache: how full, and how often it was thrown away.
      echo 'info jit' | timeout 5 socat - "UNIX-CONNECT:$RUN/monitor.sock" 2>/dev/null | tr -d '\r' \
        | awk '/gen code size/ { split($4, a, "/"); u = a[1] / 2^20; t = a[2] / 2^20 }
               /TB flush count/ { f = $4 }
               END { if (t) printf "v2vm: emulator code cache %d of %d MiB used, flushed %d times\n", u, t, f }'
    else
      say "its engine does not answer"; return 1
    fi
  else
    say "not running"
    # qemu gone while its run folder is still here: the VM died (a panic ends qemu).
    if [ -s "$RUN/console.log" ]; then
      say "it died; the end of its console ($RUN/console.log):"
      grep -E "Oops|BUG|panic|RIP:|Comm:|Out of memory|Killed process" "$RUN/console.log" | tail -n 12 || true
      tail -n 3 "$RUN/console.log"
    fi
    return 3
  fi
}

stop() {
  local pid stopped=no
  if pid=$(qemu_pid); then
    # The overlay is thrown away, so no clean shutdown is needed: qemu exits on TERM.
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    stopped=yes
  fi
  # socat and the children it forked for open connections (its own process group).
  for pid in $(socat_pid) $(remap_socat_pid); do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  while iptables -D FORWARD -o "$TAP" -j DROP 2>/dev/null; do :; done
  while iptables -D FORWARD -i "$TAP" -j DROP 2>/dev/null; do :; done
  while iptables -D OUTPUT $API_GUARD 2>/dev/null; do :; done
  if ip link show "$TAP" >/dev/null 2>&1; then ip link del "$TAP"; fi
  if [ -s "$RUN/console.log" ]; then cp "$RUN/console.log" /tmp/coursekit-v2vm-console.log; fi
  rm -rf "$RUN" "$STATE"
  rmdir /run/coursekit-hosts 2>/dev/null || true
  if [ $stopped = yes ]; then
    say "stopped; nothing of it is left here (its console log: /tmp/coursekit-v2vm-console.log)"
  else
    say "not running; nothing of it is left here"
  fi
}

env_lines() {
  echo "export DOCKER_HOST=unix://$SOCK"
  echo "export COURSEKIT_ENGINE_ADDRESS=$VM_IP"
  echo "export COURSEKIT_SHARED_DIR=$SHARE"
  echo "export COURSEKIT_USERNS_HOST=unix://$REMAP_SOCK"
  # a workshop hub here with its learners on the second engine: where they reach it,
  # and the networks this machine routes to them (WORKSHOP_HUB_IP, WORKSHOP_SUBNETS)
  echo "export COURSEKIT_USERNS_HUB_IP=$HOST_IP"
  echo "export COURSEKIT_USERNS_SUBNETS=$REMAP_SUBNETS"
}

case ${1:-} in
  env) env_lines; exit 0 ;;
  build|start|status|stop) [ "$(id -u)" = 0 ] || die "run as root (it makes a tap device and a VM)" ;;
  *) echo "usage: $0 build|start|status|stop|env" >&2; exit 2 ;;
esac
case $1 in
  build) build ;;
  start) lock_runs; start ;;
  status) status ;;
  stop) lock_runs; stop ;;
esac
