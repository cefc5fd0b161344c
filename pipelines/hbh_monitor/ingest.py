"""Ingestion: landing files → ``raw.<dataset>`` + ``meta.quarantine`` + ``meta.ingestion_ledger``.

For every file in ``landing/<dataset>/``:

1. The ledger is asked whether this file was loaded already: same size and modification time, or
   else the same content (SHA-256); if so, nothing happens (loading a file twice changes nothing).
2. The file is read by DuckDB with every column as text (so no value can be lost to a failed
   cast), after transcoding Windows-1252 to UTF-8 where needed. Lines DuckDB cannot split into
   the header's columns are kept as quarantine rows with their physical line number.
   Other formats (Excel, Parquet, iWmo 3.2 XML) are turned into the same text columns by a
   reader in :mod:`hbh_monitor.readers` (Arrow batches in memory, or a DuckDB scan) and pass the
   same gate below; rows a reader refuses (e.g. an iWmo product of another category) are
   quarantined with their reason.
3. The contract's row gate runs in the same query, into an in-memory temp table: every rule yields
   a Dutch reason when broken, the BSN is checked (elfproef), and only a masked BSN goes into a
   reason or record.
4. In one transaction the earlier rows of the same file (a corrected re-delivery) are replaced,
   rows without a reason go to ``raw.<dataset>`` with the BSN replaced by its keyed pseudonym
   (computed once per distinct BSN), the others to ``meta.quarantine``, and the ledger records
   rows in = rows loaded + rows quarantined. The temp tables are dropped.

A file that cannot be read at all gets a ledger row with status ``fout`` and a message naming the
file; the other files go on.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from hbh_monitor import readers
from hbh_monitor.contracts import Contract
from hbh_monitor.pseudonym import client_id_sql, mask_sql
from hbh_monitor.sqltext import ident, literal

LEDGER_DDL = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.ingestion_ledger (
  dataset VARCHAR NOT NULL,
  source_file VARCHAR NOT NULL,
  sha256 VARCHAR NOT NULL,
  size_bytes BIGINT NOT NULL,
  mtime_ns BIGINT,              -- modification time when loaded (fast "unchanged" check)
  file_format VARCHAR,
  rows_in BIGINT,
  rows_loaded BIGINT,
  rows_quarantined BIGINT,
  status VARCHAR NOT NULL,      -- geladen | fout | vervangen
  message VARCHAR,
  loaded_at TIMESTAMP NOT NULL DEFAULT (current_timestamp AT TIME ZONE 'UTC')
);
CREATE TABLE IF NOT EXISTS meta.quarantine (
  dataset VARCHAR NOT NULL,
  source_file VARCHAR NOT NULL,
  source_line BIGINT,
  rules VARCHAR NOT NULL,
  reason VARCHAR NOT NULL,
  record VARCHAR,               -- the row as delivered, as JSON text, BSN masked
  quarantined_at TIMESTAMP NOT NULL DEFAULT (current_timestamp AT TIME ZONE 'UTC')
);
-- warehouses made before the defaults said UTC wrote the server's local time
ALTER TABLE meta.ingestion_ledger ALTER COLUMN loaded_at SET DEFAULT (current_timestamp AT TIME ZONE 'UTC');
ALTER TABLE meta.quarantine ALTER COLUMN quarantined_at SET DEFAULT (current_timestamp AT TIME ZONE 'UTC');
"""

_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")


def mask_digits(text: str) -> str:
    """Mask every 9-digit number (a possible BSN) in free text such as a raw line or an error."""
    return _NINE_DIGITS.sub(lambda m: "******" + m.group(0)[-3:], text)


class FileError(Exception):
    """A file that cannot be ingested; the message names the file (and line where known)."""


@dataclass
class FileResult:
    dataset: str
    source_file: str
    status: str
    rows_in: int | None = None
    rows_loaded: int | None = None
    rows_quarantined: int | None = None
    message: str | None = None
    skipped: bool = False


