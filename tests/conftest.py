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

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import BIN, DEMO_ARGS, ROOT, demo_region, run_env, run_refresh  # noqa: F401  (re-exported)


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


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory) -> PipelineRun:
    data_dir = tmp_path_factory.mktemp("hbh_data")
    env = run_env(data_dir)
    demo_region(data_dir / "landing", DEMO_ARGS)
    proc = run_refresh(env)
    assert proc.returncode == 0, f"Dagster run failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    return PipelineRun(
        data_dir=data_dir,
        landing=data_dir / "landing",
        warehouse=data_dir / "warehouse" / "hbh.duckdb",
        serving=data_dir / "serving" / "hbh_serving.duckdb",
        dagster_home=data_dir / "dagster_home",
        manifest=json.loads((data_dir / "landing" / "demo_manifest.json").read_text()),
        env=env,
        stdout=proc.stdout + proc.stderr,
    )


@pytest.fixture(scope="session")
def serving_db(pipeline_run) -> Path:
    return pipeline_run.serving


@pytest.fixture
def warehouse(pipeline_run):
    import duckdb

    con = duckdb.connect(str(pipeline_run.warehouse), read_only=True)
    yield con
    con.close()
