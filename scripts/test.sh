#!/usr/bin/env bash
# `make test`: set up what the tests need (engine, lab images, the learner account),
# run every suite, and stop the engine afterwards only if this run started it.
#
# The notebooks run as `ck-learner`, a non-root member of the docker group, on this
# machine's engine, then on the other test hosts (tests/hosts/): engine26 (Docker 26 in
# its own network namespace) and v2vm (a Debian 13 VM with cgroup v2: the reference
# host, where every cell's output is compared strictly).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
t0=$(date +%s)
mkdir -p .coursekit

if $PY -c 'import sys; from coursekit.connect import is_up; sys.exit(0 if is_up() else 1)'; then
  echo "test: using the Docker engine that is already running (it stays running)"
else
  echo "test: no engine answers; starting one for this run (stopped at the end)"
  export COURSEKIT_TEST_OWNS_ENGINE=1
fi
# A test host that was already running (someone's recording, say) is used and left running.
owned=" "
claim_host() {  # claim_host KIND: remember to stop it at the end, unless it already runs
  if bash tests/hosts/$1.sh status > /dev/null 2>&1; then
    echo "$1: already running; it stays running"
  else
    owned+="$1 "
  fi
}
start_host() { claim_host "$1"; bash tests/hosts/$1.sh start; }   # start is idempotent
stop_host() { [[ $owned == *" $1 "* ]] && bash tests/hosts/$1.sh stop; owned=${owned/ $1 / }; }
stop_all() {
  # the VM's background work (below) ends before the VM is stopped under it
  [ -n "${vm_job:-}" ] && kill -0 "$vm_job" 2>/dev/null && wait "$vm_job"
  stop_host engine26 > /dev/null 2>&1; stop_host v2vm > /dev/null 2>&1
  [ "${COURSEKIT_TEST_OWNS_ENGINE:-}" = 1 ] && $PY -m coursekit engine stop
}
trap stop_all EXIT
$PY -m coursekit doctor --fix || exit 1
bash scripts/ensure-chromium.sh || exit 1
bash tests/hosts/learner.sh ensure || exit 1

# The other test hosts run too (COURSEKIT_TEST_HOSTS="" for the native host alone):
# engine26 (Docker 26 in its own network namespace) and v2vm (the reference host, a
# Debian 13 VM with cgroup v2, where the stored outputs are recorded).
HOSTS=" ${COURSEKIT_TEST_HOSTS-engine26 v2vm} "

status=0
times=()
run() { echo; echo "== $*"; "$@" || status=1; }
timed() {  # timed NAME CMD...: run, and remember how long it took
  local name=$1 s; shift; s=$(date +%s)
  "$@" || status=1
  times+=("$name: $(( $(date +%s) - s )) s")
}

