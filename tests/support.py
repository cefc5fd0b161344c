"""Helpers shared by the test modules (the fixtures themselves live in conftest.py).

- ``run_env`` / ``run_refresh``: a data folder's environment and one real Dagster run of job
  ``refresh`` through the CLI, exactly as ``make pipeline`` does it (a subprocess).
- ``refresh_in_process``: the same job of the same Definitions, real DuckDB and real Great
  Expectations, executed in this process with ``execute_in_process`` (an in-memory Dagster instance). It skips the start-up of a
  new interpreter (Dagster, GX, polars imports), so tests about figures use it; the CLI stays for
  the session run (the smoke test of what a user gets) and for the tests that kill a run.
- ``demo_region``: a generated demo region, generated once per parameter set and kept on disk
  (keyed by the arguments and the generator's source), copied for every test that asks for it.
- ``region_run``: a demo region in a data folder of its own and one in-process run over it (the
  region changed first by the test when it asks), the usual start of a test module's own run.
- ``copy_run``: a private copy of a run's data folder, so no test changes shared state.
- ``read_rows`` / ``clean_rows`` / ``parse_date`` / ``parse_num``: the independent reading of the
  landing files that test oracles are computed from (the csv module, never the pipeline's SQL).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import importlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SHARED = ROOT.parent / "shared"

# Small but complete: all five municipalities, 20% of their population, the full 2016-2025 period.
DEMO_ARGS = ["--seed", "7", "--scale", "0.2", "--gemeenten", "5"]

# A small recent region (2 gemeenten, 2023-2025, CSV only) for tests that change files and run again.
SMALL_ARGS = ["--seed", "11", "--scale", "0.05", "--gemeenten", "2", "--first-year", "2023", "--formats", "csv"]

# Three small gemeenten with the iWmo variants, delivered as a mix of CSV, iWmo XML, Excel and Parquet
# (with "--formats mixed") or as CSV only (with "--formats csv"): the format tests compare the two, and
# the variant tests read the mixed one.
FORMATS_ARGS = ["--seed", "11", "--scale", "0.06", "--gemeenten", "3", "--variants"]

# The demo region generator, as `make demo-data` runs it.
DEMO_MODULE = "hbh_demo"
REFRESH_CLI = [str(BIN / "dagster"), "job", "execute", "-m", "hbh_monitor.definitions", "-j", "refresh"]

# Generated regions are kept here between sessions (.pytest_cache is ignored by git; `pytest
# --cache-clear` or deleting the folder regenerates them). HBH_TEST_REGIONS overrides the folder.
REGION_CACHE = Path(os.environ.get("HBH_TEST_REGIONS", ROOT / ".pytest_cache" / "demo_regions"))


# --- running the pipeline ------------------------------------------------------------------------------


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


def run_refresh(env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    """One run of job ``refresh`` through the CLI (``dagster job execute``), in a subprocess."""
    return subprocess.run(REFRESH_CLI, cwd=ROOT / "pipelines", env=env, capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def environment(env: dict):
    """``os.environ`` is exactly ``env`` inside the block, and what it was before after it."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def refresh_in_process(env: dict) -> subprocess.CompletedProcess:
    """One run of job ``refresh`` of the real Definitions (hbh_monitor.definitions) in this process.

    The Definitions are loaded anew under ``env`` (their DuckDB resource points at the run's
    warehouse). The run is recorded in an in-memory Dagster instance: Dagster's SQLite event log on
    disk (a connection and a commit per event, ~1,000 events a run) cost a quarter of a small run,
    and no test reads these runs back (the session's CLI run is the one recorded in its DAGSTER_HOME,
    and test_pipeline reads it there). Returns what
    :func:`run_refresh` returns: ``returncode`` 0 when the run succeeded, and as ``stdout`` the run's
    event log, one line per event (``<job> - <run id> - <step> - <EVENT_TYPE> - <message>``, a failure
    followed by its exception and cause), so tests can look for ``STEP_FAILURE``, an error's words or the
    run id as in the CLI's output.
    """
    import dagster as dg

    with environment(env):
        import hbh_monitor.definitions as definitions

        definitions = importlib.reload(definitions)  # resources read HBH_WAREHOUSE when the module loads
        job = definitions.defs.resolve_job_def("refresh")
        with dg.DagsterInstance.ephemeral() as instance:
            error = ""
            try:
                result = job.execute_in_process(instance=instance, raise_on_error=False)
                run_id, ok = result.run_id, result.success
            except Exception as e:  # a failure outside any step (definitions, instance): like a crashed CLI
                run_id, ok, error = None, False, f"{type(e).__name__}: {e}"
            lines = []
            if run_id:
                for entry in instance.all_logs(run_id):
                    event = entry.dagster_event.event_type_value if entry.dagster_event else entry.level
                    lines.append(f"{entry.job_name} - {run_id} - {entry.step_key or ''} - {event} - {entry.message}")
                    failure = getattr(entry.dagster_event and entry.dagster_event.event_specific_data, "error", None)
                    if failure is not None:  # a failure's exception and cause, as the CLI prints them
                        lines.append(failure.to_string())
    return subprocess.CompletedProcess(REFRESH_CLI, 0 if ok else 1, "\n".join(lines) + "\n", error)


# --- demo regions ----------------------------------------------------------------------------------------


