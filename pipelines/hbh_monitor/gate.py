"""The contract's row gate: the one module that writes its SQL, and the clear room it runs in.

Every delivered row, whatever its format, reaches the gate as text columns named as in the contract
plus ``source_line`` (:mod:`hbh_monitor.readers`). The gate

* types each value once (:func:`typed_expr`),
* checks every rule of the contract, each as a SQL condition with a Dutch reason (:func:`rule_checks`:
  required, type, pattern, allowed values, range, length, elfproef, and the plausibility rules
  between columns and against today's date, see :mod:`hbh_monitor.contracts`),
* and replaces the BSN by its keyed pseudonym (:mod:`hbh_monitor.pseudonym`).

**The clear room.** The gate runs in an in-memory DuckDB instance of its own (:class:`ClearRoom`),
not in the warehouse's instance, with spilling to disk switched off: the BSN in clear exists only in
that instance's memory. What leaves the room are the loaded rows with the pseudonym instead of the
BSN (an Arrow stream) and the quarantine rows, whose reasons and records have every 9-digit number
masked. One room serves the files of one dataset in turn and is emptied (every table and view
dropped) after each file, so nothing of one file's load can touch another file's, and no byte of a
BSN reaches the warehouse file, its WAL or its temp folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa

from hbh_monitor import readers, settings
from hbh_monitor.contracts import Column, Contract, relative_date
from hbh_monitor.pseudonym import client_id_sql, mask_sql
from hbh_monitor.sqltext import ident, literal

# Dutch names of the types, for reasons shown to analysts.
TYPE_WORDS = {"integer": "geheel getal", "number": "getal", "date": "geldige datum", "boolean": "ja/nee-waarde"}

# Date formats accepted in exports, tried in this order: ISO first, then dd-mm-jjjj and variants.
DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y%m%d", "%d-%m-%y"]

_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")


def mask_digits(text: str) -> str:
    """Mask every 9-digit number (a possible BSN) in free text such as a raw line or an error."""
    return _NINE_DIGITS.sub(lambda m: "******" + m.group(0)[-3:], text)


# --- typing and rules ------------------------------------------------------------------------
def typed_expr(contract: Contract, col: Column, v: str) -> str:
    """SQL that turns the trimmed text value ``v`` ('' already NULL) into the column's type, or NULL."""
    t = col.logical_type
    if t == "string":
        return v
    if t == "integer":
        # whole numbers only: TRY_CAST would round '1.5' to 2
        return f"CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+') THEN TRY_CAST({v} AS BIGINT) END"
    if t == "number":
        # Decimal comma (1234,56) or point (1234.56); a comma means '.' is a thousands separator.
        return (
            f"TRY_CAST(CASE WHEN contains({v}, ',') THEN replace(replace({v}, '.', ''), ',', '.') "
            f"ELSE {v} END AS {col.duckdb_type})"
        )
    if t == "date":
        fmts = ", ".join(f"'{f}'" for f in DATE_FORMATS)
        return f"TRY_STRPTIME({v}, [{fmts}])::DATE"
    if t == "boolean":
        return f"CASE lower({v}) WHEN 'ja' THEN true WHEN 'j' THEN true WHEN 'nee' THEN false WHEN 'n' THEN false ELSE TRY_CAST({v} AS BOOLEAN) END"
    raise ValueError(f"unknown logicalType {t!r} in contract {contract.name}")


def date_literal(bound: object, today: date) -> str:
    """SQL for a date bound of the contract: an ISO date, or ``today``/``today+N days|years``."""
    return f"DATE '{relative_date(bound, today).isoformat()}'"