def read_fingerprint(path: Path) -> tuple[str, bool]:
    """The file's SHA-256 and whether it is valid UTF-8, in one read of the file."""
    h = hashlib.sha256()
    dec = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            if utf8:
                try:
                    dec.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return h.hexdigest(), utf8


def _to_utf8(path: Path, workdir: Path) -> Path:
    """Transcode a Windows-1252 export to UTF-8 (DuckDB reads only UTF-8/16 and latin-1 offline)."""
    out = workdir / (path.name + ".utf8")
    with path.open("r", encoding="cp1252", errors="replace", newline="") as src, out.open(
        "w", encoding="utf-8", newline=""
    ) as dst:
        for chunk in iter(lambda: src.read(1 << 20), ""):
            dst.write(chunk)
    return out


def _header(path: Path) -> tuple[list[str], str]:
    """The header's column names and the separator (the most frequent of ; , tab in line 1)."""
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        first = f.readline()
    if not first.strip():
        raise FileError("bestand is leeg (geen kopregel)")
    delim = max([";", ",", "\t", "|"], key=first.count)
    names = next(csv.reader(io.StringIO(first), delimiter=delim))
    return [n.strip() for n in names], delim


def ensure_tables(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Create the raw table, or add the columns a newer contract version brought (existing rows get
    NULL there, as an optional column of an older delivery would)."""
    con.execute(LEDGER_DDL)
    con.execute("ALTER TABLE meta.ingestion_ledger ADD COLUMN IF NOT EXISTS mtime_ns BIGINT")  # older warehouses
    con.execute(contract.create_table_sql())
    for name, typ in contract.loaded_columns():
        con.execute(f"ALTER TABLE {contract.table} ADD COLUMN IF NOT EXISTS {name} {typ}")


def pseudonym_table_sql(key: bytes) -> str:
    """SQL making temp table ``_ids`` (``_bsn`` → ``_client_id``): the keyed pseudonym of every distinct
    well-formed BSN the gate let through, so the HMAC runs once per client instead of once per line."""
    return (
        f"CREATE OR REPLACE TEMP TABLE _ids AS SELECT _bsn, {client_id_sql(key, '_bsn')} AS _client_id "
        f"FROM (SELECT DISTINCT _bsn FROM _gated WHERE _bsn IS NOT NULL)"
    )


def gate_select(contract: Contract, source: str, header_map: dict[str, str], missing: list[str], numbered: bool = True) -> str:
    """The row gate as one SELECT over ``source`` (text columns named as in the file).

    Output: ``source_line`` (when ``numbered``: the source has it), the typed contract columns,
    ``_failed`` (the row breaks a rule), and for failed rows ``reasons`` (list of Dutch reasons),
    ``rules`` and ``record`` (JSON text of the delivered row, BSN masked). The BSN column becomes ``_bsn``
    (the well-formed BSN, else NULL): it lives only in the temp table ``_gated`` while the file is
    loaded, and is replaced by its pseudonym on the way into ``raw`` (:func:`pseudonym_table_sql`).
    Each value is trimmed and typed once (inner SELECT) and the rules read those. The SELECT is a
    pure projection, so it keeps the order of ``source`` (a join would not).
    """
    inner, typed, checks, record_parts = [], [], [], []
    for i, col in enumerate(contract.columns):
        src = ident(header_map[col.name]) if col.name in header_map else "NULL::VARCHAR"
        v, t = f"_gate_v{i}", f"_gate_t{i}"
        inner.append(f"nullif(trim({src}), '') AS {v}")
        if col.pseudonymise_as:
            typed.append(f"CASE WHEN regexp_full_match({v}, '[0-9]{{9}}') THEN {v} END AS _bsn")
            record_parts.append(f"{literal(col.name)}: {mask_sql(v)}")
            t = None
        else:
            inner.append(f"{contract.typed_expr(col, v, normalised=True)} AS {t}")
            typed.append(f"{t} AS {col.name}")
            record_parts.append(f"{literal(col.name)}: {src}")
        if col.name not in missing:
            checks.extend(contract.rule_checks(col, v, t))
    for m in missing:
        checks.append((f"column:{m}", "true", literal(f"kolom {m} ontbreekt in het bestand")))
    # Each rule is evaluated once (as _gate_c<j>); the lists of reasons are only built for rows that fail.
    broken = [f"coalesce({cond}, false) AS _gate_c{j}" for j, (_, cond, _) in enumerate(checks)]
    reason_list = ", ".join(f"CASE WHEN _gate_c{j} THEN {reason} END" for j, (_, _, reason) in enumerate(checks))
    rule_list = ", ".join(f"CASE WHEN _gate_c{j} THEN {literal(rule)} END" for j, (rule, _, _) in enumerate(checks))
    any_broken = " OR ".join(f"_gate_c{j}" for j in range(len(checks))) or "false"
    return f"""
        SELECT {'source_line, ' if numbered else ''}{', '.join(typed)}, _failed,
               CASE WHEN _failed THEN list_filter([{reason_list}]::VARCHAR[], lambda x: x IS NOT NULL) END AS reasons,
               CASE WHEN _failed THEN list_filter([{rule_list}]::VARCHAR[], lambda x: x IS NOT NULL) END AS rules,
               CASE WHEN _failed THEN to_json({{{', '.join(record_parts)}}})::VARCHAR END AS record
        FROM (SELECT *, {any_broken} AS _failed
              FROM (SELECT *, {', '.join(broken) or 'NULL AS _gate_none'}
                    FROM (SELECT *, {', '.join(inner)} FROM {source})))
    """


def _numbered_csv_rows(reject_lines: list[int]) -> str:
    """SQL relation: ``_gated`` with ``source_line``, the physical line of each CSV record (header = 1).

    ``_gated`` was made by one CREATE TABLE AS over the file's scan, which keeps the file's order, so a
    row's ``rowid`` is its position among the records DuckDB could read. Lines it could not read
    (``reject_lines``) are skipped: a record at position p lies on line p + 2 + the number of rejected
    lines before it. (A quoted field spanning lines shifts the count, as in any line-based report.)
    """
    if not reject_lines:
        return "(SELECT rowid + 2 AS source_line, * FROM _gated)"
    # k-th rejected line r (0-based, ascending): records at base line b >= r - k come after it.
    shifts = {}
    for k, r in enumerate(sorted(set(reject_lines))):
        shifts[r - k] = k + 1
    values = ", ".join(f"({b}, {m})" for b, m in shifts.items())
    return (
        f"(SELECT g.* EXCLUDE (_base), g._base + coalesce(s.m, 0) AS source_line "
        f"FROM (SELECT rowid + 2 AS _base, * FROM _gated) g "
        f"ASOF LEFT JOIN (SELECT * FROM (VALUES {values}) v(b, m)) s ON g._base >= s.b)"
    )


def _load_gated(con: duckdb.DuckDBPyConnection, contract: Contract, rel: str, digest: str, stat, fmt: str,
                delivery: readers.Delivery | None, missing: list[str]) -> FileResult:
    """One transaction: replace the file's earlier rows, load ``_gated`` into ``raw`` (BSN → pseudonym) and
    ``meta.quarantine``, and write the ledger row (rows in = rows loaded + rows quarantined)."""
    con.execute("BEGIN TRANSACTION")
    try:
        if delivery is None:
            rejects = [
                (line, "parse", "regel kon niet worden gelezen: " + mask_digits(msg), mask_digits((text or "")[:2000]))
                for line, msg, text in con.execute(
                    "SELECT line, string_agg(DISTINCT error_type || ': ' || error_message, '; '), any_value(trim(csv_line, chr(10) || chr(13))) "
                    "FROM _rejects GROUP BY line ORDER BY line"
                ).fetchall()
            ]
        else:
            rejects = [(r.source_line, r.rule, r.reason, r.record) for r in delivery.rejects]
        gated = _numbered_csv_rows([r[0] for r in rejects if r[0] is not None]) if delivery is None else "_gated"
        counts = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT _failed) FROM _gated"
        ).fetchall()[0]
        rows_read, rows_ok = counts
        loaded_cols = [n for n, _ in contract.loaded_columns()]
        pii = contract.pii_column
        pseudonym = pii.pseudonymise_as if pii else None
        select = ", ".join(f"_ids._client_id AS {n}" if n == pseudonym else f"g.{n}" for n in loaded_cols)
        con.execute(f"DELETE FROM {contract.table} WHERE source_file = ?", [rel])
        con.execute("DELETE FROM meta.quarantine WHERE source_file = ? AND dataset = ?", [rel, contract.name])
        con.execute(
            f"INSERT INTO {contract.table} ({', '.join(loaded_cols)}, source_file, source_line) "
            f"SELECT {select}, ?, g.source_line FROM {gated} g "
            f"{'LEFT JOIN _ids ON _ids._bsn = g._bsn ' if pseudonym else ''}WHERE NOT g._failed",
            [rel],
        )
        con.execute(
            "INSERT INTO meta.quarantine (dataset, source_file, source_line, rules, reason, record) "
            "SELECT ?, ?, source_line, array_to_string(rules, ', '), array_to_string(reasons, '; '), record "
            f"FROM {gated} WHERE _failed",
            [contract.name, rel],
        )
        for line, rule, reason, text in rejects:
            con.execute(
                "INSERT INTO meta.quarantine (dataset, source_file, source_line, rules, reason, record) VALUES (?, ?, ?, ?, ?, ?)",
                [contract.name, rel, line, rule, reason, text],
            )
        rows_in = rows_read + len(rejects)
        rows_q = rows_read - rows_ok + len(rejects)
        note = None
        if missing:
            note = f"{rel}: verplichte kolom(men) ontbreken: {', '.join(missing)}"
        elif rows_in == 0:
            note = f"{rel}: bestand bevat alleen een kopregel"
        con.execute(
            "UPDATE meta.ingestion_ledger SET status = 'vervangen' WHERE source_file = ? AND status = 'geladen'",
            [rel],
        )
        con.execute(
            "INSERT INTO meta.ingestion_ledger (dataset, source_file, sha256, size_bytes, mtime_ns, file_format, rows_in, rows_loaded, rows_quarantined, status, message) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'geladen', ?)",
            [contract.name, rel, digest, stat.st_size, stat.st_mtime_ns, fmt, rows_in, rows_ok, rows_q, note],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return FileResult(contract.name, rel, "geladen", rows_in, rows_ok, rows_q, note)


def ingest_file(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, landing: Path, key: bytes) -> FileResult:
    rel = path.relative_to(landing).as_posix()
    stat = path.stat()
    size = stat.st_size
    # Fast path: same size and modification time as when it was loaded: not read again (a night
    # would otherwise hash the whole history). Touch a file to have it checked by content.
    if con.execute(
        "SELECT count(*) FROM meta.ingestion_ledger WHERE source_file = ? AND status = 'geladen' "
        "AND size_bytes = ? AND mtime_ns = ?",
        [rel, size, stat.st_mtime_ns],
    ).fetchall()[0][0]:
        return FileResult(contract.name, rel, "geladen", skipped=True, message="ongewijzigd, niet opnieuw geladen")
    digest, is_utf8 = read_fingerprint(path)
    done = con.execute(
        "SELECT count(*) FROM meta.ingestion_ledger WHERE source_file = ? AND sha256 = ? AND status = 'geladen'",
        [rel, digest],
    ).fetchall()[0][0]
    if done:  # same content, touched: remember the new modification time
        con.execute("UPDATE meta.ingestion_ledger SET mtime_ns = ? WHERE source_file = ? AND sha256 = ? AND status = 'geladen'",
                    [stat.st_mtime_ns, rel, digest])
        return FileResult(contract.name, rel, "geladen", skipped=True, message="ongewijzigd, niet opnieuw geladen")

    fmt = path.suffix.lower().lstrip(".")
    try:
        fmt = readers.sniff_format(path) or fmt
        if fmt not in ("csv", "xlsx", "parquet", "iwmo", "statline"):
            raise FileError(f"bestandsformaat .{fmt} wordt (nog) niet ondersteund")
        if size == 0:
            raise FileError("bestand is leeg (0 bytes)")
        with tempfile.TemporaryDirectory() as tmp:
            delivery = None  # non-CSV formats: text rows from hbh_monitor.readers, same gate below
            if fmt != "csv":
                delivery = readers.read(path, contract, fmt)
                fmt = delivery.fmt
                header_map = {c: c for c in delivery.columns}
                missing = [c.name for c in contract.columns if c.required and c.name not in header_map]
                source = delivery.source or "_batch"
            else:
                readable = path if is_utf8 else _to_utf8(path, Path(tmp))
                names, delim = _header(readable)
                by_norm = {readers.normalise(n): n for n in names}
                header_map = {c: by_norm[c] for c in contract.column_names if c in by_norm}
                missing = [c.name for c in contract.columns if c.required and c.name not in header_map]
                scan = (
                    f"read_csv({literal(str(readable))}, delim={literal(delim)}, header=true, all_varchar=true, "
                    "quote='\"', escape='\"', store_rejects=true, rejects_table='_rejects', rejects_scan='_reject_scans', "
                    "auto_detect=false, columns={" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "})"
                )
                # The CSV rows are numbered afterwards by their position in _gated (see below).
                source = scan
            # The gate fills the temp table _gated in auto-commit (outside the transaction), so that
            # its rowids are the positions 0, 1, 2, … of the rows in the file.
            gate = gate_select(contract, source, header_map, missing, numbered=delivery is not None)
            pii = contract.pii_column
            try:
                if delivery is None or delivery.source:
                    con.execute(f"CREATE OR REPLACE TEMP TABLE _gated AS {gate}")
                else:  # Arrow batches of text rows, registered in memory (no BSN on disk)
                    for i, batch in enumerate(delivery.batches):
                        con.register("_batch", pa.Table.from_batches([batch]))
                        con.execute(f"CREATE OR REPLACE TEMP TABLE _gated AS {gate}" if i == 0 else f"INSERT INTO _gated {gate}")
                        con.unregister("_batch")
                if pii:
                    con.execute(pseudonym_table_sql(key))
                return _load_gated(con, contract, rel, digest, stat, fmt, delivery, missing)
            finally:
                for t in ("_gated", "_ids"):
                    con.execute(f"DROP TABLE IF EXISTS {t}")
    except (FileError, readers.ReadError, duckdb.Error, OSError, UnicodeError) as exc:
        msg = f"{rel}: {mask_digits(str(exc))}"
        con.execute("DELETE FROM meta.ingestion_ledger WHERE source_file = ? AND sha256 = ? AND status = 'fout'", [rel, digest])
        con.execute(
            "INSERT INTO meta.ingestion_ledger (dataset, source_file, sha256, size_bytes, file_format, status, message) "
            "VALUES (?, ?, ?, ?, ?, 'fout', ?)",
            [contract.name, rel, digest, size, fmt, msg],
        )
        return FileResult(contract.name, rel, "fout", message=msg)


def landing_files(landing: Path, dataset: str) -> list[Path]:
    folder = landing / dataset
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def ingest_dataset(con: duckdb.DuckDBPyConnection, contract: Contract, landing: Path, key: bytes) -> list[FileResult]:
    ensure_tables(con, contract)
    return [ingest_file(con, contract, p, landing, key) for p in landing_files(landing, contract.name)]
