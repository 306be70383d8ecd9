#!/usr/bin/env bash
# The course's learner on a test host: a non-root member of the `docker` group, as
# learners mostly are.  `learner.sh ensure` creates the account (idempotent) and lets
# it reach this checkout's virtualenv; `learner.sh run CMD...` runs CMD as that user
# with the course's environment variables passed through.
set -euo pipefail
USER_NAME=${COURSEKIT_LEARNER:-ck-learner}
repo=$(cd "$(dirname "$0")/../.." && pwd)

ensure() {
  groupadd -f docker
  if ! id "$USER_NAME" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash --groups docker "$USER_NAME"
  else
    usermod -aG docker "$USER_NAME"
  fi
  # The learner must be able to *traverse* (not list) the folders above the
  # checkout and above the Python the virtualenv was made from (pyenv keeps it
  # under /root, mode 700): add o+x where it is missing, nothing else.
  py=$(readlink -f "$repo/.venv/bin/python")
  for p in "$repo" "$py"; do
    d=$p
    while [ "$d" != / ]; do
      if [ -d "$d" ] && [ $(( 0$(stat -c %a "$d") & 1 )) = 0 ]; then
        chmod o+x "$d" && echo "learner: o+x on $d"
      fi
      d=$(dirname "$d")
    done
  done
  runuser -u "$USER_NAME" -- "$repo/.venv/bin/python" -c 'import coursekit' \
    || { echo "learner: $USER_NAME cannot import coursekit from $repo/.venv" >&2; exit 1; }
}

run() {
  local home; home=$(getent passwd "$USER_NAME" | cut -d: -f6)
  local pass=()
  for v in $(compgen -e); do
    case $v in DOCKER_HOST|COURSEKIT_*|TMPDIR|CI) pass+=("$v=${!v}");; esac
  done
  cd "$repo"
  exec runuser -u "$USER_NAME" -- env -i HOME="$home" USER="$USER_NAME" LANG=C.UTF-8 \
    PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" "${pass[@]}" "$@"
}

case ${1:-} in
  ensure) ensure ;;
  run) shift; run "$@" ;;
  name) echo "$USER_NAME" ;;
  *) echo "usage: $0 ensure | run CMD... | name" >&2; exit 2 ;;
esac