def rule_checks(contract: Contract, col: Column, v: str, typed: str, today: date,
                typed_of: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(rule id, SQL condition that is TRUE when the rule is broken, Dutch reason SQL) for one column.

    ``v`` is the delivered text trimmed, with '' as NULL, and ``typed`` its typed value; the gate
    computes both once per row. ``typed_of`` maps other columns to their typed values (rules between
    columns); a rule naming a column the file lacks is left out (the missing column is reported).
    """
    typed_of = typed_of or {}
    present = f"{v} IS NOT NULL"
    checks: list[tuple[str, str, str]] = []
    if col.required:
        checks.append((f"required:{col.name}", f"NOT ({present})", f"'verplicht veld {col.name} is leeg'"))
    shown = "'***'" if col.pseudonymise_as else v
    if col.logical_type != "string":
        checks.append((f"type:{col.name}", f"{present} AND {typed} IS NULL",
                       f"'{col.name}: ''' || {shown} || ''' is geen {TYPE_WORDS[col.logical_type]}'"))
    if col.pattern:
        said = f"de vorm: {col.pattern_description}" if col.pattern_description else f"de vorm {col.pattern}"
        said = said.replace("'", "''")
        checks.append((f"pattern:{col.name}", f"{present} AND NOT regexp_full_match({v}, {literal(col.pattern)})",
                       f"'{col.name}: ''' || {shown} || ''' heeft niet {said}'"))
    if col.max_length is not None:
        checks.append((f"length:{col.name}", f"{present} AND length({v}) > {int(col.max_length)}",
                       f"'{col.name} is langer dan {int(col.max_length)} tekens (' || length({v})::VARCHAR || ')'"))
    if col.valid_values:
        vals = ", ".join(literal(x) for x in col.valid_values)
        checks.append((f"values:{col.name}", f"{present} AND {v} NOT IN ({vals})",
                       f"'{col.name}: ''' || {shown} || ''' is geen toegestane waarde ({', '.join(col.valid_values)})'"))
    for bound, op, word in ((col.minimum, "<", "kleiner dan"), (col.maximum, ">", "groter dan")):
        if bound is None:
            continue
        if col.logical_type == "date":
            lit, said = date_literal(bound, today), relative_date(bound, today).strftime("%d-%m-%Y")
            word = "eerder dan" if op == "<" else "later dan"
            shown_value = f"strftime({typed}, '%d-%m-%Y')"
        else:
            lit, said, shown_value = str(bound), str(bound), f"{typed}::VARCHAR"
        checks.append((f"range:{col.name}", f"{typed} {op} {lit}", f"'{col.name}: ' || {shown_value} || ' is {word} {said}'"))
    if col.not_before and col.not_before in typed_of:
        other = typed_of[col.not_before]
        checks.append((f"order:{col.name}", f"{typed} < {other}",
                       f"'{col.name} (' || strftime({typed}, '%d-%m-%Y') || ') ligt vóór {col.not_before} (' "
                       f"|| strftime({other}, '%d-%m-%Y') || ')'"))
    if col.age_at and col.age_at.get("column") in typed_of:
        ref_name = col.age_at["column"]
        ref = typed_of[ref_name]
        lo, hi = int(col.age_at.get("minimum", 0)), int(col.age_at.get("maximum", 120))
        age = f"date_diff('year', {typed}, {ref}) - CASE WHEN strftime({ref}, '%m%d') < strftime({typed}, '%m%d') THEN 1 ELSE 0 END"
        checks.append((f"age:{col.name}", f"NOT (({age}) BETWEEN {lo} AND {hi})",
                       f"'leeftijd op {ref_name} is ' || ({age})::VARCHAR || ' jaar (toegestaan {lo} tot en met {hi})'"))
    if col.maximum_by and col.maximum_by.get("column") in typed_of:
        key_col = col.maximum_by["column"]
        key = typed_of[key_col]
        for value, bound in (col.maximum_by.get("values") or {}).items():
            checks.append((f"range:{col.name}", f"{key} = {literal(str(value))} AND {typed} > {bound}",
                           f"'{col.name}: ' || {typed}::VARCHAR || ' is groter dan {bound}, het meeste dat kan "
                           f"bij {key_col} {value}'"))
    if col.pseudonymise_as:
        checks.append((f"elfproef:{col.name}", f"{present} AND regexp_full_match({v}, '[0-9]{{9}}') AND NOT {elfproef_sql(v)}",
                       f"'{col.name} voldoet niet aan de elfproef'"))
    return checks


def elfproef_sql(v: str) -> str:
    """SQL: TRUE when the 9-digit text ``v`` passes the BSN elfproef (and is not all zeros)."""
    # The digits by integer arithmetic on one cast (cheaper than nine substrings). TRY_CAST: SQL does
    # not promise to skip this for values that failed the 9-digit pattern check.
    n = f"TRY_CAST({v} AS BIGINT)"
    terms = " + ".join(f"{w} * ({n} // {10 ** (8 - i)} % 10)" for i, w in enumerate([9, 8, 7, 6, 5, 4, 3, 2, -1]))
    return f"coalesce(({terms}) % 11 = 0 AND {v} <> '000000000', false)"


def gate_select(contract: Contract, source: str, present: list[str], missing: list[str], today: date | None = None) -> str:
    """The row gate as one SELECT over ``source`` (``source_line`` + text columns named as in the contract).

    ``present``: the contract columns the file has; ``missing``: required ones it lacks (every row then
    fails with that reason). Output: ``source_line``, the typed contract columns, ``_failed``, and for
    failed rows ``reasons``, ``rules`` and ``record`` (JSON text of the delivered row, BSN masked). The
    BSN column becomes ``_bsn`` (the well-formed BSN, else NULL), replaced by its pseudonym when the
    rows leave the clear room. Each value is trimmed and typed once (inner SELECTs) and the rules read those.
    """
    today = today or settings.today()
    inner, typed_inner, typed, record_parts = [], [], [], []
    names: dict[str, tuple[str, str | None]] = {}
    for i, col in enumerate(contract.columns):
        src = ident(col.name) if col.name in present else "NULL::VARCHAR"
        v, t = f"_gate_v{i}", f"_gate_t{i}"
        inner.append(f"nullif(trim({src}), '') AS {v}")
        if col.pseudonymise_as:
            typed.append(f"CASE WHEN regexp_full_match({v}, '[0-9]{{9}}') THEN {v} END AS _bsn")
            record_parts.append(f"{literal(col.name)}: {mask_sql(v)}")
            names[col.name] = (v, None)
        else:
            typed_inner.append(f"{typed_expr(contract, col, v)} AS {t}")
            typed.append(f"{t} AS {col.name}")
            record_parts.append(f"{literal(col.name)}: {src}")
            names[col.name] = (v, t)
    typed_of = {n: t for n, (_, t) in names.items() if t is not None and n in present}
    checks: list[tuple[str, str, str]] = []
    for col in contract.columns:
        if col.name in missing:
            continue
        v, t = names[col.name]
        checks.extend(rule_checks(contract, col, v, t or v, today, typed_of))
    for m in missing:
        checks.append((f"column:{m}", "true", literal(f"kolom {m} ontbreekt in het bestand")))
    # Each rule is evaluated once (as _gate_c<j>); the lists of reasons are only built for rows that fail.
    broken = [f"coalesce({cond}, false) AS _gate_c{j}" for j, (_, cond, _) in enumerate(checks)]
    reason_list = ", ".join(f"CASE WHEN _gate_c{j} THEN {reason} END" for j, (_, _, reason) in enumerate(checks))
    rule_list = ", ".join(f"CASE WHEN _gate_c{j} THEN {literal(rule)} END" for j, (rule, _, _) in enumerate(checks))
    any_broken = " OR ".join(f"_gate_c{j}" for j in range(len(checks))) or "false"
    return f"""
        SELECT source_line, {', '.join(typed)}, _failed,
               CASE WHEN _failed THEN list_filter([{reason_list}]::VARCHAR[], lambda x: x IS NOT NULL) END AS reasons,
               CASE WHEN _failed THEN list_filter([{rule_list}]::VARCHAR[], lambda x: x IS NOT NULL) END AS rules,
               CASE WHEN _failed THEN to_json({{{', '.join(record_parts)}}})::VARCHAR END AS record
        FROM (SELECT *, {any_broken} AS _failed
              FROM (SELECT *, {', '.join(broken) or 'NULL AS _gate_none'}
                    FROM (SELECT *, {', '.join(typed_inner) or 'NULL AS _gate_nt'}
                          FROM (SELECT *, {', '.join(inner)} FROM {source}))))
    """


def pseudonym_table_sql(key: bytes) -> str:
    """SQL making table ``_ids`` (``_bsn`` → ``_client_id``): the keyed pseudonym of every distinct
    well-formed BSN the gate let through, so the HMAC runs once per client instead of once per line."""
    return (
        f"CREATE OR REPLACE TABLE _ids AS SELECT _bsn, {client_id_sql(key, '_bsn')} AS _client_id "
        f"FROM (SELECT DISTINCT _bsn FROM _gated WHERE _bsn IS NOT NULL AND NOT _failed)"
    )


# --- the clear room --------------------------------------------------------------------------
QUARANTINE_SCHEMA = pa.schema([("source_line", pa.int64()), ("rules", pa.string()), ("reason", pa.string()),
                               ("record", pa.string())])


@dataclass
class GateOutcome:
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    loaded: pa.RecordBatchReader  # loaded columns (pseudonym, no BSN) + source_line
    quarantine: pa.Table  # QUARANTINE_SCHEMA, every 9-digit number masked


class ClearRoom:
    """An in-memory DuckDB instance where files are read and gated, one at a time, emptied after each
    (:meth:`clear`): the only place a BSN exists in clear.

    Spilling to disk is off (``temp_directory`` empty), so a file too large for memory fails with an
    out-of-memory error instead of writing its rows to a temp file.
    """

    def __init__(self) -> None:
        self.con = self._open()

    @staticmethod
    def _open() -> duckdb.DuckDBPyConnection:
        return duckdb.connect(":memory:", config={"temp_directory": "", "autoinstall_known_extensions": False})

    def __enter__(self) -> ClearRoom:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def clear(self) -> None:
        """Drop every table and view the last file left, so the next file starts in an empty room.

        One room serves all files of a dataset: opening a DuckDB instance per file cost more than
        reading a small file. After this call none of the previous file's rows, BSNs included, are
        reachable; DuckDB returns their memory to its buffer pool (never to disk: spilling is off).
        """
        try:
            self._drop_all()
        except duckdb.Error:  # the last file's error ended this instance (e.g. out of memory): a new one
            self.con.close()
            self.con = self._open()

    def _drop_all(self) -> None:
        objects = self.con.execute(
            "SELECT 'TABLE', database_name, schema_name, table_name FROM duckdb_tables() WHERE NOT internal "
            "UNION ALL SELECT 'VIEW', database_name, schema_name, view_name FROM duckdb_views() WHERE NOT internal"
        ).fetchall()
        for kind, db, schema, name in objects:
            self.con.execute(f'DROP {kind} IF EXISTS "{db}"."{schema}"."{name}"')

    def gate(self, contract: Contract, delivery: readers.Delivery, key: bytes, missing: list[str],
             today: date | None = None) -> GateOutcome:
        """Run the gate over the delivery; the loaded rows stream out while this room is open."""
        con = self.con
        sql = gate_select(contract, delivery.source or "_batch", delivery.columns, missing, today)
        if delivery.source:
            con.execute(f"CREATE TABLE _gated AS {sql}")
        else:  # Arrow batches of text rows, registered in memory
            for i, batch in enumerate(delivery.batches):
                con.register("_batch", pa.Table.from_batches([batch]))
                con.execute(f"CREATE TABLE _gated AS {sql}" if i == 0 else f"INSERT INTO _gated {sql}")
                con.unregister("_batch")
        rows_read, rows_ok = con.execute("SELECT count(*), count(*) FILTER (WHERE NOT _failed) FROM _gated").fetchall()[0]
        pseudonym = contract.pii_column.pseudonymise_as if contract.pii_column else None
        if pseudonym:
            con.execute(pseudonym_table_sql(key))
        failed = con.execute(
            "SELECT source_line, array_to_string(rules, ', '), array_to_string(reasons, '; '), record "
            "FROM _gated WHERE _failed ORDER BY source_line"
        ).fetchall()
        rows = [(line, rules, mask_digits(reason), mask_digits(record) if record else None)
                for line, rules, reason, record in failed]
        rows += [(r.source_line, r.rule, mask_digits(r.reason), mask_digits(r.record) if r.record else None)
                 for r in delivery.rejects]
        rows.sort(key=lambda r: (r[0] is None, r[0] or 0))
        quarantine = pa.Table.from_pylist(
            [dict(zip(QUARANTINE_SCHEMA.names, r)) for r in rows], schema=QUARANTINE_SCHEMA)
        # Last: the stream of loaded rows keeps the connection busy until the warehouse has read it.
        select = ", ".join(f"_ids._client_id AS {n}" if n == pseudonym else f"g.{n}" for n, _ in contract.loaded_columns())
        loaded = con.sql(
            f"SELECT {select}, g.source_line FROM _gated g "
            f"{'LEFT JOIN _ids ON _ids._bsn = g._bsn ' if pseudonym else ''}WHERE NOT g._failed ORDER BY g.source_line"
        ).to_arrow_reader(readers.BATCH_ROWS)
        return GateOutcome(rows_read + len(delivery.rejects), rows_ok, rows_read - rows_ok + len(delivery.rejects),
                           loaded, quarantine)
