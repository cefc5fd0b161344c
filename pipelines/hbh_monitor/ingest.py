"""Ingestion: landing files → ``raw.<dataset>`` + ``meta.quarantine`` + ``meta.ingestion_ledger``.

For every file in ``landing/<dataset>/``, each on its own:

1. The ledger is asked whether this file was loaded already: same size and modification time, or
   else the same content (SHA-256); if so, nothing happens (loading a file twice changes nothing).
2. A reader of :mod:`hbh_monitor.readers` turns the file into text rows in the contract's columns
   with their ``source_line`` (CSV: encoding detected, physical line; Excel, Parquet, iWmo 3.2 XML
   alike). Rows a reader cannot split or refuses are kept with a Dutch reason naming their line.
3. The contract's row gate (:mod:`hbh_monitor.gate`) runs in a fresh in-memory DuckDB instance for
   this file only (the clear room): the BSN is checked and replaced by its keyed pseudonym there, so
   the warehouse's instance never holds a BSN in clear, in memory or in its file's bytes.
4. In one transaction on the warehouse the earlier rows of the same file (a corrected re-delivery)
   are replaced, the pseudonymised rows go to ``raw.<dataset>``, the refused ones to
   ``meta.quarantine``, and the ledger records rows in = rows loaded + rows quarantined and when the
   file was first delivered (``first_seen_at``, the order in which deliveries count).

A file that cannot be read at all gets a ledger row with status ``fout`` and a Dutch message naming
the file (and line where known); so does a file missing a required column (its rows are all in
quarantine with that reason). The other files go on.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from hbh_monitor import readers
from hbh_monitor.contracts import Contract
from hbh_monitor.gate import ClearRoom, GateOutcome, mask_digits
from hbh_monitor.readers.csv import PlainCheck, read_csv
from hbh_monitor.transaction import transaction

__all__ = ["FileError", "FileResult", "ensure_tables", "ingest_dataset", "ingest_file", "landing_files", "mask_digits"]

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
  status VARCHAR NOT NULL,      -- geladen | fout | vervangen (fout: unreadable, or every row refused for a missing column)
  message VARCHAR,
  loaded_at TIMESTAMP NOT NULL DEFAULT (current_timestamp AT TIME ZONE 'UTC'),
  first_seen_at TIMESTAMP       -- when this file name was first delivered (UTC): the delivery order
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

# When each file was first delivered: staging orders deliveries by this ("the later delivery wins"),
# the file name only breaking ties. A warehouse from before first_seen_at falls back to loaded_at.
DELIVERY_ORDER_DDL = """
CREATE OR REPLACE VIEW meta.delivery_order AS
SELECT source_file, min(coalesce(first_seen_at, loaded_at)) AS delivered_at
FROM meta.ingestion_ledger GROUP BY source_file
"""


class FileError(Exception):
    """A file that cannot be ingested; the message names the file (and line where known)."""


class MachineFault(RuntimeError):
    """The machine failed, not the file: no space left on a disk, not enough memory, or the database
    invalidated by such an error. It stops the run (the step fails, nothing is published) instead of
    being recorded as a broken file that the run then publishes without."""


_NO_SPACE = ("no space left on device", "disk quota exceeded")
_NO_MEMORY = ("out of memory", "cannot allocate memory", "could not allocate")


def machine_fault(exc: BaseException) -> str | None:
    """The Dutch name of the machine fault behind ``exc`` (walking its causes), or None for a fault
    of the file itself."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = str(exc).lower()
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT) or any(t in text for t in _NO_SPACE):
            return "geen schijfruimte meer"
        if isinstance(exc, (MemoryError, duckdb.OutOfMemoryException)) or (
            isinstance(exc, OSError) and exc.errno == errno.ENOMEM) or any(t in text for t in _NO_MEMORY):
            return "onvoldoende geheugen"
        if isinstance(exc, duckdb.FatalException) or "database has been invalidated" in text:
            return "de database is na een eerdere fout ongeldig geworden"
        exc = exc.__cause__ or exc.__context__
    return None


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


def read_fingerprint(path: Path) -> tuple[str, bool, PlainCheck]:
    """The file's SHA-256, whether it is valid UTF-8, and whether every line is one record
    (:class:`~hbh_monitor.readers.csv.PlainCheck`), in one read of the file."""
    h = hashlib.sha256()
    dec = codecs.getincrementaldecoder("utf-8")()
    plain = PlainCheck()
    utf8 = True
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            plain.update(chunk)
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
    plain.done()
    return h.hexdigest(), utf8, plain


