"""Downloads: CSV and Excel of exactly the data shown, with hidden cells as 'afgeschermd', numbers as Dutch
Excel reads them, text safe from formula injection and a sheet that says where the figures come from."""

from __future__ import annotations

import io
from typing import Any

import polars as pl
import streamlit as st

from dashboards.formatting import HIDDEN_CELL, KIND_BY_LABEL, decimals_shown, fmt_date, fmt_datetime, slug
from dashboards.snapshot import is_demo, refresh_info, rounding_base, suppression_threshold


def _hidden_mask(df: pl.DataFrame) -> pl.Expr | None:
    """Rows whose person count is hidden (a NULL count column)."""
    counts = [n for n in df.columns if KIND_BY_LABEL.get(n) == "count"]
    return pl.any_horizontal([pl.col(n).is_null() for n in counts]) if counts else None


# A text cell that starts with one of these is a formula to Excel/LibreOffice (CSV and xlsx alike)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """Neutralise spreadsheet formula injection: a text starting with = + - @ (or tab/CR) gets a leading
    apostrophe, so it stays text in Excel and LibreOffice. Non-text values pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _export_decimals(name: str, col: pl.Series) -> int:
    """Decimals of a numeric column in a download: as on screen (the kind's rounding, else the fewest that
    show every value), so whole numbers are written as integers (57238, not 57238,0)."""
    kind = KIND_BY_LABEL.get(name)
    if kind in ("rate", "pct"):
        return 1
    if kind in ("count", "pop", "int", "year") or not col.dtype.is_float():
        return 0
    return decimals_shown(col)


def _dutch_text(value: Any, decimals: int) -> str:
    """A number as CSV text the Dutch Excel reads as a number: 1234,5 (no thousands separator)."""
    return f"{float(value):.{decimals}f}".replace(".", ",")


def _hidden_rows(df: pl.DataFrame) -> list[bool]:
    mask = _hidden_mask(df)
    return df.select(mask.alias("h"))["h"].to_list() if mask is not None else [False] * df.height


def _export_frame(df: pl.DataFrame) -> pl.DataFrame:
    """The data as a download shows it: hidden cells as 'afgeschermd' (the word the tables use: a hidden
    count, and the empty figures of a row whose count is hidden; another empty cell stays empty), whole
    numbers as integers, and every text cell safe from formula injection."""
    exprs = []
    hidden = _hidden_rows(df)
    for name, dtype in df.schema.items():
        col = df[name]
        if dtype.is_numeric():
            d = _export_decimals(name, col)
            if col.null_count():
                exprs.append(pl.Series(name, [(HIDDEN_CELL if h else None) if v is None else _dutch_text(v, d)
                                              for v, h in zip(col.to_list(), hidden)], dtype=pl.String))
            elif d == 0 and dtype.is_float():
                exprs.append(col.round(0).cast(pl.Int64))
            elif dtype.is_float():
                exprs.append(col.round(d))
        elif dtype == pl.String:
            exprs.append(col.map_elements(safe_text, return_dtype=pl.String))
    return df.with_columns(exprs) if exprs else df


def to_csv_bytes(df: pl.DataFrame) -> bytes:
    """CSV as Dutch Excel opens it: ';' separated, decimal comma, UTF-8 with BOM."""
    buf = io.BytesIO()
    out = _export_frame(df)
    # a float column keeps its decimals on every row (10,0 next to 12,5), as on screen
    out = out.with_columns([pl.col(n).map_elements(lambda v, d=_export_decimals(n, df[n]): _dutch_text(v, d),
                                                   return_dtype=pl.String)
                            for n, t in out.schema.items() if t.is_float()])
    out.write_csv(buf, separator=";", include_bom=True)
    return buf.getvalue()


_EXCEL_FORMATS = {"count": "#,##0", "pop": "#,##0", "int": "#,##0", "rate": "#,##0.0", "pct": "0.0", "year": "0"}


def _excel_format(name: str, col: pl.Series) -> str | None:
    """The number format of every numeric column (Excel shows it with the reader's separators: 1.234,5)."""
    if not col.dtype.is_numeric():
        return None
    kind = KIND_BY_LABEL.get(name)
    if kind in _EXCEL_FORMATS:
        return _EXCEL_FORMATS[kind]
    if "jaar" in name.lower() and not col.dtype.is_float():
        return "0"
    d = _export_decimals(name, col)
    return "#,##0" if d == 0 else "#,##0." + "0" * d


