# battlemap: `make demo` runs the demo on a fresh machine, `make test` the whole suite, `make test-fast`
# the suite without browser, notebook and slow tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: setup python postgis brokers os assets demo serve test test-fast lint format bench clean

setup: python postgis os brokers assets

python: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

postgis:
	bash scripts/setup_postgis.sh

# Mosquitto (the device ingester's MQTT broker) and Redis, installed and started when none answers.
brokers:
	bash scripts/setup_brokers.sh

os:
	bash scripts/setup_os.sh

# Browser libraries from npm (package.json), copied into the app's assets so it runs offline.
VENDOR := dashboards/assets/vendor
assets: $(VENDOR)/maplibre-gl.js

$(VENDOR)/maplibre-gl.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	mkdir -p $(VENDOR)
	cp node_modules/maplibre-gl/dist/maplibre-gl.js node_modules/maplibre-gl/dist/maplibre-gl.css $(VENDOR)/
	cp node_modules/maplibre-gl/LICENSE.txt $(VENDOR)/maplibre-gl.LICENSE.txt

# The app is served as the least-privileged role APP_ROLE (no DDL, append-only audit log), not as
# the database owner that loads the data; its URL (with a new password) is the last line printed.
APP_ROLE ?= battlemap_app
demo: setup
	$(BIN)/battlemap db init
	$(BIN)/battlemap demo load
	$(BIN)/battlemap demo users
	url="$$($(BIN)/battlemap db role create $(APP_ROLE) --generate-password | tail -n 1)" && \
		{ $(BIN)/battlemap ingest mqtt & ingester=$$!; trap 'kill $$ingester' EXIT INT TERM; \
		  DATABASE_URL="$$url" $(BIN)/battlemap serve --host $(HOST) --port $(PORT); }

serve: python assets
	$(BIN)/battlemap serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/pytest

# The fast lane: unit and database tests; no browser (tests/e2e), no notebooks, nothing marked slow.
# Two xdist workers, each with its own throwaway databases (named after its pid); a file's tests stay
# on one worker, in order (some modules build on their earlier tests' state).
FAST := -m "not slow" --ignore=tests/e2e --ignore=tests/notebooks -n 2 --dist loadfile
test-fast: python postgis os brokers
	$(BIN)/pytest $(FAST)

lint: python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: python
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python -m bench.etl

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .mypy_cache
