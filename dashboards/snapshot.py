"""The published snapshot: the one way the dashboards read data.

Data access rules (measured behaviour of DuckDB 2.0 and Streamlit):
- read ONLY the published snapshot at ``settings.serving_path()`` (the council snapshot in council mode),
  read-only;
- open a new connection per query and close it (DuckDB's in-process instance cache would otherwise
  keep serving the old file after the pipeline swaps in a new snapshot with ``os.replace``);
- cache the *results* with ``st.cache_data``, keyed on the file's identity (mtime_ns, inode, size),
  so a new publication is picked up on the next rerun.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import streamlit as st

from hbh_monitor import settings
from dashboards.access import dashboard_mode

NO_DATA_MESSAGE = "Nog geen gepubliceerde gegevens: draai eerst de pipeline (make demo)."
TABLES = (
    "marts.gemeente_year",
    "marts.wijk_year",
    "marts.age_year",
    "meta.refresh",
    "meta.model_docs",
    "meta.wijk_geometry",
    "meta.ingestion_ledger",
    "meta.quarantine_summary",
)


class DataUnavailable(Exception):
    """The snapshot exists but cannot be read (locked, wrong layout, ...)."""


def serving_path() -> Path:
    """The snapshot this app reads: in council mode the council snapshot, which holds no analyst tables."""
    if dashboard_mode() == "council":
        return settings.council_path()
    return settings.serving_path()


def has_data() -> bool:
    return serving_path().is_file()


def _decimals_to_float(df: pl.DataFrame) -> pl.DataFrame:
    """DECIMAL/HUGEINT arrive as polars Decimal (pandas object): Plotly would treat them as categories.

    Whole numbers (scale 0, e.g. a HUGEINT sum) become Int64, the rest Float64."""
    casts = []
    for n, t in df.schema.items():
        if isinstance(t, pl.Decimal):
            casts.append(pl.col(n).cast(pl.Int64 if t.scale == 0 else pl.Float64))
        elif t == pl.Int128:
            casts.append(pl.col(n).cast(pl.Int64))
    return df.with_columns(casts) if casts else df


@st.cache_data(show_spinner=False, max_entries=64)
def _read(path: str, file_key: tuple[int, int, int], sql: str) -> pl.DataFrame:
    """Run one query on a fresh read-only connection. ``file_key`` only keys the cache."""
    for attempt in range(3):
        try:
            with duckdb.connect(path, read_only=True) as con:
                return _decimals_to_float(con.sql(sql).pl())
        except duckdb.IOException:  # e.g. a lock held by a writer: retry briefly
            if attempt == 2:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def query(sql: str) -> pl.DataFrame:
    """Query the published snapshot (cached until the file changes). Raises FileNotFoundError /
    DataUnavailable; pages normally use :func:`load`."""
    p = serving_path()
    st_ = os.stat(p)  # FileNotFoundError if nothing is published yet
    try:
        return _read(str(p), (st_.st_mtime_ns, st_.st_ino, st_.st_size), sql)
    except duckdb.Error as e:
        raise DataUnavailable(f"{type(e).__name__}: {e}") from e


def load(table: str) -> pl.DataFrame:
    """A whole published table; on failure a friendly Dutch message is shown and the page stops."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    try:
        return query(f"select * from {table}")
    except FileNotFoundError:
        st.info(NO_DATA_MESSAGE, icon=":material/hourglass_empty:")
        st.stop()
    except DataUnavailable as e:
        st.error(
            "De gepubliceerde gegevens konden niet worden gelezen. Draai de pipeline opnieuw of "
            f"neem contact op met de beheerder.\n\nTechnische melding: `{e}`",
            icon=":material/error:",
        )
        st.stop()
    raise AssertionError("unreachable")


_TABLE_NAME = re.compile(r"^(marts|meta)\.[a-z0-9_]+$")


def table_exists(table: str) -> bool:
    """Whether the published snapshot has ``table`` (optional tables: pages degrade gracefully)."""
    schema, name = table.split(".")
    try:
        df = query(
            "select count(*) as n from information_schema.tables "
            f"where table_schema = '{schema}' and table_name = '{name}'"
        )
    except (FileNotFoundError, DataUnavailable):
        return False
    return bool(df["n"][0])


def load_optional(table: str) -> pl.DataFrame | None:
    """A whole published table, or None when the snapshot does not have it (older snapshot, mart not
    built yet, optional reference data). The page then shows what it can."""
    if not _TABLE_NAME.match(table):
        raise ValueError(f"bad table name {table!r}")
    if not table_exists(table):
        return None
    try:
        return query(f"select * from {table}")
    except (FileNotFoundError, DataUnavailable):
        return None


def refresh_info() -> dict[str, Any] | None:
    """The single row of meta.refresh, or None if there is no (readable) snapshot."""
    try:
        df = query("select * from meta.refresh")
    except (FileNotFoundError, DataUnavailable):
        return None
    return df.row(0, named=True) if df.height else None


def is_demo() -> bool:
    info = refresh_info()
    return bool(info and info.get("is_demo"))


def suppression_threshold() -> int:
    """The threshold the snapshot was published with (meta.refresh), else the configured one."""
    info = refresh_info() or {}
    value = info.get("suppression_threshold")
    return int(value) if value is not None else settings.suppression_threshold()


def rounding_base() -> int:
    """The multiple person counts of the snapshot are rounded to (meta.refresh), 1 = not rounded."""
    info = refresh_info() or {}
    value = info.get("rounding_base")
    return int(value) if value is not None else 1


def baseline_year() -> int:
    """The baseline year the marts were built with (marts.gemeente_year), else the configured one."""
    try:
        value = query("select max(baseline_year) as b from marts.gemeente_year")["b"][0]
    except (FileNotFoundError, DataUnavailable):
        value = None
    return int(value) if value is not None else settings.baseline_year()


def model_doc(table: str) -> str | None:
    """The published "how calculated" text of a table: the Dutch lines of its SQL header, and where the
    technical (English) definition is. Without Dutch lines (an older snapshot), the English header."""
    try:
        docs = query("select * from meta.model_docs")
    except (FileNotFoundError, DataUnavailable):
        return None
    hit = docs.filter(pl.col("table_name") == table)
    if not hit.height:
        return None
    dutch = hit["description_nl"][0] if "description_nl" in hit.columns else None
    english = hit["description"][0] or ""
    sql = f"`{hit['source_sql'][0]}`" if "source_sql" in hit.columns and hit["source_sql"][0] else "de SQL"
    if not dutch:  # an older snapshot, or a model without a Dutch explanation yet
        return english + f"\n\n_SQL: {sql}_"
    return dutch + f"\n\n_Technische definitie per kolom (Engels): {sql} en de Dagster UI._"
