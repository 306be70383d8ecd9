#!/usr/bin/env bash
# Test host "engine26": Docker 26.1 from Debian 13 (trixie) running BESIDE this
# machine's own engine, in its OWN network namespace, with its own socket,
# data-root, exec-root, containerd, cgroup parent and iptables.  See README.md.
#
#   engine26.sh start            # idempotent; downloads the trixie debs once
#   engine26.sh status           # version, API version, cgroup version, drivers
#   engine26.sh env              # DOCKER_HOST / COURSEKIT_ENGINE_ADDRESS to eval
#   engine26.sh stop [--purge]   # --purge also removes the data-root
#   engine26.sh check            # as the docker-group learner: build, run, publish
#
# The system engine (/var/run/docker.sock, docker0, its iptables chains) is never
# touched: dockerd 26 runs under `ip netns exec`, so its docker0 bridge and its
# iptables rules live in the namespace `ckengine26`.  The host reaches published
# ports at 192.168.77.2:PORT through a veth pair; the host's FORWARD chain drops
# everything to/from that veth, so the host's containers cannot reach it (and the
# engine's containers have no outbound network: build or `docker load` images).
set -euo pipefail

NAME=engine26
NETNS=ckengine26
VETH_HOST=ckeng26h
VETH_NS=ckeng26n
HOST_IP=192.168.77.1
NS_IP=192.168.77.2
CACHE=/var/cache/coursekit-hosts/$NAME          # downloaded debs + extracted root (kept)
ROOT=$CACHE/root
RUNDIR=/run/coursekit-hosts/$NAME               # socket, exec-root, pid, log (removed on stop)
DATA=/var/lib/coursekit-hosts/$NAME             # data-root (removed by stop --purge)
SOCK=$RUNDIR/docker.sock
PIDFILE=$RUNDIR/dockerd.pid
LOG=$RUNDIR/dockerd.log
CONF=$RUNDIR/daemon.json
PACKAGES=(docker.io containerd tini)            # runc: Debian 12's (trixie's needs glibc 2.38)
START_TIMEOUT=${ENGINE26_START_TIMEOUT:-90}
repo=$(cd "$(dirname "$0")/../.." && pwd)

say() { echo "engine26: $*"; }
die() { echo "engine26: ERROR: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (network namespace, dockerd)"; }

# `docker` against this engine only (never the system engine's socket).
d() { DOCKER_HOST=unix://$SOCK docker "$@"; }

dockerd_pid() {
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = dockerd ] && echo "$pid"
}

# The system engine's bridge, by what must not change: its index and addresses
# (not its carrier state, which follows others' containers).
docker0_id() { ip -o addr show dev docker0 2>/dev/null | awk '{print $1, $2, $3, $4}' | sort; }
SYSTEM_SOCK=/var/run/docker.sock

system_engine_check() {   # $1: docker0_id from before
  local after; after=$(docker0_id)
  [ "$1" = "$after" ] || { echo "engine26: ERROR: the system engine's docker0 changed!" >&2
    echo "  before: $1" >&2; echo "  after:  $after" >&2; return 1; }
  if [ -S $SYSTEM_SOCK ] && ! docker -H unix://$SYSTEM_SOCK ps >/dev/null 2>&1; then
    echo "engine26: ERROR: the system engine at $SYSTEM_SOCK no longer answers!" >&2; return 1
  fi
}

