"""Shared fixtures: one real Dagster run of the whole asset graph on a small demo region.

The run goes through the same CLI as `make demo` (`dagster job execute … -j refresh`) in a
subprocess, with its own data folder and DAGSTER_HOME, so what the tests see is what a user gets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Small but complete: all five municipalities, 20% of their population, the full 2016-2025 period.
DEMO_ARGS = ["--seed", "7", "--scale", "0.2", "--gemeenten", "5"]


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


def run_env(data_dir: Path) -> dict:
    """Environment of a pipeline run on ``data_dir``, with its own DAGSTER_HOME (made here, telemetry off)."""
    (data_dir / "dagster_home").mkdir(parents=True, exist_ok=True)
    (data_dir / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HBH_", "DAGSTER_"))}
    env.update(
        HBH_DATA_DIR=str(data_dir),
        HBH_DEMO="1",
        DAGSTER_HOME=str(data_dir / "dagster_home"),
        PYTHONUNBUFFERED="1",
    )
    return env


def run_refresh(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "dagster"), "job", "execute", "-m", "hbh_monitor.definitions", "-j", "refresh"],
        cwd=ROOT / "pipelines",
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory) -> PipelineRun:
    data_dir = tmp_path_factory.mktemp("hbh_data")
    env = run_env(data_dir)
    subprocess.run(
        [sys.executable, "-m", "hbh_monitor.demo", "--out", str(data_dir / "landing"), *DEMO_ARGS],
        env=env, check=True, capture_output=True, text=True, timeout=600,
    )
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
