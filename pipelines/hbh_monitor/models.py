"""The SQL models in ``sql/<layer>/<table>.sql``: one SELECT a file, making table ``<layer>.<table>``.

Each file starts with a comment block that says what a row is and how each number is made; that
text becomes the Dagster asset description. The header's ``-- nl:`` lines say the same in Dutch for
the dashboards' "Hoe berekend?". Dependencies are the ``<layer>.<table>`` tables the SELECT reads,
found in its syntax tree (sqlglot, DuckDB dialect), so adding a model is adding a file.

Every build is recorded in ``meta.model_builds`` with a version and what it read (the ledger's
last load of each raw input, the version of each model input). A model whose SQL, settings and
inputs are unchanged since its last build is not built again (mode ``unchanged``): a night in which
only declaraties arrive leaves the models of indicaties, zorgstarts and so on alone. Otherwise a
model is rebuilt in full (``CREATE OR REPLACE TABLE … AS``), table and record in one transaction.

A large line-level model can instead be kept up to date **incrementally**, by a header line

    -- incremental: key (aanbieder_agb, referentie_nummer) over raw.declaraties

which promises that the rows the SELECT makes for one value of the key depend only on the rows of
the ``over`` table with that key value (and on the model's other inputs). Then a run that finds
the other inputs and the SQL unchanged only recomputes the key values that changed in the ``over``
table: for a raw table, the keys in the files the ledger loaded since the last build (old rows
of a re-delivered file included); for an incremental model, the keys in its ``delta.<layer>_<name>``
(the rows it deleted and inserted in its own last build). It deletes the model's rows of those
keys and inserts the SELECT run on the ``over`` rows of those keys only, in one transaction, and
records the build in ``meta.model_builds``. Anything else (first build, SQL or settings changed,
another input changed, the ``over`` model rebuilt in full) rebuilds in full, so the result is
always what a full rebuild would give (tests/test_incremental.py proves it).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from hbh_monitor import settings
from hbh_monitor.sqltext import literal
from hbh_monitor.transaction import transaction

LAYERS = ("staging", "marts")
SCHEMAS = ("raw", *LAYERS)  # the schemas whose tables are assets a model can depend on
_INCREMENTAL = re.compile(r"incremental:\s*key\s*\(([^)]*)\)\s*over\s+((?:raw|staging)\.[a-z_][a-z0-9_]*)")

BUILDS_DDL = """
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS delta;
CREATE TABLE IF NOT EXISTS meta.model_builds (
  model VARCHAR PRIMARY KEY,
  version BIGINT NOT NULL,      -- +1 every build
  mode VARCHAR NOT NULL,        -- full | incremental
  definition VARCHAR,           -- hash of the SQL and the settings it reads
  inputs VARCHAR,               -- what it read: ledger time of raw inputs, version of model inputs
  source_marker VARCHAR,        -- how far the "over" table was followed (ledger time or model version)
  rows BIGINT,
  changed_keys BIGINT,
  reason VARCHAR,               -- why a full rebuild
  built_at TIMESTAMP
)
"""


@dataclass(frozen=True)
class SqlModel:
    layer: str
    name: str
    path: Path
    select: str
    description: str
    deps: tuple[str, ...]  # "layer.table" names
    key: tuple[str, ...] = ()  # incremental models: the key columns
    over: str | None = None  # incremental models: the table whose changes are followed
    description_nl: str = ""  # the header's "-- nl:" lines: the explanation shown on the dashboards

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"


def _parse(path: Path) -> SqlModel:
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line[2:].strip())
    body = "\n".join(l for l in text.splitlines() if not l.startswith("--"))
    layer, name = path.parent.name, path.stem
    table = f"{layer}.{name}"
    deps = sorted(dependencies(body, path) - {table})
    inc = next((m for m in map(_INCREMENTAL.search, header) if m), None)
    key = tuple(k.strip() for k in inc.group(1).split(",")) if inc else ()
    over = inc.group(2) if inc else None
    if over and over not in deps:
        raise ValueError(f"{path}: incremental over {over}, which the SELECT does not read")
    description = " ".join(h for h in header if not _INCREMENTAL.search(h) and not h.startswith("nl:"))
    description_nl = " ".join(h.removeprefix("nl:").strip() for h in header if h.startswith("nl:"))
    if description.startswith(table + ":"):
        description = description[len(table) + 1 :].strip()
    return SqlModel(layer, name, path, body.strip().rstrip(";"), description, tuple(deps), key, over, description_nl)


def dependencies(select: str, where: Path | str = "<sql>") -> set[str]:
    """The ``raw``/``staging``/``marts`` tables a SELECT reads, as ``layer.table``: the table references
    of its syntax tree, so a name in a string or a comment is none and a quoted ``"staging"."x"`` is one."""
    try:
        tree = sqlglot.parse_one(select, read="duckdb")
    except sqlglot.errors.SqlglotError as e:
        raise ValueError(f"{where}: the SELECT could not be parsed: {e}") from e
    return {f"{t.db}.{t.name}".lower() for t in tree.find_all(exp.Table) if t.db.lower() in SCHEMAS and not t.catalog}


@cache
def sql_models(directory: str | None = None) -> tuple[SqlModel, ...]:
    root = Path(directory) if directory else settings.sql_dir()
    return tuple(_parse(p) for layer in LAYERS for p in sorted((root / layer).glob("*.sql")))


def _variables() -> dict[str, object]:
    return {
        "baseline_year": settings.baseline_year(),
        "waiting_days": settings.waiting_days(),
        "volume_tolerance": settings.volume_tolerance(),
    }


def build(con: duckdb.DuckDBPyConnection, model: SqlModel) -> dict:
    """Bring the model's table up to date: ``unchanged``, rebuilt in ``full``, or (models with an
    ``incremental:`` header) ``incremental``. Returns ``rows``, ``mode`` and, where it applies,
    ``changed_keys`` and the ``reason`` for a full rebuild."""
    for name, value in _variables().items():
        con.execute(f"SET VARIABLE {name} = {value}")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {model.layer}")
    con.execute(BUILDS_DDL)
    definition = hashlib.sha256((model.select + repr(sorted(_variables().items()))).encode()).hexdigest()
    inputs = _input_versions(con, [d for d in model.deps if d != model.over])
    prev = con.execute(
        "SELECT version, definition, inputs, source_marker, rows FROM meta.model_builds WHERE model = ?", [model.table]
    ).fetchall()
    reason = None
    if not prev or not _exists(con, model.table):
        reason = "eerste opbouw"
    elif prev[0][1] != definition:
        reason = "SQL of instellingen gewijzigd"
    elif prev[0][2] != inputs:
        before, now = json.loads(prev[0][2] or "{}"), json.loads(inputs)
        reason = "andere invoer gewijzigd: " + ", ".join(d for d in now if before.get(d) != now[d])
    if model.key:
        return _build_keyed(con, model, prev[0] if prev else None, definition, inputs, reason)
    if reason is None:
        return {"rows": prev[0][4], "mode": "unchanged"}
    version = prev[0][0] + 1 if prev else 1
    with transaction(con):
        con.execute(f"CREATE OR REPLACE TABLE {model.table} AS\n{model.select}")
        rows = _count(con, model.table)
        _record(con, model, version, "full", definition, inputs, None, rows, None, reason)
    return {"rows": rows, "mode": "full", "reason": reason}


def _input_versions(con: duckdb.DuckDBPyConnection, tables: list[str]) -> str:
    """What a model reads, as JSON: per raw table the ledger time of its last load, per model its
    build version. Equal JSON = equal inputs (ingestion and model builds are the only writers)."""
    ledger = _exists(con, "meta.ingestion_ledger")
    out = {}
    for t in sorted(tables):
        layer, name = t.split(".")
        if layer == "raw":
            row = con.execute("SELECT max(loaded_at)::VARCHAR FROM meta.ingestion_ledger WHERE dataset = ? AND status <> 'fout'",
                              [name]).fetchall() if ledger else []
        else:
            row = con.execute("SELECT version::VARCHAR FROM meta.model_builds WHERE model = ?", [t]).fetchall()
        out[t] = row[0][0] if row else None
    return json.dumps(out, sort_keys=True)


def _record(con, model, version, mode, definition, inputs, marker, rows, n_keys, reason) -> None:
    con.execute(
        "INSERT OR REPLACE INTO meta.model_builds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "current_timestamp AT TIME ZONE 'UTC')",
        [model.table, version, mode, definition, inputs, marker, rows, n_keys, reason],
    )


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ? AND table_name = ?",
        [schema, name],
    ).fetchall()[0][0])


def _changes(con: duckdb.DuckDBPyConnection, model: SqlModel, marker: str | None) -> tuple[str, str | None, str | None]:
    """How far the ``over`` table is now, and a SELECT of the changed key values since ``marker``
    (``None``: follow-up impossible, rebuild in full, with the reason)."""
    key = ", ".join(model.key)
    layer, name = model.over.split(".")
    if layer == "raw":
        now = con.execute(
            "SELECT coalesce(max(loaded_at)::VARCHAR, '') FROM meta.ingestion_ledger WHERE dataset = ? AND status <> 'fout'", [name]
        ).fetchall()[0][0]
        since = f"loaded_at > TIMESTAMP {literal(marker)}" if marker else "true"
        files = f"(SELECT source_file FROM meta.ingestion_ledger WHERE dataset = {literal(name)} AND status <> 'fout' AND {since})"
        return now, (
            f"SELECT DISTINCT {key} FROM {model.over} WHERE source_file IN {files} "
            f"UNION SELECT DISTINCT {key} FROM {model.table} WHERE source_file IN {files}"
        ), None
    row = con.execute("SELECT version, mode FROM meta.model_builds WHERE model = ?", [model.over]).fetchall()
    if not row:
        return "", None, f"{model.over} wordt niet incrementeel bijgehouden"
    version, mode = row[0]
    if marker == str(version):
        return str(version), f"SELECT DISTINCT {key} FROM {model.table} WHERE false", None
    if marker == str(version - 1) and mode == "incremental":
        return str(version), f"SELECT DISTINCT {key} FROM {_delta_table(model.over)}", None
    return str(version), None, f"{model.over} is opnieuw opgebouwd"


def _delta_table(table: str) -> str:
    """Where an incremental model keeps the rows its last build deleted and inserted."""
    return "delta." + table.replace(".", "_")


def _build_keyed(con: duckdb.DuckDBPyConnection, model: SqlModel, prev: tuple | None, definition: str,
                 inputs: str, reason: str | None) -> dict:
    marker, changed, why = _changes(con, model, prev[3] if prev else None)
    reason = reason or why
    version = prev[0] + 1 if prev else 1
    delta = _delta_table(model.table)
    on = " AND ".join(f"t.{k} IS NOT DISTINCT FROM _keys.{k}" for k in model.key)
    with transaction(con):
        if reason:
            con.execute(f"CREATE OR REPLACE TABLE {model.table} AS\n{model.select}")
            con.execute(f"CREATE OR REPLACE TABLE {delta} AS SELECT * FROM {model.table} LIMIT 0")
            mode, n_keys = "full", None
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _keys AS {changed}")
            n_keys = _count(con, "_keys")
            mode = "incremental"
            if n_keys:
                con.execute(f"CREATE OR REPLACE TEMP TABLE _over AS SELECT t.* FROM {model.over} t SEMI JOIN _keys ON {on}")
                restricted = re.sub(rf"\b{re.escape(model.over)}\b", "_over", model.select)
                con.execute(f"CREATE OR REPLACE TABLE {delta} AS SELECT t.* FROM {model.table} t SEMI JOIN _keys ON {on}")
                con.execute(f"DELETE FROM {model.table} t USING _keys WHERE {on}")
                con.execute(f"INSERT INTO {model.table} BY NAME\n{restricted}")
                con.execute(f"INSERT INTO {delta} SELECT t.* FROM {model.table} t SEMI JOIN _keys ON {on}")
                con.execute("DROP TABLE _over")
            else:  # nothing changed: same version (downstream models see no change), only the marker moves
                version = prev[0]
            con.execute("DROP TABLE _keys")
        rows = _count(con, model.table)
        _record(con, model, version, mode, definition, inputs, marker, rows, n_keys, reason)
    return {"rows": rows, "mode": mode, "changed_keys": n_keys, "reason": reason}
