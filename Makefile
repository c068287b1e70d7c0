# battlemap: `make demo` runs the demo on a fresh machine, `make test` the whole suite, `make test-fast`
# the suite without browser, notebook and slow tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Where the app listens: the documented BATTLEMAP_HOST / BATTLEMAP_PORT (README), else these.
HOST ?= $(or $(BATTLEMAP_HOST),127.0.0.1)
PORT ?= $(or $(BATTLEMAP_PORT),8050)

.PHONY: setup python postgis brokers os assets demo serve test test-fast lint format bench clean notebooks

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
# Leaflet is for the notebooks' folium maps, which inline it (layers/notebook.py): no CDN at run time.
assets: $(VENDOR)/maplibre-gl.js $(VENDOR)/leaflet.js

$(VENDOR)/maplibre-gl.js $(VENDOR)/leaflet.js &: package.json package-lock.json
	npm ci --no-audit --no-fund
	mkdir -p $(VENDOR)
	cp node_modules/maplibre-gl/dist/maplibre-gl.js node_modules/maplibre-gl/dist/maplibre-gl.css $(VENDOR)/
	cp node_modules/maplibre-gl/LICENSE.txt $(VENDOR)/maplibre-gl.LICENSE.txt
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/
	cp node_modules/leaflet/LICENSE $(VENDOR)/leaflet.LICENSE.txt

# The app is served as the least-privileged role APP_ROLE (no DDL, append-only audit log), not as
# the database owner that loads the data; its URL (with a new password) is the last line printed.
# The port is checked before anything else (a busy port stops here, saying what to do); the demo
# users keep their passwords from an earlier run (RESET_PASSWORDS=1 make demo for new ones).
APP_ROLE ?= battlemap_app
demo: setup
	$(BIN)/battlemap serve --check-port --host $(HOST) --port $(PORT)
	$(BIN)/battlemap db init
	$(BIN)/battlemap demo load
	$(BIN)/battlemap demo users $(if $(RESET_PASSWORDS),--reset-passwords)
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

# The analyst notebooks (notebooks/*.ipynb) run top to bottom against the configured database
# (DATABASE_URL; `make demo` or `battlemap demo load` first) and save their maps and tables in
# notebooks/out/ (BATTLEMAP_NOTEBOOK_OUT); BATTLEMAP_NOTEBOOK_DAY picks the day. To work in them
# interactively instead: $(BIN)/jupyter lab notebooks/ (JupyterLab comes with the dev extras).
NOTEBOOK_OUT ?= notebooks/out
notebooks: python assets
	mkdir -p $(NOTEBOOK_OUT)
	BATTLEMAP_NOTEBOOK_OUT="$(abspath $(NOTEBOOK_OUT))" PYTHONPATH="$(CURDIR)" $(BIN)/jupyter nbconvert \
		--to notebook --execute --output-dir "$(abspath $(NOTEBOOK_OUT))" notebooks/*.ipynb
	@echo "maps and tables in $(NOTEBOOK_OUT)/"

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
