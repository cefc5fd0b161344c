"""Readers: one module per delivered format, each turning a landing file into text rows.

Every format ends in the same place: text columns named as in the contract plus ``source_line``,
which :func:`hbh_monitor.gate.gate_select` (the contract's row gate, ONE path for all formats)
types, checks and pseudonymises inside an in-memory DuckDB instance, emptied after each file (:class:`hbh_monitor.gate.ClearRoom`). What a reader adds is only what the format needs:

==========  ==========================================  ===================================================
format      reader                                      source_line
==========  ==========================================  ===================================================
CSV/TXT     :mod:`.csv` (encoding detected, streamed)   physical line where the record starts (header = 1)
Excel xlsx  :mod:`.excel` (openpyxl, read-only stream)   Excel row number of the first sheet (header = 1)
Parquet     :mod:`.parquet` (DuckDB read_parquet)        1-based row number + 1 (as if a header were line 1)
iWmo XML    :mod:`.iwmo` (expat, streaming)              line of the ToegewezenProduct / Prestatie element
StatLine    :mod:`.statline` (CBS open-data CSV export)  physical line (header = 1)
==========  ==========================================  ===================================================

Values that arrive typed (Excel dates and numbers, Parquet columns) are rendered to the text forms
the gate accepts (:func:`render`): ISO dates, integers without ``.0``, digit codes that lost their
leading zeros (a BSN or AGB stored as a number) padded back to the contract's fixed width.

Rows reach DuckDB as Arrow record batches of text columns registered on the connection, so a
BSN in clear is never written to disk. A reader may also reject a row before the gate
(:class:`Reject`, e.g. an iWmo product of another category than hulp bij het huishouden); those
rows go to the quarantine with their reason, so rows in = rows loaded + rows quarantined still holds.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from hbh_monitor.contracts import Column, Contract

BATCH_ROWS = 50_000

# suffix → format name (the ledger's file_format)
SUFFIX_FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet",
                  ".pq": "parquet", ".xml": "iwmo"}


class ReadError(Exception):
    """A file that cannot be read; the message names the problem (and line where known)."""


@dataclass
class Reject:
    """A row the reader itself refuses (before the contract gate), with a Dutch reason."""

    source_line: int | None
    rule: str
    reason: str
    record: str | None = None  # JSON text of the row, BSN masked


@dataclass
class Delivery:
    """What a reader hands to the gate: text columns (contract names) + source_line.

    Either ``source`` (a DuckDB relation in SQL, e.g. over read_parquet) or ``batches`` (Arrow
    record batches with a ``source_line`` int64 column and one string column per name in
    ``columns``). ``rejects`` is filled while the batches are consumed.
    """

    fmt: str
    columns: list[str]
    source: str | None = None
    batches: Iterable[pa.RecordBatch] | None = None
    rejects: list[Reject] = field(default_factory=list)
    note: str | None = None


def normalise(name: str) -> str:
    """Column name as the contract spells it (lower case, runs of other characters → '_')."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def sniff_format(path: Path) -> str | None:
    """The format of a landing file by its suffix, confirmed (or found) by its first bytes."""
    fmt = SUFFIX_FORMATS.get(path.suffix.lower())
    try:
        with path.open("rb") as f:
            head = f.read(512)
    except OSError:
        return fmt
    if fmt == "csv" and head.lstrip(b"\xef\xbb\xbf").startswith((b'"ID"', b"ID;", b"ID,")):
        from hbh_monitor.readers.statline import looks_like_statline

        first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("latin-1")
        if looks_like_statline(first.replace('"', "").replace(",", ";").split(";")):
            return "statline"  # a CBS StatLine / open-data export (readers/statline.py)
    if fmt is None:
        if head.startswith(b"PAR1"):
            return "parquet"
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml"):
            return "iwmo"
    return fmt


def digit_width(col: Column | None) -> int | None:
    """Fixed width of a digits-only text column (``^[0-9]{9}$`` → 9), else None."""
    if col is None or col.logical_type != "string" or not col.pattern:
        return None
    m = re.fullmatch(r"\^?\[0-9\]\{(\d+)\}\$?", col.pattern)
    return int(m.group(1)) if m else None


def render(value, col: Column | None) -> str | None:
    """A typed cell value as the text the gate accepts for the contract column ``col``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            value = int(value)
        else:
            return format(value, ".15g")
    if isinstance(value, decimal.Decimal):
        if value == value.to_integral_value() and abs(value) < 10**15:
            value = int(value)
        else:
            return format(value.normalize(), "f")
    if isinstance(value, int):
        if col is not None and col.logical_type == "date" and 1 <= value <= 2_958_465:
            # an Excel serial day number in a date column (a date cell without date format)
            return (dt.date(1899, 12, 30) + dt.timedelta(days=value)).isoformat()
        text = str(value)
        width = digit_width(col)
        if width and value >= 0 and len(text) < width:
            text = text.zfill(width)  # a BSN / AGB code stored as a number lost its leading zeros
        return text
    return str(value)


def batches_of(columns: list[str], rows: Iterator[tuple[int, list[str | None]]],
               size: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """Group (source_line, values) rows into Arrow record batches of text columns.

    Always yields at least one (possibly empty) batch, so the gate sees the schema."""
    schema = pa.schema([("source_line", pa.int64())] + [(c, pa.string()) for c in columns])
    lines: list[int] = []
    cols: list[list] = [[] for _ in columns]
    sent = False
    for line, values in rows:
        lines.append(line)
        for i, v in enumerate(values):
            cols[i].append(v)
        if len(lines) >= size:
            yield pa.record_batch([pa.array(lines, pa.int64())] + [pa.array(c, pa.string()) for c in cols], schema=schema)
            sent = True
            lines, cols = [], [[] for _ in columns]
    if lines or not sent:
        yield pa.record_batch([pa.array(lines, pa.int64())] + [pa.array(c, pa.string()) for c in cols], schema=schema)


def read(path: Path, contract: Contract, fmt: str) -> Delivery:
    """The reader for ``fmt`` (CSV: :func:`hbh_monitor.readers.csv.read_csv`, which needs the UTF-8 check)."""
    if fmt == "csv":
        from hbh_monitor.readers.csv import read_csv

        return read_csv(path, contract)
    if fmt == "xlsx":
        from hbh_monitor.readers.excel import read_xlsx

        return read_xlsx(path, contract)
    if fmt == "parquet":
        from hbh_monitor.readers.parquet import read_parquet

        return read_parquet(path, contract)
    if fmt == "iwmo":
        from hbh_monitor.readers.iwmo import read_iwmo

        return read_iwmo(path, contract)
    if fmt == "statline":
        from hbh_monitor.readers.statline import read_statline

        return read_statline(path, contract)
    raise ReadError(f"bestandsformaat {fmt} wordt niet ondersteund")
