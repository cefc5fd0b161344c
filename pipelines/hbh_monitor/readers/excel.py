"""Excel (.xlsx): the first sheet, header in row 1, streamed with openpyxl in read-only mode.

source_line is the Excel row number (header = 1), so an analyst finds the row in Excel itself.
Dates arrive as real Excel dates or as text, numbers as numbers: :func:`hbh_monitor.readers.render`
turns them into the text forms the gate accepts. Rows whose cells are all empty (formatting left
behind below the data) are not rows and are not counted.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from hbh_monitor.contracts import Contract
from hbh_monitor.readers import Delivery, ReadError, batches_of, normalise, render


def read_xlsx(path: Path, contract: Contract) -> Delivery:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not zipfile.is_zipfile(path):
        raise ReadError("geen geldig Excel-bestand (.xlsx is een zip-archief; dit bestand niet)")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ReadError("geen geldig Excel-bestand: het is beschadigd, niet volledig geleverd of met een wachtwoord beveiligd") from exc
    if not wb.worksheets:
        wb.close()
        raise ReadError("het Excel-bestand heeft geen werkblad")
    ws = wb.worksheets[0]
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # don't trust the writer's <dimension>: read to the last row
    rows = ws.iter_rows(values_only=True)
    try:
        header = next(rows)
    except StopIteration:
        wb.close()
        raise ReadError("bestand is leeg (geen kopregel op het eerste werkblad)") from None
    names = [normalise(h) if h is not None else "" for h in header]
    if not any(names):
        wb.close()
        raise ReadError("bestand is leeg (geen kopregel op het eerste werkblad)")
    by_col = {c.name: c for c in contract.columns}
    positions = {}
    for i, n in enumerate(names):
        if n in by_col and n not in positions:
            positions[n] = i
    columns = [c for c in contract.column_names if c in positions]
    idx = [positions[c] for c in columns]
    cols = [by_col[c] for c in columns]

    def gen() -> Iterator[tuple[int, list[str | None]]]:
        rownum = 1
        try:
            for rownum, values in enumerate(rows, start=2):
                if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                out = []
                for i, col in zip(idx, cols):
                    out.append(render(values[i], col) if i < len(values) else None)
                yield rownum, out
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ReadError(f"het Excel-bestand kon niet verder worden gelezen na rij {rownum}: het is beschadigd of niet volledig geleverd") from exc
        finally:
            wb.close()

    return Delivery(fmt="xlsx", columns=columns, batches=batches_of(columns, gen()))