answers() { d version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# Poll CONDITION (a shell command) until true or TIMEOUT seconds; no fixed sleeps.
wait_for() {
  local timeout=$1; shift
  local deadline=$(( $(date +%s) + timeout ))
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

python_for_course() {
  if [ -x "$repo/.venv/bin/python" ]; then echo "$repo/.venv/bin/python"; else echo python3; fi
}

fetch() {
  if [ -x "$ROOT/usr/sbin/dockerd" ] && [ -x "$ROOT/usr/bin/containerd" ] \
     && [ -x "$ROOT/usr/bin/containerd-shim-runc-v2" ] && [ -e "$ROOT/usr/bin/docker-init" ] \
     && [ -x "$ROOT/usr/sbin/docker-proxy" ]; then
    return 0
  fi
  local t0; t0=$(now)
  say "downloading ${PACKAGES[*]} from Debian 13 (trixie) into $CACHE ..."
  rm -rf "$ROOT.new"
  (cd "$repo" && "$(python_for_course)" -m coursekit.debian fetch "$CACHE/debs" \
      "${PACKAGES[@]}" --extract "$ROOT.new") || die "download of the trixie packages failed"
  rm -rf "$ROOT" && mv "$ROOT.new" "$ROOT"
  say "downloaded and extracted in $(since "$t0") s"
}

runc_path() {
  local r
  for r in /usr/sbin/runc /usr/bin/runc; do [ -x "$r" ] && { echo "$r"; return; }; done
  die "Debian 12's runc is missing: apt-get install runc"
}

setup_network() {
  [ -e /run/netns/$NETNS ] || ip netns add $NETNS
  if ! ip link show $VETH_HOST >/dev/null 2>&1; then
    ip link add $VETH_HOST type veth peer name $VETH_NS netns $NETNS
  fi
  [[ $(ip -o -4 addr show dev $VETH_HOST) == *"inet $HOST_IP/"* ]] \
    || ip addr add $HOST_IP/24 dev $VETH_HOST
  ip link set $VETH_HOST up
  ip -n $NETNS link set lo up
  [[ $(ip -n $NETNS -o -4 addr show dev $VETH_NS) == *"inet $NS_IP/"* ]] \
    || ip -n $NETNS addr add $NS_IP/24 dev $VETH_NS
  ip -n $NETNS link set $VETH_NS up
  # Host containers (and anything routed) must not reach the namespace, nor it them.
  iptables -C FORWARD -o $VETH_HOST -j DROP 2>/dev/null || iptables -I FORWARD -o $VETH_HOST -j DROP
  iptables -C FORWARD -i $VETH_HOST -j DROP 2>/dev/null || iptables -I FORWARD -i $VETH_HOST -j DROP
}

teardown_network() {
  while iptables -C FORWARD -o $VETH_HOST -j DROP 2>/dev/null; do
    iptables -D FORWARD -o $VETH_HOST -j DROP; done
  while iptables -C FORWARD -i $VETH_HOST -j DROP 2>/dev/null; do
    iptables -D FORWARD -i $VETH_HOST -j DROP; done
  ip link del $VETH_HOST 2>/dev/null || true
  [ -e /run/netns/$NETNS ] && ip netns del $NETNS || true
}

write_config() {
  cat > "$CONF" <<EOF
{
  "userland-proxy-path": "$ROOT/usr/sbin/docker-proxy",
  "init-path": "$ROOT/usr/bin/docker-init",
  "features": {"containerd-snapshotter": false},
  "log-driver": "json-file",
  "max-concurrent-downloads": 3
}
EOF
}

start() {
  need_root
  local t0; t0=$(now)
  if dockerd_pid >/dev/null && answers; then
    say "already running (pid $(dockerd_pid)): $(d version --format '{{.Server.Version}}')"
    return 0
  fi
  if pid=$(dockerd_pid); then          # running but not answering: a stuck start
    say "dockerd pid $pid does not answer: stopping it first"
    stop_daemon
  fi
  command -v docker >/dev/null || die "no docker CLI on PATH"
  command -v iptables >/dev/null || die "no iptables (apt-get install iptables)"
  fetch
  local runc; runc=$(runc_path)
  local docker0_before; docker0_before=$(docker0_id)
  groupadd -f docker
  mkdir -p "$RUNDIR/exec" "$DATA"
  chmod 755 /run/coursekit-hosts "$RUNDIR"
  setup_network
  write_config
  : > "$LOG"
  # PATH: trixie's dockerd, docker-proxy, docker-init, containerd and shims first,
  # then Debian 12's runc and iptables.  `ip netns exec` gives the daemon a private
  # mount namespace (a slave of the host's) with a fresh /sys for the namespace,
  # which lacks the cgroup v1 mounts; a bind from the host's namespace is refused,
  # so mount the same hierarchies again (same superblocks) from the host's
  # /proc/PID/mounts before exec'ing dockerd.  Nothing of this shows on the host.
  cat > "$RUNDIR/in-netns.sh" <<'EOF2'
#!/bin/sh
set -e
host_pid=$1; shift
mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
while read -r src mnt type opts rest; do
  case $type in cgroup|cgroup2) ;; *) continue ;; esac
  case $mnt in /sys/fs/cgroup/*) ;; *) continue ;; esac
  mkdir -p "$mnt"
  mount -t "$type" -o "$opts" "$src" "$mnt"
done < "/proc/$host_pid/mounts"
exec dockerd "$@"
EOF2
  say "starting dockerd 26 in network namespace $NETNS (log: $LOG) ..."
  setsid -w env -i PATH="$ROOT/usr/sbin:$ROOT/usr/bin:$(dirname "$runc"):/usr/sbin:/usr/bin:/sbin:/bin" \
    HOME=/root LANG=C.UTF-8 \
    ip netns exec $NETNS sh "$RUNDIR/in-netns.sh" $$ \
      --host "unix://$SOCK" --group docker \
      --data-root "$DATA" --exec-root "$RUNDIR/exec" \
      --pidfile "$PIDFILE" --config-file "$CONF" \
      --cgroup-parent /$NETNS \
      >>"$LOG" 2>&1 </dev/null &
  local launcher=$!
  # Up when the socket answers; failed when the launcher (ip netns exec -> dockerd) exits.
  if ! wait_for "$START_TIMEOUT" sh -c "! kill -0 $launcher 2>/dev/null || DOCKER_HOST=unix://$SOCK docker version >/dev/null 2>&1" \
     || ! kill -0 "$launcher" 2>/dev/null || ! answers; then
    if kill -0 "$launcher" 2>/dev/null; then
      echo "engine26: ERROR: dockerd 26 did not answer within ${START_TIMEOUT} s; stopping it" >&2
      kill "$launcher" 2>/dev/null || true
    else
      echo "engine26: ERROR: dockerd 26 exited during start-up ($(since "$t0") s)" >&2
    fi
    echo "engine26: last lines of $LOG:" >&2
    tail -n 25 "$LOG" | sed 's/^/    /' >&2
    echo "engine26: clean up with: $0 stop" >&2
    exit 1
  fi
  system_engine_check "$docker0_before" || exit 1
  say "started in $(since "$t0") s: $(d version --format 'Docker {{.Server.Version}} (API {{.Server.APIVersion}})') at unix://$SOCK, ports at $NS_IP"
}

# TERM dockerd, wait for it, then end whatever still runs in the namespace
# (containerd, shims, docker-proxy: all of them are this engine's).
stop_daemon() {
  local pid
  if pid=$(dockerd_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 40 sh -c "[ \"\$(cat /proc/$pid/comm 2>/dev/null)\" != dockerd ]" \
      || { say "dockerd $pid ignored TERM for 40 s: KILL"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  if [ -e /run/netns/$NETNS ]; then
    local left; left=$(ip netns pids $NETNS 2>/dev/null | tr '\n' ' ')
    if [ -n "${left// /}" ]; then
      kill -TERM $left 2>/dev/null || true
      wait_for 15 sh -c "[ -z \"\$(ip netns pids $NETNS)\" ]" \
        || kill -KILL $(ip netns pids $NETNS) 2>/dev/null || true
    fi
  fi
}

stop() {
  need_root
  local purge=${1:-}
  local t0; t0=$(now)
  local docker0_before; docker0_before=$(docker0_id)
  stop_daemon
  teardown_network
  # The (now empty) cgroups the containers had under /ckengine26 in each hierarchy.
  find /sys/fs/cgroup/*/$NETNS -depth -type d -exec rmdir {} + 2>/dev/null || true
  rm -rf "$RUNDIR"
  rmdir /run/coursekit-hosts 2>/dev/null || true
  if [ "$purge" = --purge ]; then
    rm -rf "$DATA"
    rmdir /var/lib/coursekit-hosts 2>/dev/null || true
    say "purged $DATA"
  fi
  system_engine_check "$docker0_before" || exit 1
  say "stopped in $(since "$t0") s (download cache kept in $CACHE)"
}