# nbval as the learner; the plugin compares every cell on the reference host and
# names what it does not compare elsewhere.
nbval_only() {  # nbval_only HOST-KIND SESSION NOTEBOOK-PATHS...
  local kind=$1 session=$2; shift 2
  COURSEKIT_HOST_KIND=$kind COURSEKIT_SESSION=$session \
  COURSEKIT_PROGRESS=${TMPDIR:-/tmp}/coursekit-$session-progress.json \
    bash tests/hosts/learner.sh run .venv/bin/python -m pytest -p tests.nbval_hosts \
      --nbval "$@" --nbval-sanitize-with tests/nbval_sanitize.cfg -q -p no:cacheprovider
}
nbval() { nbval_only "$1" "$2" notebooks exercises/solutions; }   # nbval HOST-KIND SESSION
# An emulated engine answers slowly but has CPU to spare between answers: there the
# notebooks run as two halves at once (of about equal length), each its own session,
# after the cgroups lesson, which runs alone (its CPU races measure rates, which
# other work in the VM would skew).
# The exercise solutions run there too when their checks look at the engine's host (its
# kernel: cgroups, namespaces, mounts, capabilities; its network: a published port, a
# registry): lessons 03 04 05 08 10 13 14 15.  The others only ask the engine's API, and
# run with every other solution on the native engine (20.10) and on engine26 (Docker 26),
# compared there cell by cell (tests/unit/test_test_script.py keeps this split honest).
ALONE="notebooks/04_cgroups.ipynb"
HALF_A="notebooks/03_namespaces.ipynb notebooks/05_docker_run.ipynb notebooks/09_docker_without_sudo.ipynb notebooks/07_cleaning_up.ipynb notebooks/10_container_lifecycle.ipynb notebooks/12_dockerfiles.ipynb notebooks/13_images_cow.ipynb notebooks/15_container_by_hand.ipynb"
HALF_B="notebooks/00_start_here.ipynb notebooks/01_hello_container.ipynb notebooks/02_containers_vs_vms.ipynb notebooks/06_images_and_build.ipynb notebooks/08_registries.ipynb notebooks/11_networks_compose.ipynb notebooks/14_security.ipynb exercises/solutions/03_namespaces.ipynb exercises/solutions/04_cgroups.ipynb exercises/solutions/05_docker_run.ipynb exercises/solutions/08_registries.ipynb exercises/solutions/10_container_lifecycle.ipynb exercises/solutions/13_images_cow.ipynb exercises/solutions/14_security.ipynb exercises/solutions/15_container_by_hand.ipynb"
nbval_halves() {  # nbval_halves KIND SESSION
  local kind=$1 session=$2 r=0 h
  nbval_only "$kind" "${session}c" $ALONE > .coursekit/nbval-$kind-c.log 2>&1 || r=1
  nbval_only "$kind" "${session}a" $HALF_A > .coursekit/nbval-$kind-a.log 2>&1 & local pa=$!
  nbval_only "$kind" "${session}b" $HALF_B > .coursekit/nbval-$kind-b.log 2>&1 & local pb=$!
  wait $pa || r=1; wait $pb || r=1
  for h in c a b; do
    echo "part $h: $(grep -E 'passed|failed' .coursekit/nbval-$kind-$h.log | tail -1)"
    grep -A40 "compared in part\|reference)" .coursekit/nbval-$kind-$h.log | head -40
  done
  [ $r = 0 ] || tail -n 80 .coursekit/nbval-$kind-c.log .coursekit/nbval-$kind-a.log .coursekit/nbval-$kind-b.log
  return $r
}
host_suite() {  # the notebooks on one host (its env already exported), between decoys
  local kind=$1 s=$(date +%s) r=0
  echo; echo "== host $kind: $(docker info --format '{{.ServerVersion}}, cgroup v{{.CgroupVersion}} ({{.CgroupDriver}})' 2>&1)"
  $PY -m coursekit doctor --fix || return 1
  COURSEKIT_DECOYS=.coursekit/decoys-$kind.json $PY -m tests.decoys create || return 1
  if [ "$kind" = v2vm ]; then   # and lesson 15's program against the v2 race (skipped on v1)
    $PY -m pytest -q -p no:cacheprovider tests/integration/test_byhand.py || r=1
    nbval_halves "$kind" "nbval$kind$$" || r=1
  else nbval "$kind" "nbval$kind$$" || r=1; fi
  COURSEKIT_DECOYS=.coursekit/decoys-$kind.json $PY -m tests.decoys check || r=1
  for x in "" a b c; do $PY -m coursekit cleanup --session "nbval$kind$$$x" > /dev/null; done
  echo "time: host $kind notebooks $(( $(date +%s) - s )) s"   # (run in a subshell)
  return $r
}

# The workshop on an isolated host: a whole room on the VM's second engine (userns-remap,
# cgroup v2), every attack of tests/workshop/test_isolated_room.py must fail.
isolated_room() { bash scripts/test-workshop-isolated.sh; }
# The VM is built (Debian 13 from the mirror), booted, given its lab images, and the
# workshop's isolated room runs on its second engine, all in the background while the native
# suites below run; the VM is then idle until its notebooks (which need it quiet).
# Exit codes: 1 no disk, 2 no VM, 3 the isolated room failed.
vm_early() {
  local s
  s=$(date +%s)
  bash tests/hosts/v2vm.sh build > .coursekit/v2vm-build.log 2>&1 || return 1
  echo "v2vm disk build (in the background): $(grep -Eo 'built in [0-9]+ s|cached' .coursekit/v2vm-build.log | tail -1)" >> .coursekit/v2vm-times.txt
  s=$(date +%s)
  ( bash tests/hosts/v2vm.sh start && eval "$(bash tests/hosts/v2vm.sh env)" \
      && $PY -m coursekit doctor --fix ) > .coursekit/v2vm-start.log 2>&1 || return 2
  echo "v2vm boot and lab images (in the background): $(( $(date +%s) - s )) s" >> .coursekit/v2vm-times.txt
  s=$(date +%s)
  isolated_room > .coursekit/v2vm-isolated-room.log 2>&1; local r=$?
  echo "v2vm workshop, isolated room (second engine, userns-remap; in the background): $(( $(date +%s) - s )) s" >> .coursekit/v2vm-times.txt
  [ $r = 0 ] || return 3
}
if [[ $HOSTS == *" v2vm "* ]]; then
  claim_host v2vm
  rm -f .coursekit/v2vm-times.txt
  vm_early & vm_job=$!
