"""Step 5 of the flow, the writers' common ground: the CSV dialects of the municipal systems, the column
order of the exports, formatting of dates and decimals, writing a frame or a small file, and the
manifest entry of a written file."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from hbh_demo.calibration import NO_END
from hbh_demo.dates import to_date_series

@dataclass(frozen=True)
class Dialect:
    name: str
    separator: str
    decimal: str
    date_format: str  # strftime
    encoding: str  # Python codec name
    bom: bool
    line_terminator: str

    def describe(self) -> dict:
        return {
            "name": self.name,
            "separator": self.separator,
            "decimal": self.decimal,
            "date_format": {"%d-%m-%Y": "dd-mm-jjjj", "%Y-%m-%d": "jjjj-mm-dd"}[self.date_format],
            "encoding": self.encoding + ("-sig" if self.bom else ""),
            "line_terminator": "CRLF" if self.line_terminator == "\r\n" else "LF",
        }


DIALECTS = {
    "a": Dialect("a", ";", ",", "%d-%m-%Y", "cp1252", False, "\r\n"),
    "b": Dialect("b", ",", ".", "%Y-%m-%d", "utf-8", True, "\n"),
    "c": Dialect("c", ";", ",", "%Y-%m-%d", "utf-8", False, "\n"),
}
REFERENCE_DIALECT = {"wijken": "a", "bevolking": "b", "producten": "c", "aanbieders": "b"}
INDICATIE_DIALECT_CYCLE = ("a", "b", "c", "a", "b")  # GM9901 (Demostad) in (a)
AANBIEDER_DIALECT_CYCLE = ("a", "b", "c", "a", "b", "c")

INDICATIE_COLUMNS = (
    "bsn", "geboortedatum", "geslacht", "gemeente_code", "wijk_code", "toewijzing_nummer",
    "product_code", "leveringsvorm", "aanbieder_agb", "toewijzingsdatum", "ingangsdatum",
    "einddatum", "volume", "eenheid", "frequentie",
)
DECLARATIE_COLUMNS = (
    "declaratie_nummer", "gemeente_code", "aanbieder_agb", "bsn", "referentie_nummer",
    "toewijzing_nummer", "product_code", "begindatum", "einddatum", "geleverd_volume", "eenheid",
    "bedrag", "debet_credit",
)


def date_column(days: np.ndarray, dialect: Dialect, name: str, open_end: bool = False) -> pl.Series:
    d = np.asarray(days, dtype=np.int64)
    ser = to_date_series(np.where(d == NO_END, 0, d), name).dt.strftime(dialect.date_format)
    if open_end:
        ser = pl.select(pl.when(pl.Series(d == NO_END)).then(pl.lit(None, pl.String)).otherwise(ser)).to_series()
        ser = ser.alias(name)
    return ser


def write_frame(path: Path, df: pl.DataFrame, dialect: Dialect) -> None:
    """Write a frame with polars (UTF-8). Indicaties and declaraties hold only codes, digits and
    dates, all ASCII, so the bytes are the same in Windows-1252; non-ASCII names live in the
    reference files, which go through ``write_small_csv``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(path, separator=dialect.separator, line_terminator=dialect.line_terminator,
                 include_bom=dialect.bom, quote_style="necessary", float_precision=2,
                 decimal_comma=dialect.decimal == ",")


def write_small_csv(path: Path, dialect: Dialect, header: tuple | list, rows: list[list]) -> int:
    """Reference files through the csv module (real cp1252 bytes, QUOTE_MINIMAL)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    enc = "utf-8-sig" if dialect.bom else dialect.encoding
    with path.open("w", encoding=enc, newline="") as f:
        w = csv.writer(f, delimiter=dialect.separator, lineterminator=dialect.line_terminator,
                       quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)
    return len(rows)


def decimal_text(x: float, dialect: Dialect) -> str:
    return f"{x:.2f}".replace(".", dialect.decimal)


def constant_column(value: str, n: int, name: str) -> pl.Series:
    return pl.repeat(value, n, dtype=pl.String, eager=True).alias(name)


def file_entry(path: str, dataset: str, dialect: Dialect, rows: int, defects: list | None = None,
                **extra) -> dict:
    entry = {"path": path, "dataset": dataset, "rows": int(rows), "dialect": dialect.describe()}
    entry.update(extra)
    entry["defects"] = defects or []
    return entry
