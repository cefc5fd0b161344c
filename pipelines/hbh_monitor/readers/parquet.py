"""Parquet: read by DuckDB (``read_parquet``), every column rendered as text for the gate.

source_line = the 1-based row number + 1, so the first row is "line 2" as in the tabular formats
that have a header line. Typed columns become the text the gate accepts: dates ISO, timestamps at
midnight as dates, whole floats without ``.0``, integers in a fixed-width digit column (a BSN or
AGB code stored as a number) padded with leading zeros again.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from hbh_monitor.contracts import Column, Contract
from hbh_monitor.readers import Delivery, ReadError, digit_width, normalise
from hbh_monitor.sqltext import ident, literal


def text_expr(x: str, typ: pa.DataType, col: Column) -> str:
    """SQL rendering the parquet column ``x`` of Arrow type ``typ`` as gate text."""
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        return x
    if pa.types.is_integer(typ):
        width = digit_width(col)
        if width:
            return f"CASE WHEN {x} >= 0 THEN lpad(CAST({x} AS VARCHAR), {width}, '0') ELSE CAST({x} AS VARCHAR) END"
        return f"CAST({x} AS VARCHAR)"
    if pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        whole = f"CAST(CAST({x} AS HUGEINT) AS VARCHAR)"
        width = digit_width(col)
        if width:
            whole = f"lpad({whole}, {width}, '0')"
        return (f"CASE WHEN isfinite(CAST({x} AS DOUBLE)) AND {x} = trunc({x}) AND abs({x}) < 1e15 "
                f"THEN {whole} ELSE CAST({x} AS VARCHAR) END")
    if pa.types.is_date(typ):
        return f"strftime({x}, '%Y-%m-%d')"
    if pa.types.is_timestamp(typ):
        return (f"CASE WHEN CAST({x} AS TIMESTAMP) = date_trunc('day', CAST({x} AS TIMESTAMP)) "
                f"THEN strftime(CAST({x} AS TIMESTAMP), '%Y-%m-%d') ELSE CAST({x} AS VARCHAR) END")
    if pa.types.is_boolean(typ):
        return f"CASE WHEN {x} THEN 'true' WHEN NOT {x} THEN 'false' END"
    return f"CAST({x} AS VARCHAR)"


def read_parquet(path: Path, contract: Contract) -> Delivery:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise ReadError("geen geldig Parquet-bestand: het is beschadigd of niet volledig geleverd") from exc
    by_col = {c.name: c for c in contract.columns}
    found: dict[str, tuple[str, pa.DataType]] = {}
    for f in schema:
        n = normalise(f.name)
        if n in by_col and n not in found:
            found[n] = (f.name, f.type)
    columns = [c for c in contract.column_names if c in found]
    exprs = [f"{text_expr(ident(found[c][0]), found[c][1], by_col[c])} AS {ident(c)}" for c in columns]
    source = (
        f"(SELECT file_row_number + 2 AS source_line{''.join(', ' + e for e in exprs)} "
        f"FROM read_parquet({literal(str(path))}, file_row_number = true))"
    )
    return Delivery(fmt="parquet", columns=columns, source=source)