def ensure_tables(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Create the raw table, or add the columns a newer contract version brought (existing rows get
    NULL there, as an optional column of an older delivery would)."""
    con.execute(LEDGER_DDL)
    con.execute("ALTER TABLE meta.ingestion_ledger ADD COLUMN IF NOT EXISTS mtime_ns BIGINT")  # older warehouses
    con.execute("ALTER TABLE meta.ingestion_ledger ADD COLUMN IF NOT EXISTS first_seen_at TIMESTAMP")
    con.execute(DELIVERY_ORDER_DDL)
    con.execute(contract.create_table_sql())
    for name, typ in contract.loaded_columns():
        con.execute(f"ALTER TABLE {contract.table} ADD COLUMN IF NOT EXISTS {name} {typ}")



SUPPORTED = ("csv", "xlsx", "parquet", "iwmo", "statline")
FORMAT_WORDS = {"csv": "CSV-bestand", "xlsx": "Excel-bestand", "parquet": "Parquet-bestand", "iwmo": "iWmo-bericht"}


def _store(con: duckdb.DuckDBPyConnection, contract: Contract, rel: str, digest: str, stat, fmt: str,
           out: GateOutcome, status: str, note: str | None) -> FileResult:
    """One transaction on the warehouse: replace the file's earlier rows, add the pseudonymised rows to
    ``raw`` and the refused ones to ``meta.quarantine``, and write the ledger row."""
    cols = ", ".join(n for n, _ in contract.loaded_columns())
    with transaction(con):
        (first_seen,) = con.execute(
            "SELECT min(coalesce(first_seen_at, loaded_at)) FROM meta.ingestion_ledger WHERE source_file = ? AND dataset = ?",
            [rel, contract.name],
        ).fetchall()[0]
        con.execute(f"DELETE FROM {contract.table} WHERE source_file = ?", [rel])
        con.execute("DELETE FROM meta.quarantine WHERE source_file = ? AND dataset = ?", [rel, contract.name])
        con.register("_door_loaded", out.loaded)
        con.execute(f"INSERT INTO {contract.table} ({cols}, source_file, source_line) "
                    f"SELECT {cols}, ?, source_line FROM _door_loaded", [rel])
        con.unregister("_door_loaded")
        con.register("_door_quarantine", out.quarantine)
        con.execute("INSERT INTO meta.quarantine (dataset, source_file, source_line, rules, reason, record) "
                    "SELECT ?, ?, source_line, rules, reason, record FROM _door_quarantine", [contract.name, rel])
        con.unregister("_door_quarantine")
        con.execute("UPDATE meta.ingestion_ledger SET status = 'vervangen' WHERE source_file = ? AND dataset = ? "
                    "AND status IN ('geladen', 'fout')", [rel, contract.name])
        con.execute(
            "INSERT INTO meta.ingestion_ledger (dataset, source_file, sha256, size_bytes, mtime_ns, file_format, rows_in, "
            "rows_loaded, rows_quarantined, status, message, first_seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?::TIMESTAMP, current_timestamp AT TIME ZONE 'UTC'))",
            [contract.name, rel, digest, stat.st_size, stat.st_mtime_ns, fmt, out.rows_in, out.rows_loaded,
             out.rows_quarantined, status, note, first_seen],
        )
    return FileResult(contract.name, rel, status, out.rows_in, out.rows_loaded, out.rows_quarantined, note)


def _dutch(exc: BaseException, fmt: str) -> str:
    """The reason a person reads for a file that could not be read: Dutch, no internal paths."""
    if isinstance(exc, (FileError, readers.ReadError)):
        return mask_digits(str(exc))
    what = FORMAT_WORDS.get(fmt, "bestand")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return f"het {what} is te groot om in het geheugen te controleren; lever het in delen"
    if isinstance(exc, duckdb.Error):
        return f"het {what} kon niet worden gelezen: het is beschadigd, niet volledig geleverd of geen {what}"
    if isinstance(exc, UnicodeError):
        return "de tekens in het bestand passen niet bij één tekenset; lever het in UTF-8 of Windows-1252"
    return "het bestand kon niet worden geopend of gelezen"


def ingest_file(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, landing: Path, key: bytes,
                today: date | None = None, room: ClearRoom | None = None) -> FileResult:
    """Load one landing file: its rows go to raw.<dataset> or to quarantine, one ledger row says how.

    ``room`` is the clear room to read it in (emptied afterwards); without it the file gets its own.
    """
    own = room is None
    room = room or ClearRoom()
    try:
        return _ingest_file(con, contract, path, landing, key, today, room)
    finally:
        if own:
            room.close()
        else:
            room.clear()


def _ingest_file(con: duckdb.DuckDBPyConnection, contract: Contract, path: Path, landing: Path, key: bytes,
                 today: date | None, room: ClearRoom) -> FileResult:
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
    digest, is_utf8, plain = read_fingerprint(path)
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
        if fmt not in SUPPORTED:
            raise FileError(f"bestandsformaat .{fmt} wordt (nog) niet ondersteund")
        if size == 0:
            raise FileError("bestand is leeg (0 bytes)")
        delivery = (read_csv(path, contract, is_utf8, plain, room.con) if fmt == "csv"
                    else readers.read(path, contract, fmt))
        fmt = delivery.fmt
        missing = [c.name for c in contract.columns if c.required and c.name not in delivery.columns]
        out = room.gate(contract, delivery, key, missing, today)
    except (FileError, readers.ReadError, duckdb.Error, OSError, UnicodeError, MemoryError) as exc:
        fault = _machine_fault_of(exc, rel)
        if fault:  # the machine failed, not the file: stop the run, do not record the file as broken
            raise fault from exc
        return _failed(con, contract, rel, digest, size, fmt, f"{rel}: {_dutch(exc, fmt)}")
    if missing:
        status = "fout"
        note = (f"{rel}: verplichte kolom(men) ontbreken: {', '.join(missing)}; geen enkele rij geladen "
                f"({out.rows_in} in quarantaine)")
    else:
        status = "geladen"
        note = f"{rel}: bestand bevat alleen een kopregel" if out.rows_in == 0 else None
    try:
        return _store(con, contract, rel, digest, stat, fmt, out, status, note)
    except (duckdb.Error, OSError, MemoryError) as exc:  # e.g. the warehouse's commit on a full disk
        fault = _machine_fault_of(exc, rel)
        if fault:
            raise fault from exc
        raise


def _machine_fault_of(exc: BaseException, rel: str) -> MachineFault | None:
    """The run-stopping error for a machine fault behind ``exc`` while loading ``rel``, else None."""
    fault = machine_fault(exc)
    if not fault:
        return None
    return MachineFault(
        f"Machinefout: {fault} bij het laden van {rel} ({mask_digits(str(exc)).splitlines()[0][:300]}). "
        "De run is gestopt en publiceert niet; los de oorzaak op en start de run opnieuw "
        "(het bestand zelf is niet afgekeurd)."
    )


def _failed(con: duckdb.DuckDBPyConnection, contract: Contract, rel: str, digest: str, size: int, fmt: str,
            msg: str) -> FileResult:
    """Ledger row ``fout`` for a file that could not be read; its earlier loaded version stays."""
    con.execute("DELETE FROM meta.ingestion_ledger WHERE source_file = ? AND sha256 = ? AND status = 'fout'", [rel, digest])
    con.execute(
        "INSERT INTO meta.ingestion_ledger (dataset, source_file, sha256, size_bytes, file_format, status, message, first_seen_at) "
        "VALUES (?, ?, ?, ?, ?, 'fout', ?, (SELECT coalesce(min(coalesce(first_seen_at, loaded_at)), current_timestamp AT TIME ZONE 'UTC') "
        "FROM meta.ingestion_ledger WHERE source_file = ? AND dataset = ?))",
        [contract.name, rel, digest, size, fmt, msg, rel, contract.name],
    )
    return FileResult(contract.name, rel, "fout", message=msg)


def landing_files(landing: Path, dataset: str) -> list[Path]:
    folder = landing / dataset
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def ingest_dataset(con: duckdb.DuckDBPyConnection, contract: Contract, landing: Path, key: bytes) -> list[FileResult]:
    ensure_tables(con, contract)
    with ClearRoom() as room:
        return [ingest_file(con, contract, p, landing, key, room=room) for p in landing_files(landing, contract.name)]
