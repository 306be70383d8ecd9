#!/usr/bin/env bash
# The reference VM's speed under each qemu CPU model (tests/hosts/README.md, V2VM_CPU):
# boot, the lab images (doctor --fix), eight `docker run --rm … true`, a Python loop.
#   bash bench/v2vm_cpu.sh qemu64 max      (as root; stops a running VM first)
# Run it on a quiet machine: the VM is emulated, and other work changes every number.
set -uo pipefail
cd "$(dirname "$0")/.."
now() { date +%s.%N; }
for cpu in "$@"; do
  bash tests/hosts/v2vm.sh stop > /dev/null 2>&1
  s=$(now); V2VM_CPU=$cpu bash tests/hosts/v2vm.sh start > "/tmp/v2vm-cpu-$cpu.log" 2>&1 \
    || { echo "$cpu: the VM did not start (/tmp/v2vm-cpu-$cpu.log)"; continue; }
  b=$(echo "$(now) - $s" | bc)
  eval "$(bash tests/hosts/v2vm.sh env)"
  s=$(now); .venv/bin/python -m coursekit doctor --fix > /dev/null 2>&1; d=$(echo "$(now) - $s" | bc)
  s=$(now)
  for _ in 1 2 3 4 5 6 7 8; do docker run --rm --label coursekit.course=linux-containers coursekit/busybox:1 true; done
  r=$(echo "($(now) - $s) / 8" | bc -l)
  s=$(now)
  docker run --rm --label coursekit.course=linux-containers coursekit/python:1 \
    python3 -c 'print(sum(i * i % 7 for i in range(1000000)))' > /dev/null
  p=$(echo "$(now) - $s" | bc)
  printf "%-10s boot %5.1f s  doctor --fix %5.1f s  docker run %4.2f s  python %5.1f s\n" "$cpu" "$b" "$d" "$r" "$p"
done
bash tests/hosts/v2vm.sh stop > /dev/null 2>&1
