"""Tables: st.dataframe column settings (Dutch-localised numbers, years without separator, the first column
pinned) and a table with its downloads."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboards.exports import download_buttons
from dashboards.formatting import KIND_BY_LABEL, decimals_shown

# Years as printf "%d": Streamlit's "plain" format showed some years of an Int32 column as 2017.0000000000002.
YEAR_FORMAT = "%d"


def _number(name: str, col: pl.Series) -> Any:
    """Dutch-localised (1.234,5), with the same number of decimals on every row: "localized" alone drops
    trailing zeros (855 next to 848,2); ``step`` fixes the display precision."""
    if "jaar" in name.lower() or KIND_BY_LABEL.get(name) == "year":
        return st.column_config.NumberColumn(name, format=YEAR_FORMAT)
    step = 10.0 ** -decimals_shown(col) if col.dtype.is_float() else 1
    return st.column_config.NumberColumn(name, format="localized", step=step)


def _pin_first(df: pl.DataFrame, config: dict[str, Any]) -> dict[str, Any]:
    """The first column (what a row is: wijk, gemeente, aanbieder, jaar) stays visible when a narrow
    screen scrolls the table sideways."""
    if df.width:
        first = df.columns[0]
        config[first] = (st.column_config.NumberColumn(first, format=YEAR_FORMAT, pinned=True)
                         if first in config and "jaar" in first.lower() else
                         st.column_config.Column(first, pinned=True) if first not in config else config[first])
    return config


def localized_numbers(df: pl.DataFrame) -> dict[str, Any]:
    """column_config that shows every numeric column in Dutch format (1.234,5), years plain; the first
    column pinned."""
    return _pin_first(df, {name: _number(name, df[name]) for name, dtype in df.schema.items() if dtype.is_numeric()})


def number_column_config(df: pl.DataFrame) -> dict[str, Any]:
    """column_config for st.dataframe: Dutch-localised numbers, years without separator."""
    return _pin_first(df, {
        name: _number(name, df[name])
        for name in df.columns
        if KIND_BY_LABEL.get(name) in ("count", "pop", "int", "rate", "pct", "year")
    })


def number_formats(*, localized: tuple[str, ...] = (), euro: tuple[str, ...] = ()) -> dict[str, Any]:
    """column_config for the named columns: Dutch-localised numbers (1.234,5) or euros (€ 1.234,50)."""
    return ({n: st.column_config.NumberColumn(n, format="localized") for n in localized}
            | {n: st.column_config.NumberColumn(n, format="euro") for n in euro})


def table_with_downloads(df: pl.DataFrame, *, key: str, name: str, title: str = "", filters: str = "",
                         download_key: str | None = None, **dataframe_kwargs: Any) -> None:
    """A table (st.dataframe without index, key ``key``) followed by the CSV and Excel download of exactly
    its data (exports.download_buttons, key ``download_key``, default ``key + "_dl"``)."""
    st.dataframe(df, hide_index=True, key=key, **dataframe_kwargs)
    download_buttons(df, name=name, key=download_key or f"{key}_dl", title=title, filters=filters)
