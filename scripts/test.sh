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

bash scripts/ensure-chromium.sh || exit 1

status=0
run() { echo; echo "== $*"; "$@" || status=1; }
# The learner's own objects, unlabelled: they must survive the whole run.
$PY -m tests.decoys create || exit 1
rm -f .coursekit/nbval?-progress.json
run $PY -m pytest tests/unit -q -p no:cacheprovider
run $PY -m pytest tests/integration -q -p no:cacheprovider
# The notebooks against their stored outputs: two copies at once on this engine
# (per-session names and ports must keep them apart), then once more in a row.
# (exercise solutions too, recording progress in a throw-away file, not the learner's)
NBVAL="$PY -m pytest --nbval notebooks exercises/solutions --nbval-sanitize-with tests/nbval_sanitize.cfg -q -p no:cacheprovider"
nbval_pair() {
  COURSEKIT_SESSION=nbvala$$ COURSEKIT_PROGRESS=$PWD/.coursekit/nbvala-progress.json $NBVAL > .coursekit/nbval1.log 2>&1 & p1=$!
  COURSEKIT_SESSION=nbvalb$$ COURSEKIT_PROGRESS=$PWD/.coursekit/nbvalb-progress.json $NBVAL > .coursekit/nbval2.log 2>&1 & p2=$!
  wait $p1; r1=$?; wait $p2; r2=$?
  echo "copy 1: $(tail -1 .coursekit/nbval1.log)"; echo "copy 2: $(tail -1 .coursekit/nbval2.log)"
  [ $r1 = 0 ] && [ $r2 = 0 ] || { tail -n 60 .coursekit/nbval1.log .coursekit/nbval2.log; return 1; }
}
run nbval_pair
run env COURSEKIT_SESSION=nbvalc$$ COURSEKIT_PROGRESS=$PWD/.coursekit/nbvalc-progress.json $NBVAL
# The book: built with warnings as errors, its internal links checked, then the
# browser tests (JupyterLab and the built site, offline).
run make -s book
run $PY -m pytest tests/site -q -p no:cacheprovider
run $PY -m pytest tests/browser -q -p no:cacheprovider
# The workshop hub: three learners, each with their own engine (also `make test-workshop`).
run bash scripts/test-workshop.sh
run $PY -m tests.decoys check
# No server a test started may outlive it (JupyterLab, the workshop hub, its proxy).
left=$(pgrep -af "$PWD/.venv/bin/(jupyter|python[0-9.]* -m jupyterhub)|$PWD/.coursekit/node" || true)
if [ -n "$left" ]; then echo; echo "== processes left behind by the tests:"; echo "$left"; status=1; fi
# A notebook that failed half-way may have left its objects: remove them.
for s in nbvala$$ nbvalb$$ nbvalc$$; do $PY -m coursekit cleanup --session $s >/dev/null; done
# Last: stops and restarts the engine, so only when this run started it.
if [ "${COURSEKIT_TEST_OWNS_ENGINE:-}" = 1 ]; then
  run $PY -m pytest tests/engine_stop -q -p no:cacheprovider
else
  echo; echo "== engine-stop test skipped: the engine was already running (a learner's engine is never stopped)"
fi
echo; echo "test: $([ $status = 0 ] && echo PASSED || echo FAILED) in $(( $(date +%s) - t0 )) s"
exit $status
