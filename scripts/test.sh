#!/usr/bin/env bash
# `make test`: set up what the tests need (engine, lab images), run every suite,
# and stop the engine afterwards only if this run started it.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
t0=$(date +%s)

if $PY -c 'import sys; from coursekit.connect import is_up; sys.exit(0 if is_up() else 1)'; then
  echo "test: using the Docker engine that is already running (it stays running)"
else
  echo "test: no engine answers; starting one for this run (stopped at the end)"
  export COURSEKIT_TEST_OWNS_ENGINE=1
  trap '$PY -m coursekit engine stop' EXIT
fi
$PY -m coursekit doctor --fix || exit 1

# The browser tests drive Debian's Chromium (Playwright's own download is not used).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test: installing Debian's chromium for the browser tests ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || {
      apt-get update -q >/dev/null 2>&1
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } || {
      echo "test: could not install chromium"; exit 1; }
  else
    echo "test: no /usr/bin/chromium: install it (Debian: apt install chromium) for the browser tests"
    exit 1
  fi
fi

status=0
run() { echo; echo "== $*"; "$@" || status=1; }
# The learner's own objects, unlabelled: they must survive the whole run.
$PY -m tests.decoys create || exit 1
run $PY -m pytest tests/unit -q -p no:cacheprovider
run $PY -m pytest tests/integration -q -p no:cacheprovider
run $PY -m pytest --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg \
    -q -p no:cacheprovider
run $PY -m pytest tests/browser -q -p no:cacheprovider
run $PY -m tests.decoys check
# Last: stops and restarts the engine, so only when this run started it.
if [ "${COURSEKIT_TEST_OWNS_ENGINE:-}" = 1 ]; then
  run $PY -m pytest tests/engine_stop -q -p no:cacheprovider
else
  echo; echo "== engine-stop test skipped: the engine was already running (a learner's engine is never stopped)"
fi
echo; echo "test: $([ $status = 0 ] && echo PASSED || echo FAILED) in $(( $(date +%s) - t0 )) s"
exit $status
