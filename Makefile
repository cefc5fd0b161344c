# hbh-monitor — the front door. `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
DATA ?= $(CURDIR)/data
DASHBOARD_PORT ?= 8501
DAGSTER_PORT ?= 3000
export HBH_DATA_DIR ?= $(DATA)
export DAGSTER_HOME ?= $(DATA)/dagster_home

.PHONY: help install demo demo-data pipeline serve dashboards dagster test bench clean chromium screenshots cbs

help:
	@echo "make demo    install, generate the demo region, run the pipeline through Dagster, serve the dashboards"
	@echo "make test    run the whole test suite"
	@echo "make pipeline / dashboards / dagster   the separate steps (for your own data: see README)"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml constraints.txt
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	printf 'telemetry:\n  enabled: false\n' > $@

# The demo region: fictional municipalities, written as real exports into data/landing.
demo-data: install
	HBH_DEMO=1 $(BIN)/python -m hbh_demo --out $(DATA)/landing --formats mixed

# One real Dagster run of the whole asset graph (job `refresh`), recorded in DAGSTER_HOME.
pipeline: install $(DAGSTER_HOME)/dagster.yaml
	cd pipelines && $(BIN)/dagster job execute -m hbh_monitor.definitions -j refresh

demo: export HBH_DEMO = 1
demo: demo-data pipeline
	@echo ""
	@echo "  Dashboards: http://localhost:$(DASHBOARD_PORT)"
	@echo "  Dagster UI: http://localhost:$(DAGSTER_PORT)"
	@echo "  (Ctrl-C stops both)"
	@echo ""
	$(BIN)/python -m hbh_monitor.serve --dashboard-port $(DASHBOARD_PORT) --dagster-port $(DAGSTER_PORT) \
	  --dagster-log $(DATA)/dagster_dev.log

# CBS open data (needs the internet): Wmo-cliënten per wijk and Kerncijfers wijken en buurten, fetched with
# cbsodata into landing/cbs_wmo and landing/cbs_kwb (and 85043NED, clients by income, into
# landing/cbs_wmo_kenmerken) in StatLine's layout; the next pipeline run loads them.
# CBS_REGION=GM0268 keeps only that gemeente (the benchmark then lacks its peers).
CBS_WMO_TABLES ?= 85639NED
CBS_KWB_TABLES ?= 85618NED
CBS_KENMERKEN_TABLES ?= 85043NED
cbs: install
	$(BIN)/python -m hbh_monitor.cbs_fetch --dataset cbs_wmo $(foreach t,$(CBS_WMO_TABLES),--table $(t)) $(foreach r,$(CBS_REGION),--region $(r))
	$(BIN)/python -m hbh_monitor.cbs_fetch --dataset cbs_kwb $(foreach t,$(CBS_KWB_TABLES),--table $(t)) $(foreach r,$(CBS_REGION),--region $(r))
	$(BIN)/python -m hbh_monitor.cbs_fetch --dataset cbs_wmo_kenmerken $(foreach t,$(CBS_KENMERKEN_TABLES),--table $(t)) $(foreach r,$(CBS_REGION),--region $(r))

dashboards: install
	$(BIN)/streamlit run dashboards/app.py --server.port $(DASHBOARD_PORT)

dagster: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -p $(DAGSTER_PORT)

# The browser tests (tests/test_browser.py) drive Debian's Chromium; install it when we can (root),
# otherwise they are skipped with a loud message.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "!!!! $(CHROMIUM) missing and not root: the browser tests will be SKIPPED (sudo apt-get install chromium)"; \
	  fi; \
	fi

# Two workers (pytest-xdist), one per core; a test module stays on one worker (its fixtures are built once),
# and the modules are handed out in the order tests/conftest.py (SCHEDULE) gives them.
# The slowest tests are listed at the end, to see where the suite's time goes.
TEST_WORKERS ?= 2
test: install $(DAGSTER_HOME)/dagster.yaml chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=25

# docs/screenshots/*.png for the README, with the same browser tooling (uses the published demo
# snapshot when there is one, else generates a small demo region and runs the pipeline first).
screenshots: install chromium
	$(BIN)/python docs/screenshots.py

# Benchmark, not a test (bench/run.py): generate, full refresh, one-month incremental, DuckDB floor,
# dashboard page queries -> bench/results/$(SCALE).md. SCALE = gemeente | region | national.
SCALE ?= region
bench: install
	$(BIN)/python bench/run.py --name $(SCALE) $(BENCH_ARGS)

clean:
	rm -rf $(DATA)
