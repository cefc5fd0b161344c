"""Publishing: the serving snapshot the dashboards read.

The dashboards never open the working database. After a run's checks pass, the marts are copied
into a new DuckDB file next to the live one, with small counts suppressed (council pages must
never show a cell small enough to point at a person), and the new file is swapped in with
``os.replace`` — atomic, so a reader sees either the old or the new snapshot, never half of one
(measured pattern: see docs and ../shared/stack-notes.md). Client rows never enter the snapshot.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from hbh_monitor import settings
from hbh_monitor.models import sql_models

COUNT_COLUMNS = ("clients", "new_clients", "clients_baseline")
# derived column → the counts it is computed from; hidden when any of them is hidden.
DERIVED = {
    "clients_per_1000": ("clients",),
    "clients_per_1000_75plus": ("clients",),
    "share_of_clients": ("clients",),
    "growth_vs_baseline": ("clients", "clients_baseline"),
    "growth_vs_previous": ("clients",),
}


def _suppressed_select(con: duckdb.DuckDBPyConnection, table: str, threshold: int) -> str:
    schema, name = table.split(".")
    cols = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
    ]
    hidden = {c: f"({c} IS NOT NULL AND {c} < {threshold})" for c in COUNT_COLUMNS if c in cols}
    out = []
    for c in cols:
        if c in hidden:
            out.append(f"CASE WHEN {hidden[c]} THEN NULL ELSE {c} END AS {c}")
        elif c in DERIVED and any(s in hidden for s in DERIVED[c]):
            cond = " OR ".join(hidden[s] for s in DERIVED[c] if s in hidden)
            out.append(f"CASE WHEN {cond} THEN NULL ELSE {c} END AS {c}")
        else:
            out.append(c)
    return f"SELECT {', '.join(out)} FROM {table}"


def publish_snapshot(con: duckdb.DuckDBPyConnection, run_id: str, is_demo: bool, target: Path | None = None) -> dict:
    target = target or settings.serving_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    threshold = settings.suppression_threshold()
    marts = [m for m in sql_models() if m.layer == "marts"]
    con.execute(f"ATTACH '{tmp}' AS snap")
    try:
        con.execute("CREATE SCHEMA snap.marts")
        con.execute("CREATE SCHEMA snap.meta")
        for m in marts:
            con.execute(f"CREATE TABLE snap.{m.table} AS {_suppressed_select(con, m.table, threshold)}")
        con.execute(
            "CREATE TABLE snap.meta.refresh AS SELECT ?::TIMESTAMP AS published_at, ? AS run_id, ? AS is_demo, "
            "data_from, data_to, ? AS suppression_threshold FROM staging.data_period",
            [datetime.now(timezone.utc).replace(tzinfo=None), run_id, is_demo, threshold],
        )
        con.execute("CREATE TABLE snap.meta.model_docs (table_name VARCHAR, description VARCHAR, source_sql VARCHAR)")
        for m in sql_models():
            con.execute(
                "INSERT INTO snap.meta.model_docs VALUES (?, ?, ?)",
                [m.table, m.description, str(m.path.relative_to(settings.project_root()))],
            )
        con.execute("CREATE TABLE snap.meta.ingestion_ledger AS SELECT * FROM meta.ingestion_ledger ORDER BY loaded_at, source_file")
        con.execute(
            # rules only: a reason text can quote a delivered value (e.g. a birth date).
            "CREATE TABLE snap.meta.quarantine_summary AS SELECT dataset, source_file, rules, count(*) AS rows "
            "FROM meta.quarantine GROUP BY ALL ORDER BY dataset, source_file, rows DESC"
        )
    finally:
        con.execute("DETACH snap")
    os.replace(tmp, target)
    return {"path": str(target), "tables": [m.table for m in marts], "suppression_threshold": threshold}
