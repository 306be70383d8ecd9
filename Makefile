# The course's commands.  Two are all a learner needs:
#   make lab    set up (venv, engine, lab images) and open JupyterLab on the course
#   make test   the same set-up, then every test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)

.PHONY: setup venv engine images lab test test-unit test-integration test-notebooks \
        bench book execute clean-course help workshop workshop-stop test-workshop bench-workshop bench-io slides pack lock

help:
	@echo "make lab     set up and start JupyterLab on the course (prints its URL)"
	@echo "make test    set up, then run every test (unit, integration, notebooks)"
	@echo "make test-unit | test-integration | test-notebooks   one suite of make test"
	@echo "make bench   set-up, image and docker-run timings"
	@echo "make book    build the Jupyter Book site into _build/html"
	@echo "make workshop       start JupyterHub for a room (one engine per learner)"
	@echo "make workshop-stop  stop it and remove everything it created"
	@echo "make test-workshop  the 3-learner end-to-end test of the workshop"
	@echo "make bench-io       a learner's share of the disk beside a heavy writer (VM)"
	@echo "make slides  reveal.js slides from the lessons into _build/slides"
	@echo "make pack    instructor archive (lab images + wheels) for an offline room"
	@echo "make lock    re-resolve requirements.lock after changing a pin in pyproject.toml"

venv: $(STAMP)
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the course's Python packages into $(VENV) ..."
	@# Every version is the lock's (requirements.lock: pyproject.toml's pins and all they
	@# pull in, for every platform); uv installs them in seconds, pip (a minute or two) if
	@# uv cannot be had. Regenerate the lock after changing a pin: `make lock`.
	@$(PY) -m pip install -q --disable-pip-version-check uv > $(VENV)/pip.log 2>&1 || true
	@if $(VENV)/bin/uv --version > /dev/null 2>&1; then \
	  { $(VENV)/bin/uv pip install --python $(PY) -r requirements.lock \
	    && $(VENV)/bin/uv pip install --python $(PY) --no-deps -e . ; } 2>&1 | tee -a $(VENV)/pip.log \
	    | grep --line-buffered -E '^(Resolved|Prepared|Installed|Audited|Uninstalled) ' | sed -u 's/^/  /'; \
	  test $${PIPESTATUS[0]} = 0; \
	else \
	  { $(PY) -m pip install --disable-pip-version-check --progress-bar off -r requirements.lock \
	    && $(PY) -m pip install --disable-pip-version-check --no-deps -e . ; } 2>&1 | tee -a $(VENV)/pip.log \
	    | awk '/^Collecting /{n++; printf "\r  %d packages found", n; fflush()} \
	           /^Installing collected/{printf "\n  installing them ...\n"; fflush()}'; \
	  test $${PIPESTATUS[0]} = 0; \
	fi || { tail -30 $(VENV)/pip.log; echo "installing failed: full log in $(VENV)/pip.log"; exit 1; }
	@$(PY) -c "import coursekit, docker, nbval, ipywidgets, jupyterlab"
	@rm -f $(VENV)/.installed-* && touch $@

# The lock: pyproject.toml's pins and every package they pull in, one version each, for
# every platform (Linux, macOS, Windows); needs PyPI. tests/unit/test_pins.py checks it.
lock: venv
	@$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --universal --no-header \
	  --annotation-style line -o requirements.lock > /dev/null

# Engine + lab images (+ on Debian as root: installs docker.io / busybox-static /
# docker-registry when missing).  Seconds when everything is present.
setup: venv
	@$(PY) -m coursekit doctor --fix

engine: venv
	@$(PY) -m coursekit engine start

images: venv
	@$(PY) -m coursekit images

lab: setup
	@$(PY) -m coursekit lab

test: venv
	@bash scripts/test.sh

# One suite of `make test` at a time, with the commands scripts/test.sh runs.
test-unit: venv
	@$(PY) -m pytest tests/unit -q -p no:cacheprovider

# needs the engine and the lab images (doctor --fix sees to both)
test-integration: setup
	@$(PY) -m pytest tests/integration -q -p no:cacheprovider

# nbval on this machine's engine, as scripts/test.sh's native stage runs it: as the
# learner account (a non-root docker-group user), in a session of its own that is
# cleaned up afterwards; outputs compared as tests/nbval_hosts.py does for this host.
test-notebooks: setup
	@bash tests/hosts/learner.sh ensure
	@session=nbvalmake$$$$; status=0; \
	COURSEKIT_HOST_KIND=native COURSEKIT_SESSION=$$session \
	COURSEKIT_PROGRESS=$${TMPDIR:-/tmp}/coursekit-$$session-progress.json \
	  bash tests/hosts/learner.sh run $(PY) -m pytest -p tests.nbval_hosts \
	    --nbval notebooks exercises/solutions --nbval-sanitize-with tests/nbval_sanitize.cfg \
	    -q -p no:cacheprovider || status=1; \
	$(PY) -m coursekit cleanup --session $$session > /dev/null; \
	exit $$status

bench: setup
	@$(PY) bench/bench.py

book: venv
	@$(VENV)/bin/jupyter-book build . -W -n --keep-going

# Re-execute the notebooks (lessons, then exercise solutions, regenerated from
# coursekit/exercises/lessons/) and store their real outputs, recorded on the reference
# host (the cgroup v2 VM, as a non-root docker-group user): scripts/execute.sh.
execute: setup
	@bash scripts/execute.sh

# Workshops (instructor): JupyterHub + one Docker engine per learner, on this host.
# Settings from WORKSHOP_PORT / _MEM / _CPUS / _PIDS / _IDLE_TIMEOUT / _PASSWORD.
workshop: setup
	@$(PY) -m coursekit workshop start

workshop-stop: venv
	@$(PY) -m coursekit workshop stop

test-workshop: venv
	@bash scripts/test-workshop.sh

# N learners at once on the workshop hub (default 10): bench/workshop_load.py
N ?= 10
bench-workshop: setup
	@$(PY) bench/workshop_load.py $(N) $(if $(COLD),--cold) $(if $(SPREAD),--spread $(SPREAD))

# A learner's share of the disk beside another's heavy writes, with io.cost off and on,
# on the reference VM (bash tests/hosts/v2vm.sh start): bench/io_share.py
bench-io: setup
	@$(PY) bench/io_share.py

slides: venv
	@$(PY) -m coursekit slides

pack: setup
	@$(PY) -m coursekit pack

# Remove every course session's labelled objects (never anything else).
clean-course: venv
	@$(PY) -m coursekit cleanup --all
