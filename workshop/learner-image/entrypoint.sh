#!/bin/sh
# Starts this learner's own Docker engine (or, with CK_ENGINE=sidecar, waits for the one
# a sidecar serves on the same socket: the Kubernetes set-up), then the notebook server
# as jovyan.  Each step's moment (seconds since the host booted) goes to the container's
# log as "ck-start: <step> <uptime>" (bench/workshop_load.py reads them: book/capacity.md).
mark() { read -r up _ < /proc/uptime; echo "ck-start: $1 $up"; }
mark begin
if [ "${CK_ENGINE:-own}" != sidecar ]; then
  mount -o remount,rw /sys 2>/dev/null
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    # cgroup v2: move to a leaf so the engine may enable controllers for its children
    mkdir -p /sys/fs/cgroup/init
    for p in $(cat /sys/fs/cgroup/cgroup.procs); do echo "$p" > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null; done
    sed -e 's/ / +/g' -e 's/^/+/' /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
  else
    for d in /sys/fs/cgroup/*; do mount -o remount,bind,rw "$d" 2>/dev/null; done
  fi
  mkdir -p /run/ck-engine /var/lib/docker /var/log
  # Docker 26 fails every container start where it cannot switch IPv6 off on eth0 (this
  # container's /proc/sys is read-only); the variable lets it go on, IPv4 as before
  DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1 dockerd --host unix:///run/ck-engine/docker.sock --group docker --iptables=false \
    --userland-proxy-path /usr/bin/docker-proxy > /var/log/dockerd.log 2>&1 &
fi
i=0
until docker version > /dev/null 2>&1; do
  i=$((i+1))
  if [ $i -gt 600 ]; then echo "the learner's engine did not start:"; tail -20 /var/log/dockerd.log 2>/dev/null; exit 1; fi
  sleep 0.1
done
mark engine
# the lab images (a second start finds them in the engine volume already)
docker image inspect coursekit/busybox:1 coursekit/registry:2 > /dev/null 2>&1 || docker load -q -i /opt/ck/lab-images.tar > /dev/null
mark images
cd /home/jovyan
if [ "$(id -u)" != 0 ]; then exec "$@"; fi
chown jovyan:jovyan /home/jovyan
exec python3 -c 'import os, sys
os.setgroups([998]); os.setgid(1000); os.setuid(1000)
os.environ.update(HOME="/home/jovyan", USER="jovyan", LOGNAME="jovyan", SHELL="/bin/sh")
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
