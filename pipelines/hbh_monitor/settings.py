"""Paths and settings shared by the pipeline and the dashboards.

Plain Python (no Dagster import) so the Streamlit app can use it too. Every path can be
overridden with an environment variable; the defaults live under the project's ``data/`` folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    here = Path(__file__).resolve().parents[2]
    return here if (here / "pyproject.toml").exists() else Path.cwd()


def data_dir() -> Path:
    return Path(os.environ.get("HBH_DATA_DIR", project_root() / "data"))


def landing_dir() -> Path:
    """Where exports are delivered: one sub-folder per dataset (indicaties/, declaraties/, ...)."""
    return Path(os.environ.get("HBH_LANDING_DIR", data_dir() / "landing"))


def warehouse_path() -> Path:
    """The working DuckDB file the pipeline writes. Dashboards never open it."""
    return Path(os.environ.get("HBH_WAREHOUSE", data_dir() / "warehouse" / "hbh.duckdb"))


def serving_path() -> Path:
    """The published snapshot (aggregates only) the dashboards read, swapped in atomically."""
    return Path(os.environ.get("HBH_SERVING", data_dir() / "serving" / "hbh_serving.duckdb"))


COUNCIL_SUFFIX = "_council"


def council_path(serving: Path | None = None) -> Path:
    """The council snapshot published next to ``serving`` (default: the configured snapshot):
    hbh_serving.duckdb -> hbh_serving_council.duckdb. It holds only what the council pages show, so a
    council-only server can be given this one file. A path that already is a council snapshot is kept."""
    serving = serving or serving_path()
    if serving.stem.endswith(COUNCIL_SUFFIX):
        return serving
    return serving.with_name(f"{serving.stem}{COUNCIL_SUFFIX}{serving.suffix}")


def contracts_dir() -> Path:
    return Path(os.environ.get("HBH_CONTRACTS_DIR", project_root() / "data_contracts"))


def sql_dir() -> Path:
    return Path(os.environ.get("HBH_SQL_DIR", project_root() / "sql"))


def baseline_year() -> int:
    """Baseline year for growth figures (the year before the abonnementstarief)."""
    return int(os.environ.get("HBH_BASELINE_YEAR", "2018"))


def suppression_threshold() -> int:
    """Counts below this are not shown on council pages (CBS practice: 10)."""
    return int(os.environ.get("HBH_SUPPRESSION_THRESHOLD", "10"))


def contract_years() -> list[int]:
    """Years in which new contracts with the aanbieders started (HBH_CONTRACT_YEARS, e.g. "2023,2026"):
    the wijkgericht werken page shows how concentration moved since each."""
    raw = os.environ.get("HBH_CONTRACT_YEARS") or "2023,2026"
    return sorted({int(x) for x in raw.replace(";", ",").split(",") if x.strip()})


def rounding_base() -> int:
    """Council snapshot: shown person counts are rounded to a multiple of this (CBS practice: 5; 1 = none)."""
    return max(1, int(os.environ.get("HBH_ROUNDING_BASE") or 5))


def waiting_days() -> int:
    """marts.waiting_list: allocated and not started after this many days is waiting (default 14)."""
    return int(os.environ.get("HBH_WAITING_DAYS") or 14)


def volume_tolerance() -> float:
    """Declared hours may exceed the indicated hours of a month by this share before it is a finding."""
    return float(os.environ.get("HBH_VOLUME_TOLERANCE", "0.10"))


def gx_keep_days() -> int:
    """Great Expectations result pages older than this many days are removed (their counts stay in
    ``meta.gx_validations``); default 90."""
    return int(os.environ.get("HBH_GX_KEEP_DAYS") or 90)


def duckdb_config() -> dict[str, str | int]:
    """DuckDB settings for the pipeline's connections: ``HBH_DUCKDB_MEMORY_LIMIT`` (e.g. ``3GB``),
    ``HBH_DUCKDB_THREADS`` (e.g. ``2``) and ``HBH_DUCKDB_TEMP_DIR`` (where DuckDB spills when a query
    exceeds the memory limit). Unset = DuckDB's defaults (80% of RAM, one thread per core)."""
    cfg: dict[str, str | int] = {}
    if os.environ.get("HBH_DUCKDB_MEMORY_LIMIT"):
        cfg["memory_limit"] = os.environ["HBH_DUCKDB_MEMORY_LIMIT"]
    if os.environ.get("HBH_DUCKDB_THREADS"):
        cfg["threads"] = int(os.environ["HBH_DUCKDB_THREADS"])
    if os.environ.get("HBH_DUCKDB_TEMP_DIR"):
        cfg["temp_directory"] = os.environ["HBH_DUCKDB_TEMP_DIR"]
    return cfg


