"""CSV / TXT exports: encoding detected, rows streamed with their physical line numbers.

* **Encoding.** A byte-order mark decides first (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE). A file that is
  valid UTF-8 throughout (checked while its fingerprint is computed) is UTF-8. For the rest the
  detector ``charset-normalizer`` decides between text and binary and which encoding family the bytes
  belong to; where it names a Western single-byte code page and the bytes decode as Windows-1252 with
  no more noise, Windows-1252 is taken (Dutch exports from Windows programs; the detector cannot tell
  these code pages apart on Dutch letters). A file the detector cannot read as text is refused with
  a Dutch message, never loaded as garbage.
* **Streaming.** The file is decoded while it is read (no transcoded copy on disk) and split by the
  ``csv`` module, which knows which physical line each record starts on, also after a quoted field
  spanning lines. ``source_line`` is that physical line (header = 1).
* **Fast path.** When the bytes show that every line is one record (UTF-8, an even number of quote
  characters on every line, no empty line, no lone carriage return: :class:`PlainCheck`), DuckDB's own CSV reader splits the file
  inside the caller's clear room, and row *n* is line *n* + 1. If DuckDB then refuses a single line, or
  reads another number of rows than the file has lines, the file is read again by the ``csv`` module
  as above, so both paths give the same rows, lines and reasons.
* **Broken lines.** A record with more fields than the header (unless the extra ones are empty), fewer
  fields, or a quote that is never closed is not loaded: it becomes a :class:`Reject` with one Dutch
  reason naming its line. Empty lines and lines with only separators are not rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from hbh_monitor.contracts import Contract
from hbh_monitor.readers import Delivery, ReadError, Reject, batches_of, normalise

SAMPLE_BYTES = 1 << 20
DELIMITERS = (";", ",", "\t", "|")
BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Names of the encodings in Dutch messages.
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32",
                  "utf_16_le": "UTF-16", "utf_16_be": "UTF-16", "utf_32_le": "UTF-32", "utf_32_be": "UTF-32",
                  "cp1252": "Windows-1252"}
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")
NOT_TEXT = ("geen tekstbestand: de inhoud is binair of in een onbekende tekenset; lever de export als "
            "CSV-tekst (UTF-8 of Windows-1252)")


def _looks_binary(text: str) -> bool:
    """Control characters other than tab/newline in decoded text: not a CSV export."""
    return "\x00" in text or len(_CONTROL.findall(text)) > max(2, len(text) // 1000)


def detect_encoding(path: Path, is_utf8: bool | None = None) -> str:
    """The Python codec to read ``path`` with; :class:`ReadError` (Dutch) for a binary file.

    ``is_utf8``: whether the whole file is valid UTF-8, when the caller knows it already.
    """
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
    if not head:
        raise ReadError("bestand is leeg (0 bytes)")
    for bom, enc in BOMS:
        if head.startswith(bom):
            try:
                text = head.decode(enc.replace("-sig", ""), errors="strict") if len(head) < SAMPLE_BYTES else \
                    codecs.getincrementaldecoder(enc)().decode(head)
            except UnicodeDecodeError:
                raise ReadError(f"{NOT_TEXT} (het begin zegt {ENCODING_NAMES[enc]}, de rest past daar niet bij)") from None
            if _looks_binary(text.lstrip("\ufeff")):
                raise ReadError(NOT_TEXT)
            return enc
    if is_utf8 is None:
        is_utf8 = _valid_utf8(path)
    if is_utf8 and b"\x00" not in head:
        if _looks_binary(head.decode("utf-8", errors="ignore")):
            raise ReadError(NOT_TEXT)
        return "utf-8"
    from charset_normalizer import from_bytes

    found = from_bytes(head)
    best = found.best()
    if best is None:
        raise ReadError(NOT_TEXT)
    enc = best.encoding
    if enc.startswith(("utf_16", "utf_32")):
        return enc
    if enc in ("ascii", "utf_8"):  # the sample was fine, a later part is not: report where
        return "utf-8"
    if _looks_binary(str(best)):
        raise ReadError(NOT_TEXT)
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        return enc
    cp1252 = from_bytes(head, cp_isolation=["cp1252"]).best()
    if cp1252 is not None and cp1252.chaos <= best.chaos + 0.01:
        return "cp1252"
    return enc


class PlainCheck:
    """Fed a file's bytes in order: whether every line is exactly one record for DuckDB's reader.

    Not plain: a line with an odd number of quote characters (a quoted field going on to the next
    line), an empty line or one at the start, a carriage return not followed by a line feed, a NUL
    byte. A false "not plain" only costs speed.
    """

    def __init__(self) -> None:
        self.plain = True
        self.newlines = 0
        self.last = b""
        self._tail = None
        self._partial = b""  # the unfinished last line of the chunks so far, when it holds a quote

    def update(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.newlines += chunk.count(b"\n")
        self.last = chunk[-1:]
        if not self.plain:
            return
        if self._tail is None:
            body = chunk[3:] if chunk.startswith(codecs.BOM_UTF8) else chunk
            if body.startswith((b"\n", b"\r")):
                self.plain = False
            data = chunk
        else:
            data = self._tail + chunk
        self._tail = data[-2:]
        if b"\x00" in chunk or b"\n\n" in data or b"\n\r\n" in data or _LONE_CR.search(data):
            self.plain = False
            return
        if b'"' in chunk or self._partial:
            lines = (self._partial + chunk).split(b"\n")
            self._partial = lines.pop() if b'"' in lines[-1] else b""
            if any(line.count(b'"') % 2 for line in lines if b'"' in line):
                self.plain = False

    def done(self) -> None:
        """The end of the file: its last line (without a line feed) is checked too."""
        if self._partial.count(b'"') % 2:
            self.plain = False

    def data_lines(self) -> int:
        """Lines after the header (a last line without a line feed counts)."""
        return self.newlines - 1 + (0 if self.last in (b"\n", b"") else 1)


_LONE_CR = re.compile(rb"\r(?!\n)")


def _duckdb_source(con, path: Path, delim: str, width: int, columns: list[str], idx: list[int],
                   expected_rows: int) -> str | None:
    """The file read by DuckDB into table ``_csv`` of the clear room ``con``; the relation of text
    columns + source_line over it, or None when DuckDB refused a line or the row count differs."""
    from hbh_monitor.sqltext import ident, literal

    spec = ", ".join(f"'_c{i}': 'VARCHAR'" for i in range(width))
    con.execute(
        f"CREATE OR REPLACE TABLE _csv AS SELECT * FROM read_csv({literal(str(path))}, delim={literal(delim)}, "
        "header=true, all_varchar=true, quote='\"', escape='\"', auto_detect=false, store_rejects=true, "
        f"columns={{{spec}}})"
    )
    refused = con.execute("SELECT count(*) FROM reject_errors").fetchall()[0][0]
    (rows,) = con.execute("SELECT count(*) FROM _csv").fetchall()[0]
    if refused or rows != expected_rows:
        con.execute("DROP TABLE _csv")
        return None
    empty = " AND ".join(f"coalesce(trim(_c{i}), '') = ''" for i in range(width))
    cols = "".join(f", coalesce(_c{i}, '') AS {ident(c)}" for c, i in zip(columns, idx))  # '' as the csv module gives
    return f"(SELECT rowid + 2 AS source_line{cols} FROM _csv WHERE NOT ({empty}))"


def _valid_utf8(path: Path) -> bool:
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                dec.decode(chunk)
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


class _Lines:
    """The decoded lines of a text stream (newline kept), counting decode errors as a Dutch ReadError."""

    def __init__(self, raw, encoding: str):
        self.stream = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        self.encoding = encoding
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        try:
            line = self.stream.readline()
        except UnicodeDecodeError:
            name = ENCODING_NAMES.get(self.encoding, self.encoding)
            raise ReadError(f"regel {self.count + 1} of de regels erna bevatten tekens die niet in de tekenset "
                            f"{name} van de rest van het bestand bestaan; lever het bestand in één tekenset") from None
        if not line:
            raise StopIteration
        self.count += 1
        return line


def read_csv(path: Path, contract: Contract, is_utf8: bool | None = None, plain: PlainCheck | None = None,
             con=None) -> Delivery:
    """Rows of the CSV file ``path`` in the contract's columns. ``plain`` (the caller's byte check) and
    ``con`` (the clear room's DuckDB connection) allow the fast path."""
    encoding = detect_encoding(path, is_utf8)
    raw = path.open("rb")
    lines = _Lines(raw, encoding)
    try:
        first = next(lines, "")
        while first and not first.strip(" \t\r\n\ufeff"):
            first = next(lines, "")
    except ReadError:
        raw.close()
        raise
    first = first.lstrip("\ufeff")
    if not first.strip():
        raw.close()
        raise ReadError("bestand is leeg (geen kopregel)")
    header_line = lines.count
    delim = max(DELIMITERS, key=first.count)
    try:
        names = next(csv.reader([first], delimiter=delim))
    except csv.Error:
        raw.close()
        raise ReadError(f"de kopregel (regel {header_line}) kon niet worden gelezen") from None
    names = [normalise(n) for n in names]
    width = len(names)
    by_col = {c.name: c for c in contract.columns}
    positions: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in by_col and n not in positions:
            positions[n] = i
    columns = [c for c in contract.column_names if c in positions]
    idx = [positions[c] for c in columns]
    rejects: list[Reject] = []
    if con is not None and plain is not None and plain.plain and header_line == 1 and encoding in ("utf-8", "utf-8-sig"):
        source = _duckdb_source(con, path, delim, width, columns, idx, plain.data_lines())
        if source is not None:
            raw.close()
            return Delivery(fmt="csv", columns=columns, source=source)

    def gen() -> Iterator[tuple[int, list[str | None]]]:
        reader = csv.reader(lines, delimiter=delim, quotechar='"', doublequote=True, strict=True)
        done = header_line
        try:
            while True:
                start = done + 1
                try:
                    rec = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    end = lines.count
                    done = end
                    if "end of data" in str(exc) or "unexpected end" in str(exc):
                        reason = (f"regel {start}: een aanhalingsteken (\") wordt niet gesloten; de regels {start} tot "
                                  f"en met {end} konden niet worden gelezen") if end > start else \
                                 f"regel {start}: een aanhalingsteken (\") wordt niet gesloten"
                    elif "field larger" in str(exc):
                        reason = f"regel {start}: een veld is langer dan 131.072 tekens (waarschijnlijk een niet gesloten aanhalingsteken)"
                    else:
                        reason = f"regel {start}: aanhalingstekens staan verkeerd (na een gesloten aanhalingsteken hoort een scheidingsteken)"
                    rejects.append(Reject(start, "parse", reason, None))
                    continue
                done = lines.count
                if not rec or all(not v.strip() for v in rec):
                    continue  # an empty line, or only separators: not a row
                n = len(rec)
                if n > width and all(not v.strip() for v in rec[width:]):
                    rec = rec[:width]  # trailing empty fields (a separator at the end of the line)
                    n = width
                if n != width:
                    word = "veld" if n == 1 else "velden"
                    rejects.append(Reject(start, "parse",
                                          f"regel {start} heeft {n} {word}, de kopregel heeft er {width}",
                                          delim.join(rec)[:2000]))
                    continue
                yield start, [rec[i] for i in idx]
        finally:
            raw.close()

    return Delivery(fmt="csv", columns=columns, batches=batches_of(columns, gen()), rejects=rejects,
                    note=None if encoding in ("utf-8", "utf-8-sig") else ENCODING_NAMES.get(encoding, encoding))