status() {
  if ! answers; then
    say "not running (start: $0 start)"
    return 1
  fi
  d version --format 'engine26: Docker {{.Server.Version}}, API {{.Server.APIVersion}} (min {{.Server.MinAPIVersion}}), containerd/runc: {{range .Server.Components}}{{.Name}} {{.Version}}; {{end}}'
  d info --format 'engine26: CgroupVersion {{.CgroupVersion}}, cgroup driver {{.CgroupDriver}}, storage driver {{.Driver}}, data-root {{.DockerRootDir}}, {{.ContainersRunning}} running'
  echo "engine26: pid $(dockerd_pid || echo '?'), socket unix://$SOCK, ports at $NS_IP"
}

# As the non-root docker-group learner: docker info shows 26.1, a FROM-scratch
# busybox image builds, its httpd answers at $NS_IP:PORT from the host, and the
# system engine still answers; everything made here is removed again.
check() {   # globals, not locals: the EXIT trap runs after check returns
  need_root
  answers || die "not running (start: $0 start)"
  user=$("$repo/tests/hosts/learner.sh" name)
  id "$user" >/dev/null 2>&1 || die "no learner account $user (create: tests/hosts/learner.sh ensure)"
  local busybox; busybox=$(command -v busybox) || die "no busybox (apt-get install busybox-static)"
  ctx=$(mktemp -d /tmp/coursekit-engine26-check.XXXXXX)
  tag=coursekit-engine26-check:1 name=coursekit-engine26-check port=18026
  # The learner's own HOME: the CLI keeps config and buildx state in ~/.docker
  # (with a shared HOME such as /tmp the next user cannot read them and `docker
  # build` is no longer found).
  home=$(getent passwd "$user" | cut -d: -f6)
  [ -d "$home" ] || die "learner $user has no home folder ($home)"
  L() { runuser -u "$user" -- env -i HOME="$home" PATH=/usr/local/bin:/usr/bin:/bin \
          DOCKER_HOST=unix://$SOCK docker "$@"; }
  cleanup_check() { L rm -f $name >/dev/null 2>&1 || true; L rmi $tag >/dev/null 2>&1 || true
                    rm -rf "$ctx"; }
  trap cleanup_check EXIT     # also after a die: leave nothing behind
  cp "$busybox" "$ctx/busybox"; mkdir "$ctx/www"; echo "engine26 ok" > "$ctx/www/index.html"
  printf 'FROM scratch\nLABEL coursekit.check=engine26\nCOPY busybox /bin/busybox\nCOPY www /www\nENTRYPOINT ["/bin/busybox"]\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n' > "$ctx/Dockerfile"
  chmod -R a+rX "$ctx"
  local v; v=$(L info --format '{{.ServerVersion}}')
  [[ $v == 26.1.* ]] || die "as $user: docker info shows server $v, not 26.1.x"
  say "as $user: docker info: server $v"
  L build -q -t $tag "$ctx" >/dev/null || die "as $user: build of $tag failed"
  [ "$(L image inspect -f '{{index .Config.Labels "coursekit.check"}}' $tag)" = engine26 ] \
    || die "as $user: $tag lacks its label coursekit.check=engine26"
  # A bind mount of a host folder (same file system) next to the image's /www.
  mkdir "$ctx/bind"; echo "engine26 bind ok" > "$ctx/bind/index.html"; chmod -R a+rX "$ctx/bind"
  L run -d --name $name -p $port:8080 -v "$ctx/bind:/www/bind:ro" $tag >/dev/null \
    || die "as $user: run of $tag failed"
  wait_for 20 sh -c "curl -fsS --max-time 2 http://$NS_IP:$port/ 2>/dev/null | grep -q 'engine26 ok'" \
    || die "busybox httpd not reachable at http://$NS_IP:$port/"
  curl -fsS --max-time 2 "http://$NS_IP:$port/bind/" | grep -q 'engine26 bind ok' \
    || die "the bind-mounted host folder is not served at http://$NS_IP:$port/bind/"
  say "as $user: built $tag (labelled), its httpd answers at http://$NS_IP:$port/, bind mount served"
  docker -H unix:///var/run/docker.sock ps >/dev/null || die "the system engine does not answer"
  say "the system engine still answers at /var/run/docker.sock"
}

env_() {
  echo "export DOCKER_HOST=unix://$SOCK"
  echo "export COURSEKIT_ENGINE_ADDRESS=$NS_IP"
}

case ${1:-} in
  start) start ;;
  stop) stop "${2:-}" ;;
  status) status ;;
  env) env_ ;;
  check) check ;;
  *) echo "usage: $0 {start|status|stop [--purge]|env|check}" >&2; exit 2 ;;
esac