# --- Checked before a run writes anything ------------------------------------------------------------

MIN_KEY_LENGTH = 32  # characters of the pseudonym key (README, docs/deploy/hbh-monitor.env)


class ConfigError(RuntimeError):
    """The configuration cannot give a correct run; found before anything was written."""


def _writable(folder: Path) -> str | None:
    """None when a file can be made in ``folder`` (or, when it does not exist yet, in its nearest
    existing parent, where it would be made); else why not. Probes with a file that is removed at once:
    a permission bit says nothing about a read-only mount or a root user."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is geen map"
    try:
        import tempfile

        with tempfile.TemporaryFile(dir=probe, prefix=".hbh-write-test-"):
            pass
    except OSError as exc:
        return f"{probe} is niet schrijfbaar ({exc.strerror or exc})"
    return None


def today() -> "date":
    """The date the contracts' plausibility bounds (``maximum: today``, ``today+1 years``) are taken from:
    the real date, or ``HBH_TODAY`` (YYYY-MM-DD) to judge a delivery as on that day, e.g. to reload an
    archive, or for a demo region that runs past the real date."""
    from datetime import date

    text = os.environ.get("HBH_TODAY", "").strip()
    return date.fromisoformat(text) if text else date.today()


def accepted_failed_files() -> set[str]:
    """Files whose failed load an operator accepted (``HBH_ACCEPT_FAILED_FILES``: comma-separated, as
    named in the ingestion ledger, e.g. ``declaraties/decl_2025_03.csv``): they no longer hold the
    publication back. Without it, a file that could not be loaded blocks publishing."""
    return {f.strip() for f in os.environ.get("HBH_ACCEPT_FAILED_FILES", "").split(",") if f.strip()}


def preflight() -> None:
    """Check the configuration before a run writes anything: the pseudonym key is present and at least
    ``MIN_KEY_LENGTH`` characters (the public demo key only with ``HBH_DEMO=1``), the folders the run
    writes to are writable, and a non-demo run has a landing folder with files in it.

    Raises :class:`ConfigError` with every problem in one Dutch message. Writes nothing (the write
    probe removes its file at once); called when the run's warehouse resource is set up, so a wrong
    configuration stops the run in seconds instead of once per step."""
    from hbh_monitor.pseudonym import DEMO_KEY, PseudonymKeyMissing, is_demo, pseudonym_key

    problems: list[str] = []
    try:
        key = pseudonym_key()
        if key != DEMO_KEY and len(key.decode("utf-8", "replace")) < MIN_KEY_LENGTH:
            problems.append(
                f"de pseudonimiseringssleutel is {len(key)} tekens lang; minimaal {MIN_KEY_LENGTH} "
                "(HBH_PSEUDONYM_KEY of HBH_PSEUDONYM_KEY_FILE)"
            )
    except (PseudonymKeyMissing, OSError) as exc:
        problems.append(str(exc))
    folders = {
        "werkdatabase (HBH_WAREHOUSE)": warehouse_path().parent,
        "gepubliceerde momentopname (HBH_SERVING)": serving_path().parent,
        "Great Expectations-resultaten (HBH_DATA_DIR/gx)": data_dir() / "gx",
    }
    if os.environ.get("HBH_DUCKDB_TEMP_DIR"):
        folders["DuckDB-uitwijkmap (HBH_DUCKDB_TEMP_DIR)"] = Path(os.environ["HBH_DUCKDB_TEMP_DIR"])
    for what, folder in folders.items():
        why = _writable(folder)
        if why:
            problems.append(f"map voor {what}: {why}")
    landing = landing_dir()
    if not is_demo():
        if not landing.is_dir():
            problems.append(f"de aanlevermap {landing} bestaat niet (HBH_LANDING_DIR)")
        elif not any(p.is_file() and not p.name.startswith(".") for p in landing.rglob("*")):
            problems.append(f"de aanlevermap {landing} is leeg: er is niets aangeleverd (HBH_LANDING_DIR)")
    if problems:
        raise ConfigError(
            "Configuratie niet in orde; de run is gestopt voordat er iets is geschreven:\n- " + "\n- ".join(problems)
        )