fi

# --- native: this machine's engine -------------------------------------------------
$PY -m tests.decoys create || exit 1
timed unit run $PY -m pytest tests/unit -q -p no:cacheprovider
timed integration run $PY -m pytest tests/integration -q -p no:cacheprovider
# The book: built with warnings as errors, its internal links checked, then the
# browser tests (JupyterLab and the built site, offline).
timed book run make -s book
run $PY -m pytest tests/site -q -p no:cacheprovider
timed browser run $PY -m pytest tests/browser -q -p no:cacheprovider
# The workshop hub: three learners, each with their own engine (also `make test-workshop`).
# Its isolated room runs in the VM's background work (vm_early), not here.
timed workshop run env COURSEKIT_WORKSHOP_ISOLATED=0 bash scripts/test-workshop.sh
run $PY -m tests.decoys check


# --- the VM's background work must be over before the timing-sensitive runs below ----
if [[ $HOSTS == *" v2vm "* ]]; then
  s=$(date +%s); wait $vm_job; vm_rc=$?
  times+=("waiting for the VM's background work: $(( $(date +%s) - s )) s")
  [ -f .coursekit/v2vm-times.txt ] && while IFS= read -r l; do times+=("$l"); done < .coursekit/v2vm-times.txt
fi

# Two copies of the course at once on this engine: per-session names and ports must
# keep them apart (exercise progress in throw-away files, not the learner's).
# Copy 1: nbval, every lesson and exercise solution, outputs compared.
# Copy 2: each lesson twice in ONE kernel (tests/rerun.py): a "Run All" stopped before
# the lesson's last cell, then a full one; neither may fail or lose a claim's verdict
# (the lesson must clean up after its own earlier run, and copy 1 must not disturb it).
rerun_native() {  # rerun_native SESSION
  COURSEKIT_SESSION=$1 COURSEKIT_PROGRESS=${TMPDIR:-/tmp}/coursekit-$1-progress.json \
    bash tests/hosts/learner.sh run .venv/bin/python -m tests.rerun notebooks/*.ipynb 2>&1 \
    | grep -v "Kernel is running over TCP without encryption"
  return "${PIPESTATUS[0]}"
}
nbval_pair() {
  nbval native nbvala$$ > .coursekit/nbval1.log 2>&1 & p1=$!
  rerun_native nbvalb$$ > .coursekit/nbval2.log 2>&1 & p2=$!
  wait $p1; r1=$?; wait $p2; r2=$?
  echo "copy 1 (nbval): $(grep -E 'passed|failed' .coursekit/nbval1.log | tail -1)"
  echo "copy 2 (each lesson twice in one kernel): $(tail -1 .coursekit/nbval2.log)"
  grep -E ": run [12] in" .coursekit/nbval2.log | tr '\n' ';' | sed 's/;  */; /g'; echo
  tail -n 25 .coursekit/nbval1.log | grep -A30 "not compared" | head -30
  [ $r1 = 0 ] && [ $r2 = 0 ] || { tail -n 60 .coursekit/nbval1.log .coursekit/nbval2.log; return 1; }
}
timed "host native notebooks (two copies at once: nbval, and each lesson twice in one kernel)" run nbval_pair
for s in nbvala$$ nbvalb$$; do $PY -m coursekit cleanup --session $s > /dev/null; done
# --- engine26: Docker 26 beside this engine, in its own network namespace ------------
if [[ $HOSTS == *" engine26 "* ]]; then
echo; echo "== engine26"
s=$(date +%s)
if start_host engine26; then
  times+=("engine26 start: $(( $(date +%s) - s )) s")
  ( eval "$(bash tests/hosts/engine26.sh env)"; host_suite engine26 ) || status=1
  # The fault matrix kills and restarts this engine: what a learner's kernel shows when
  # the engine dies, a name or port is taken, an image is missing (tests/faults).
  # Only on an engine26 this run started: an engine found running is never killed.
  if [[ $owned == *" engine26 "* ]]; then
    timed "engine26 fault matrix" run env $(bash tests/hosts/engine26.sh env | sed 's/^export //') \
      COURSEKIT_FAULT_ENGINE=engine26 $PY -m pytest tests/faults -q -s -p no:cacheprovider
  else
    echo "engine26: fault matrix skipped (the engine was already running; it is not killed)"
  fi
