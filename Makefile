# `make run` and `make test` do all set-up on a fresh machine: the virtualenv, Chromium for the
# browser tests, and (in drugcourt/launcher.py) an embedded PostgreSQL and Redis when
# DATABASE_URL / REDIS_URL are unset. The lint checks are listed once, in the launcher: they need
# the database (makemigrations --check), so they run under it.

PYTHON ?= python3.11
VENV := .venv
LAUNCHER := $(VENV)/bin/python -m drugcourt.launcher
# Extra pytest arguments: make test PYTEST_ARGS="-k launcher -x"
PYTEST_ARGS ?=
# Arguments of bench/sweeps.py: make bench BENCH_ARGS="--scale 1"
BENCH_ARGS ?=

.PHONY: venv browser run test lint bench

venv: $(VENV)/.installed

# Reinstalled whenever pyproject.toml is newer than the stamp.
$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -e '.[dev]'
	touch $@

browser: /usr/bin/chromium

# Playwright cannot download its own browsers here; the tests use Debian's.
/usr/bin/chromium:
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

run: venv
	$(LAUNCHER) run

test: venv browser
	$(LAUNCHER) test $(PYTEST_ARGS)

lint: venv
	$(LAUNCHER) lint

# The sweep bench (bench/README.md). Not part of `make test` or CI, except a --smoke run at
# --scale 0.0005 (tests/bench): at --scale 1 it loads 10 million drug tests.
bench: venv
	$(LAUNCHER) bench $(BENCH_ARGS)
