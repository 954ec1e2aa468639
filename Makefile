# Chipin: `make run` starts the service, `make test` runs every check. Both set themselves up.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What running needs (`pip install -e .`); and what tests, linters and types add (`.[dev]`).
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# Root installs Debian packages directly; anyone else through sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run serve migrate test lint typecheck pytest browser deploy-tools clean fuzz chaos sim sim-long bench picture

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP) $(DEV_STAMP)

# A new SQLite database gets its tables at start-up; an older one, or PostgreSQL, stops
# Chipin with one line until `make migrate` (never automatic: back up first).
run: $(STAMP)
	$(BIN)/chipin run

serve: $(STAMP)
	$(BIN)/chipin serve

migrate: $(STAMP)
	$(BIN)/chipin migrate

lint: $(DEV_STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

# Headless Chromium and its driver (Debian packages) for the browser tests; never a download.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; }

# systemd-analyze, nginx and logrotate (Debian packages) for the deploy guide's tests
# (tests/deploy); never a download. Where systemd runs, Debian starts nginx once it is
# installed: the tests need only its binary, so it is stopped and disabled again.
deploy-tools:
	@missing=$$(command -v systemd-analyze >/dev/null || echo systemd; \
	  { command -v nginx || test -x /usr/sbin/nginx; } >/dev/null || echo nginx; \
	  { command -v logrotate || test -x /usr/sbin/logrotate; } >/dev/null || echo logrotate); \
	if [ -n "$$missing" ]; then \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq --no-install-recommends $$missing && \
	  case "$$missing" in *nginx*) [ ! -d /run/systemd/system ] || $(SUDO) systemctl disable --now nginx;; esac; \
	fi

# The suite runs in WORKERS processes (pytest-xdist), a test file per process at a time: many
# tests wait on subprocesses, browsers and databases rather than on the CPU.
WORKERS ?= 3
pytest: $(DEV_STAMP) browser deploy-tools
	$(BIN)/pytest -n $(WORKERS) --dist loadfile

test: lint typecheck pytest

# The hostile-input suite (tests/fuzz) at FUZZ_SCALE times the examples `make test` uses:
# schemathesis requests per API operation and mode, Hypothesis examples per parser property.
FUZZ_SCALE ?= 20
fuzz: $(DEV_STAMP)
	CHIPIN_FUZZ_SCALE=$(FUZZ_SCALE) $(BIN)/pytest -q tests/fuzz

# Real-process faults (tests/chaos), long versions: 20+ SIGKILLs of `chipin run` on SQLite
# and PostgreSQL, repeated database outages, Telegram API errors; each stops by itself.
# `make test` runs the short versions. CHAOS_SEED picks another workload.
chaos: $(DEV_STAMP)
	CHAOS_LONG=1 $(BIN)/pytest -q tests/chaos

# Deterministic simulation of the money path (tests/sim, docs/RELIABILITY.md). SEED=random
# picks one and prints it; a failure prints the command that replays it. STORE: memory,
# sqlite or postgres. `make test` runs a short fixed set of seeds.
SEED ?= random
STEPS ?= 2000
STORE ?= memory
ORDERS ?= 6
sim: $(DEV_STAMP)
	$(BIN)/python -m tests.sim --seed $(SEED) --steps $(STEPS) --store $(STORE) --orders $(ORDERS)

# Many seeds from SEED on, each store within its time budget (about four minutes in all);
# PostgreSQL only when its server is reachable.
sim-long: $(DEV_STAMP)
	$(BIN)/python -m tests.sim --seed $(SEED) --seeds 100000 --steps $(STEPS) --budget 150
	$(BIN)/python -m tests.sim --seed $(SEED) --seeds 1000 --steps 500 --store sqlite --budget 50
	$(BIN)/python -m tests.sim --seed $(SEED) --seeds 1000 --steps 500 --store postgres \
	  --budget 40 --if-available

# The eight benchmarks of docs/PERFORMANCE.md, each figure printed next to its target (under
# ten minutes; PostgreSQL ones when its server is reachable). BENCH_ARGS: e.g. --only 1,6,
# --scale smoke, --json figures.json. `make test` runs the smoke scale (tests/bench_smoke).
BENCH_ARGS ?=
bench: $(DEV_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# docs/chipin.png, the README's picture, drawn with the bot's own QR card and progress text.
picture: $(DEV_STAMP)
	$(BIN)/python docs/picture.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