def _generator_fingerprint() -> str:
    """Hash of the generator's source (every file of its package) and of the libraries that draw its numbers."""
    import numpy
    import polars

    spec = importlib.util.find_spec(DEMO_MODULE)
    roots = [Path(p) for p in (spec.submodule_search_locations or [])] or [Path(spec.origin).parent]
    h = hashlib.sha256(f"{DEMO_MODULE}|numpy {numpy.__version__}|polars {polars.__version__}".encode())
    for root in roots:
        for p in sorted(root.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def cached_region(args: list[str]) -> Path:
    """The landing folder the generator writes for ``args``: generated on first use, then kept in
    REGION_CACHE under a key of the arguments and the generator's source. Read-only by convention:
    use :func:`demo_region` for a copy a test may change."""
    key = hashlib.sha256(json.dumps([list(map(str, args)), _generator_fingerprint()]).encode()).hexdigest()[:16]
    target = REGION_CACHE / key
    if (target / "demo_manifest.json").is_file():
        return target
    REGION_CACHE.mkdir(parents=True, exist_ok=True)
    work = REGION_CACHE / f"{key}.tmp-{uuid.uuid4().hex[:8]}"
    proc = subprocess.run([sys.executable, "-m", DEMO_MODULE, "--out", str(work), *map(str, args)],
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise AssertionError(f"demo generator failed for {args}:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    (work / "demo_args.json").write_text(json.dumps(list(map(str, args))))
    try:
        os.rename(work, target)  # atomic: another session may have finished the same region first
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
    return target


def demo_region(landing: Path, args: list[str]) -> dict:
    """A private copy of the demo region for ``args`` in ``landing`` (which must not exist yet).
    Returns its manifest (``demo_manifest.json``)."""
    shutil.copytree(cached_region(args), landing, ignore=shutil.ignore_patterns("demo_args.json"))
    return json.loads((landing / "demo_manifest.json").read_text())


def region_run(data_dir: Path, args: list[str], *, extra_env: dict | None = None, prepare=None,
               check: bool = True) -> tuple[dict, dict, subprocess.CompletedProcess]:
    """The demo region for ``args`` in ``data_dir``/landing and one run of ``refresh`` over it in this
    process. ``extra_env`` is added to the run's environment; ``prepare(landing, manifest)`` may change
    the landing files before the run. With ``check`` the run must succeed. Returns (env, manifest, run)."""
    env = {**run_env(data_dir), **(extra_env or {})}
    manifest = demo_region(data_dir / "landing", args)
    if prepare:
        prepare(data_dir / "landing", manifest)
    proc = refresh_in_process(env)
    if check:
        assert proc.returncode == 0, f"run on {args} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return env, manifest, proc


RUN_FOLDERS = ("landing", "warehouse", "serving")


def copy_run(data_dir: Path, dest: Path, subs: tuple[str, ...] = RUN_FOLDERS) -> dict:
    """A private copy of a run's data folder (``subs``: by default landing, warehouse and serving) with a
    fresh DAGSTER_HOME; returns the environment of a run on the copy."""
    for sub in subs:
        if (data_dir / sub).exists():
            shutil.copytree(data_dir / sub, dest / sub)
    return run_env(dest)


# --- reading the landing files independently ----------------------------------------------------------


def read_rows(run, entry):
    """The data records of a landing file as dicts, read with the file's own encoding."""
    raw = (run.landing / entry["path"]).read_bytes()
    enc = entry["dialect"]["encoding"]
    text = raw.decode("utf-8-sig" if enc.startswith("utf-8") else enc)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=entry["dialect"]["separator"]))


def parse_date(s):
    s = s.strip()
    if not s:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            pass
    raise ValueError(s)


def parse_num(s):
    s = s.strip()
    return float(s.replace(".", "").replace(",", ".") if "," in s else s)


def clean_rows(run, dataset):
    """Rows of every file of a dataset, minus the defects the generator planted (the manifest lists them)."""
    out = []
    for entry in run.manifest["files"]:
        if entry["dataset"] != dataset:
            continue
        bad = {d["record"] for d in entry["defects"]}
        out += [r for i, r in enumerate(read_rows(run, entry), start=1) if i not in bad]
    return out


# --- ../shared reference material ---------------------------------------------------------------------


def require_shared(path: Path, what: str):
    """``path`` under ../shared/reference, or: under CI (``CI`` set) a failing test, locally a loud skip.

    Reference files (official iWmo schemas, CBS outlines) are read from the shared folder next to
    the clone and never copied into the project. CI must have them: a missing folder there is an
    error, not a silently skipped test.
    """
    import pytest

    if path.exists():
        return path
    msg = (f"{what}: {path} is missing. The reference tests read the shared folder next to the clone "
           f"({SHARED}); link it (ln -sfn <shared folder> {SHARED}).")
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(msg, pytrace=False)
    sys.stderr.write(f"\n{'!' * 78}\n!! SKIPPED: {msg}\n{'!' * 78}\n")
    pytest.skip(msg)


def needs_shared(path: Path, what: str):
    """Decorator for a test that reads ``path`` under ../shared: :func:`require_shared` before it runs."""

    def decorate(test):
        @functools.wraps(test)
        def wrapper(*args, **kwargs):
            require_shared(path, what)
            return test(*args, **kwargs)

        return wrapper

    return decorate