def provenance_rows(title: str, filters: str) -> list[tuple[str, str]]:
    """The sheet 'Toelichting' of a workbook: subject, selection, source, publication, the protection method."""
    info = refresh_info() or {}
    rows = [
        ("Onderwerp", title),
        ("Selectie", filters),
        ("Bron", "HbH-monitor, gepubliceerde momentopname (alleen geaggregeerde cijfers)"),
        ("Gepubliceerd", fmt_datetime(info.get("published_at"))),
        ("Gegevens over", f"{fmt_date(info.get('data_from'))} t/m {fmt_date(info.get('data_to'))}"),
        ("Run", str(info.get("run_id") or "–")),
        (HIDDEN_CELL, "Afgeschermd: minder dan "
         f"{suppression_threshold()} personen, of verborgen zodat zo'n klein aantal niet uit een totaal, een ander "
         "jaar of een andere tabel is terug te rekenen. Verhoudingsgetallen, uren en bedragen van zo'n rij zijn ook "
         "verborgen."),
    ]
    if rounding_base() > 1:
        rows.append(("Afronding", f"Aantallen personen zijn afgerond op {rounding_base()}-tallen (werkwijze CBS); "
                     "verhoudingsgetallen zijn berekend uit de afgeronde aantallen."))
    if info.get("is_demo"):
        rows.insert(0, ("DEMO", "Demogegevens — fictieve gemeenten en cijfers"))
    return rows


def to_excel_bytes(
    df: pl.DataFrame, *, title: str = "", filters: str = "", provenance: list[tuple[str, str]] | None = None
) -> bytes:
    """Excel workbook (openpyxl): sheet 'Gegevens' = exactly the data shown, sheet 'Toelichting'.

    Numbers stay numbers with a Dutch-readable format on every numeric column; a hidden cell is the text
    'afgeschermd'; text cells are safe from formula injection."""
    if provenance is None:
        provenance = provenance_rows(title, filters)
    import openpyxl
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Gegevens"
    ws.append(list(df.columns))
    decimals = {n: _export_decimals(n, df[n]) for n, t in df.schema.items() if t.is_numeric()}
    for row, hidden in zip(df.iter_rows(), _hidden_rows(df)):
        out = []
        for name, v in zip(df.columns, row):
            if v is None and name in decimals:
                out.append(HIDDEN_CELL if hidden else None)
            elif name in decimals and v is not None:
                out.append(int(round(v)) if decimals[name] == 0 else round(float(v), decimals[name]))
            elif isinstance(v, str):
                out.append(safe_text(v))
            else:
                out.append(v)
        ws.append(out)
    for idx, name in enumerate(df.columns, start=1):
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = max(10, min(40, len(str(name)) + 2))
        fmt = _excel_format(name, df[name])
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                cell.number_format = fmt
    ws.freeze_panes = "A2"
    info = wb.create_sheet("Toelichting")
    info.append(["Onderdeel", "Toelichting"])
    for k, v in provenance:
        info.append([safe_text(k), safe_text(v)])
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def download_buttons(df: pl.DataFrame, *, name: str, key: str, title: str = "", filters: str = "") -> None:
    """CSV and Excel download of exactly ``df`` (the data shown).

    The workbook (~35 ms with openpyxl) is only built when the button is clicked (deferred callable);
    its provenance is collected now, in the script run."""
    base = ("DEMO_" if is_demo() else "") + "hbh_" + slug(name)
    provenance = provenance_rows(title, filters)
    row = st.container(horizontal=True)  # buttons sized to their label, also in a narrow column
    c1 = c2 = row
    with c1:
        st.download_button(
            "CSV",
            data=to_csv_bytes(df),
            file_name=f"{base}.csv",
            mime="text/csv",
            key=f"{key}_csv",
            on_click="ignore",
            icon=":material/download:",
            help="Puntkomma-gescheiden, decimale komma (opent zo in Nederlandse Excel)",
        )
    with c2:
        st.download_button(
            "Excel",
            data=lambda: to_excel_bytes(df, provenance=provenance),
            file_name=f"{base}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{key}_xlsx",
            on_click="ignore",
            icon=":material/download:",
        )
