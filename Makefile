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

.PHONY: help install demo demo-data pipeline serve dashboards dagster test clean

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
	HBH_DEMO=1 $(BIN)/python -m hbh_monitor.demo --out $(DATA)/landing

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
	@trap 'kill 0' EXIT; \
	  $(BIN)/dagster dev -w workspace.yaml -p $(DAGSTER_PORT) > $(DATA)/dagster_dev.log 2>&1 & \
	  $(BIN)/streamlit run dashboards/app.py --server.port $(DASHBOARD_PORT)

dashboards: install
	$(BIN)/streamlit run dashboards/app.py --server.port $(DASHBOARD_PORT)

dagster: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -p $(DAGSTER_PORT)

test: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m pytest

clean:
	rm -rf $(DATA)
