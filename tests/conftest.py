"""Shared fixtures: one real Dagster run of the whole asset graph on a small demo region.

The session run goes through the same CLI as `make demo` (`dagster job execute … -j refresh`) in a
subprocess, with its own data folder and DAGSTER_HOME, so what the tests see is what a user gets.
It is the suite's smoke test of the CLI; tests that need a run of their own use
``support.refresh_in_process`` (same job, same Definitions, in this process) unless they kill it.

Nothing here may be changed by a test: a test that runs the pipeline again, or writes to a
database, works on a copy (``support.copy_run``). Helpers live in tests/support.py; the names below
are re-exported for the test modules that import them from here.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import (  # noqa: F401  (re-exported)
    BIN, DEMO_ARGS, FORMATS_ARGS, ROOT, SMALL_ARGS, demo_region, refresh_in_process, run_env, run_refresh,
)


# The order in which the two workers of `make test` (pytest-xdist, a module per worker at a time, handed out
# in collection order: the Makefile passes --no-loadscope-reorder) take the modules: first the one that
# builds the session's CLI run, next to the fault tests, which build the small run and need nothing else;
# then the longest first, and the two readers of the mixed run apart, so that no worker waits for a run
# the other one is building. Modules not listed follow in their usual order.
SCHEDULE = (
    "test_dashboards.py", "test_faults.py", "test_browser.py", "test_intruder.py", "test_publishing.py",
    "test_incremental.py", "test_demo_variants.py", "test_money.py", "test_delivery.py", "test_formats_e2e.py",
    "test_pipeline.py", "test_analyst_login.py", "test_door_bsn_scan.py", "test_lagging_month.py", "test_serve.py",
)


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(SCHEDULE)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SCHEDULE)))  # stable: a module keeps its order


@dataclass
class PipelineRun:
    data_dir: Path
    landing: Path
    warehouse: Path
    serving: Path
    dagster_home: Path
    manifest: dict
    env: dict
    stdout: str


def _builder(args: list[str], refresh):
    """A builder of a shared run: the demo region for ``args`` in ``data_dir``/landing and one run over it
    with ``refresh`` (the CLI or in-process); ``run.json`` says how it went."""

    def build(data_dir: Path) -> None:
        env = run_env(data_dir)
        demo_region(data_dir / "landing", args)
        proc = refresh(env)
        (data_dir / "run.json").write_text(json.dumps({"returncode": proc.returncode, "stdout": proc.stdout,
                                                       "stderr": proc.stderr, "env": env}))

    return build


def _shared_run(tmp_path_factory, name: str, build) -> PipelineRun:
    """A run built once per session. Under pytest-xdist (``make test`` runs two workers) the workers share
    it: the first to get here builds it under a file lock, the others wait for it and read it."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = tmp_path_factory.getbasetemp().parent  # the same folder for every worker of this session
        data_dir = root / name
        with open(root / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (data_dir / "run.json").is_file():
                shutil.rmtree(data_dir, ignore_errors=True)
                data_dir.mkdir()
                build(data_dir)
    else:
        data_dir = tmp_path_factory.mktemp(name)
        build(data_dir)
    run = json.loads((data_dir / "run.json").read_text())
    assert run["returncode"] == 0, f"Dagster run failed:\n{run['stdout'][-4000:]}\n{run['stderr'][-8000:]}"
    return PipelineRun(
        data_dir=data_dir,
        landing=data_dir / "landing",
        warehouse=data_dir / "warehouse" / "hbh.duckdb",
        serving=data_dir / "serving" / "hbh_serving.duckdb",
        dagster_home=data_dir / "dagster_home",
        manifest=json.loads((data_dir / "landing" / "demo_manifest.json").read_text()),
        env=run["env"],
        stdout=run["stdout"] + run["stderr"],
    )


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory) -> PipelineRun:
    """The session's run: the demo region (DEMO_ARGS) through the CLI, shared by every worker."""
    return _shared_run(tmp_path_factory, "hbh_data_shared", _builder(DEMO_ARGS, run_refresh))


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> PipelineRun:
    """A run of the small recent region (SMALL_ARGS), for the tests that change files or kill runs and run
    again on a private copy (``copy_run``): each of their runs then costs seconds instead of a minute.
    Read-only like ``pipeline_run``."""
    return _shared_run(tmp_path_factory, "hbh_small_shared", _builder(SMALL_ARGS, refresh_in_process))


@pytest.fixture(scope="session")
def mixed_run(tmp_path_factory) -> PipelineRun:
    """A run of FORMATS_ARGS delivered in every format (CSV, iWmo XML, Excel, Parquet): read by the format
    tests (against the same region in CSV only) and the iWmo variant tests. Read-only."""
    return _shared_run(tmp_path_factory, "hbh_mixed_shared", _builder([*FORMATS_ARGS, "--formats", "mixed"], refresh_in_process))


@pytest.fixture(scope="session")
def serving_db(pipeline_run) -> Path:
    return pipeline_run.serving


@pytest.fixture
def warehouse(pipeline_run):
    import duckdb

    con = duckdb.connect(str(pipeline_run.warehouse), read_only=True)
    yield con
    con.close()