else
  echo "engine26: FAILED to start (log above)"; status=1
fi
stop_host engine26
fi

# --- v2vm: a Debian 13 VM (cgroup v2, Docker 26), the reference host ------------
if [[ $HOSTS == *" v2vm "* ]]; then
echo; echo "== v2vm"
case $vm_rc in
  1) echo "v2vm: the disk build FAILED:"; tail -n 40 .coursekit/v2vm-build.log; status=1 ;;
  2) echo "v2vm: FAILED to start:"; tail -n 60 .coursekit/v2vm-start.log; status=1 ;;
esac
echo "v2vm workshop, isolated room (second engine, userns-remap): $(grep -E 'passed|failed|error' .coursekit/v2vm-isolated-room.log 2>/dev/null | tail -1)"
grep -E '^(learner image|isolated room):' .coursekit/v2vm-isolated-room.log
[ "$vm_rc" = 3 ] && { status=1; tail -n 60 .coursekit/v2vm-isolated-room.log; }
if [ "$vm_rc" = 0 ] || [ "$vm_rc" = 3 ]; then
  grep -E '^v2vm:|doctor:' .coursekit/v2vm-start.log
  # The VM's engine APIs have no authentication: a user outside the docker group must
  # not reach them, neither through the sockets nor directly.
  reached=""
  for port in 2375 2376; do
    runuser -u nobody -- timeout 5 bash -c "exec 3<>/dev/tcp/192.168.76.2/$port" 2>/dev/null && reached+=" tcp:$port"
  done
  for sock in docker remap; do
    runuser -u nobody -- timeout 5 docker -H unix:///run/coursekit-hosts/v2vm/$sock.sock version >/dev/null 2>&1 && reached+=" $sock.sock"
  done
  if [ -n "$reached" ]; then
    echo "v2vm: FAILED: a user outside the docker group reaches the VM's engines:$reached"; status=1
  else
    echo "v2vm: a user outside the docker group is refused (both engines, socket and TCP)"
  fi
  ( eval "$(bash tests/hosts/v2vm.sh env)"; export TMPDIR=$COURSEKIT_SHARED_DIR; host_suite v2vm ) \
    || { status=1; bash tests/hosts/v2vm.sh status; }   # a VM that died says why (its console)
  bash tests/hosts/v2vm.sh status | grep "emulator code cache"
fi
stop_host v2vm
fi

# No server a test started may outlive it (JupyterLab, the workshop hub, its proxy).
left=$(pgrep -af "$PWD/.venv/bin/(jupyter|python[0-9.]* -m jupyterhub)|$PWD/.coursekit/node" || true)
if [ -n "$left" ]; then echo; echo "== processes left behind by the tests:"; echo "$left"; status=1; fi
# Last: stops and restarts the engine, so only when this run started it.
if [ "${COURSEKIT_TEST_OWNS_ENGINE:-}" = 1 ]; then
  run $PY -m pytest tests/engine_stop -q -p no:cacheprovider
else
  echo; echo "== engine-stop test skipped: the engine was already running (a learner's engine is never stopped)"
fi
echo; echo "== times"; printf '  %s\n' "${times[@]}"
echo; echo "test: $([ $status = 0 ] && echo PASSED || echo FAILED) in $(( $(date +%s) - t0 )) s"
exit $status
