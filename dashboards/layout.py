"""Page furniture: header with the DEMO banner, sidebar, filters (gemeente, year), the opening summary
and the "Hoe berekend?" expander."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from dashboards.formatting import REGIO, REGIO_NAME, fmt_date, fmt_datetime
from dashboards.protection import method_note
from dashboards.snapshot import NO_DATA_MESSAGE, has_data, is_demo, model_doc, refresh_info

DEMO_MESSAGE = (
    "**DEMO** · Demogegevens — fictieve gemeenten en cijfers. "
    "Niet gebruiken voor beleid, verantwoording of publicatie."
)


def page_header(title: str, intro: str | None = None) -> None:
    """Title, DEMO banner and intro; stops the page with a friendly message if nothing is published."""
    st.title(title)
    if not has_data():
        st.info(NO_DATA_MESSAGE, icon=":material/hourglass_empty:")
        st.stop()
    if is_demo():
        st.warning(DEMO_MESSAGE, icon=":material/science:")
    if intro:
        st.caption(intro)
    # the summary opens the page but depends on the filters below it: summary() fills this slot later
    st.session_state["_hbh_summary_slot"] = st.empty()


def sidebar_info() -> None:
    """Publication time and data period of the snapshot in the sidebar (every page)."""
    with st.sidebar:
        info = refresh_info()
        if info is None:
            st.caption("Nog geen gegevens gepubliceerd." if not has_data() else "Gegevens niet leesbaar.")
            return
        if info.get("is_demo"):
            st.badge("DEMO · fictieve gegevens", color="orange", icon=":material/science:")
        def nowrap(text: str) -> str:  # a date never breaks at its hyphens
            return f'<span style="white-space:nowrap">{text}</span>'

        st.markdown(
            f"**Gepubliceerd:** {nowrap(fmt_datetime(info.get('published_at')))}  \n"
            f"**Gegevens over:** {nowrap(fmt_date(info.get('data_from')))} t/m {nowrap(fmt_date(info.get('data_to')))}",
            unsafe_allow_html=True,
        )


def incomplete_year_note(year: int) -> None:
    """Warn when the chosen year is not complete in the data (data_to before 31 December)."""
    info = refresh_info() or {}
    data_to = info.get("data_to")
    if data_to is not None and data_to.year == year and data_to < dt.date(year, 12, 31):
        st.info(
            f"{year} is nog niet compleet: de gegevens lopen t/m {fmt_date(data_to)}. "
            "Vergelijkingen met eerdere, volledige jaren vallen daardoor mogelijk te laag uit.",
            icon=":material/event_busy:",
        )


def gemeente_options(df: pl.DataFrame) -> dict[str, str]:
    """gemeente_code -> name, sorted by name."""
    pairs = df.select("gemeente_code", "gemeente_name").unique().sort("gemeente_name").rows()
    return dict(pairs)


def gemeente_select(df: pl.DataFrame, *, key: str, allow_all: bool = True) -> str:
    names = gemeente_options(df)
    options = ([REGIO] if allow_all else []) + list(names)
    return st.selectbox(
        "Gemeente",
        options,
        format_func=lambda c: "Alle gemeenten (regio totaal)" if c == REGIO else names.get(c, c),
        key=key,
    )


def gemeente_label(df: pl.DataFrame, code: str) -> str:
    return REGIO_NAME if code == REGIO else gemeente_options(df).get(code, code)


def latest_complete_year(years: list[int]) -> int:
    """The newest of ``years`` that the data cover in full (data_to on 31 December), else the newest."""
    options = sorted({int(y) for y in years}, reverse=True)
    data_to = (refresh_info() or {}).get("data_to")
    for y in options:
        if data_to is None or dt.date(y, 12, 31) <= data_to:
            return y
    return options[0]


def year_select(years: list[int], *, key: str, label: str = "Jaar") -> int:
    """Newest year first; the latest complete year selected by default."""
    options = sorted({int(y) for y in years}, reverse=True)
    return st.selectbox(label, options, index=options.index(latest_complete_year(options)), key=key, format_func=str)


def summary(text: str) -> None:
    """The page's opening summary: what changed and what it means, with the figures (summaries.py)."""
    slot = st.session_state.get("_hbh_summary_slot") or st.empty()
    with slot.container(border=True, key="hbh_summary"):
        st.markdown(f"**Samengevat.** {text}")


def how_calculated(tables: list[str], extra: str | None = None) -> None:
    """The "Hoe berekend?" expander: the published description of each mart used."""
    with st.expander("Hoe berekend?", icon=":material/calculate:"):
        for t in tables:
            st.markdown(f"**Bron: `{t}`**")
            st.markdown(model_doc(t) or "_Voor deze tabel is geen beschrijving gepubliceerd._")
        if extra:
            st.markdown(extra)
        st.caption(method_note())
