#!/usr/bin/env bash
# The workshop on an isolated host (tests/workshop/test_isolated_room.py): a hub on this
# machine, its learners' servers on the cgroup v2 VM's second engine (userns-remap),
# attacked by a learner.  Needs the VM running (bash tests/hosts/v2vm.sh start);
# `make test` runs this in the background, `make test-workshop` after the native half.
set -uo pipefail
cd "$(dirname "$0")/.."
eval "$(bash tests/hosts/v2vm.sh env)"
[ -S "${COURSEKIT_USERNS_HOST#unix://}" ] || { echo "test-workshop-isolated: the VM is not running (bash tests/hosts/v2vm.sh start)"; exit 1; }
export DOCKER_HOST=$COURSEKIT_USERNS_HOST COURSEKIT_REQUIRE_ISOLATED=1 \
  WORKSHOP_HUB_IP=$COURSEKIT_USERNS_HUB_IP WORKSHOP_SUBNETS=$COURSEKIT_USERNS_SUBNETS \
  COURSEKIT_WORKSHOP_STATE=$PWD/.coursekit/workshop-isolated   # beside a workshop of this checkout's own
exec .venv/bin/python -m pytest tests/workshop/test_isolated_room.py -q -s -p no:cacheprovider
