#!/usr/bin/env bash
# `make test-workshop` (also a stage of `make test`): the 3-learner end-to-end test of
# the JupyterHub workshop.  Starts an engine only if none answers (and stops it after).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
t0=$(date +%s)
if ! $PY -c 'import sys; from coursekit.connect import is_up; sys.exit(0 if is_up() else 1)'; then
  echo "test-workshop: no engine answers; starting one for this run (stopped at the end)"
  trap '$PY -m coursekit engine stop' EXIT
  $PY -m coursekit doctor --fix > /dev/null || { $PY -m coursekit doctor; exit 1; }
fi
bash scripts/ensure-chromium.sh || exit 1   # one learner logs in with a real browser
$PY -m pytest tests/workshop -q -s -p no:cacheprovider
status=$?
echo "test-workshop: $([ $status = 0 ] && echo PASSED || echo FAILED) in $(( $(date +%s) - t0 )) s"
exit $status
