#!/usr/bin/env bash
# `make execute`: re-run the notebooks and store their real outputs, as `ck-learner`,
# a non-root member of the docker group -- what a learner is.
# By default in the reference host, the Debian 13 VM (cgroup v2, Docker 26:
# tests/hosts/v2vm.sh), which it starts if needed and leaves running;
#   COURSEKIT_RECORD_HOST=native make execute  records on this machine's engine instead
#   make execute NB="notebooks/04_cgroups.ipynb"  only these notebooks
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
host=${COURSEKIT_RECORD_HOST:-v2vm}   # the reference host (tests/nbval_hosts.py)
case $host in
  v2vm|engine26)
    bash tests/hosts/$host.sh start
    eval "$(bash tests/hosts/$host.sh env)"
    [ -n "${COURSEKIT_SHARED_DIR:-}" ] && export TMPDIR=$COURSEKIT_SHARED_DIR ;;
  native) ;;
  *) echo "execute: unknown host '$host' (v2vm, engine26 or native)" >&2; exit 2 ;;
esac
export COURSEKIT_HOST_KIND=$host
$PY -m coursekit doctor --fix
$PY -m coursekit.exercises            # regenerate the exercise notebooks from their source
bash tests/hosts/learner.sh ensure
out=$(mktemp -d "${TMPDIR:-/tmp}/coursekit-execute-XXXXXX")
chown "$(bash tests/hosts/learner.sh name)" "$out"
export COURSEKIT_PROGRESS=$out/progress.json   # a throw-away file, not a learner's progress
for nb in ${NB:-notebooks/*.ipynb exercises/solutions/*.ipynb}; do
  echo "executing $nb on $host"
  s=$(date +%s)
  bash tests/hosts/learner.sh run .venv/bin/python -m jupyter nbconvert --to notebook --execute \
    --output-dir "$out" "$nb" > "$out/log" 2>&1 || { tail -n 30 "$out/log"; exit 1; }
  cp "$out/$(basename "$nb")" "$nb"      # in place, keeping the file's owner
  echo "  done in $(( $(date +%s) - s )) s"
done
rm -rf "$out"
