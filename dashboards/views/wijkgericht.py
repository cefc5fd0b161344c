"""Wijkgericht werken (council): per wijk the aanbieders with their share of clients and hours, the
concentration (HHI) and how it moved since the contract years, clients who got another aanbieder, and per
aanbieder the wijken where it works. Reads marts.wijk_concentration and marts.aanbieder_wijk_year."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from hbh_monitor import settings

from dashboards import charts, exports, layout, protection, snapshot, summaries, tables
from dashboards import formatting as nl

layout.page_header(
    "Wijkgericht werken",
    "Welke aanbieders werken in welke wijk, hoe geconcentreerd is de zorg in natura per wijk, en hoeveel "
    "cliënten kregen een ander gezicht aan de deur?",
)

conc = snapshot.load_optional("marts.wijk_concentration")
aw = snapshot.load_optional("marts.aanbieder_wijk_year")
if conc is None or aw is None or conc.is_empty():
    st.info("De gepubliceerde gegevens bevatten (nog) geen cijfers per aanbieder en wijk "
            "(`marts.wijk_concentration`, `marts.aanbieder_wijk_year`). Draai de pipeline opnieuw.")
    st.stop()

f1, f2 = st.columns([2, 1])
with f1:
    code = layout.gemeente_select(conc, key="wg_gemeente")
scope = conc if code == nl.REGIO else conc.filter(pl.col("gemeente_code") == code)
scope_aw = aw if code == nl.REGIO else aw.filter(pl.col("gemeente_code") == code)
with f2:
    year = layout.year_select(scope["year"].to_list(), key="wg_jaar")
name = layout.gemeente_label(conc, code)
layout.incomplete_year_note(year)
HIDDEN = nl.HIDDEN_CELL


def _hide_with_clients(df: pl.DataFrame, count: str, cols: list[str]) -> pl.DataFrame:
    """Shares, hours and indices of a row whose person count is hidden are not shown either."""
    hide = pl.col(count).is_null()
    return df.with_columns([pl.when(hide).then(None).otherwise(pl.col(x)).alias(x) for x in cols if x in df.columns])


sel = _hide_with_clients(scope.filter(pl.col("year") == year), "zin_clients",
                         ["hhi", "hhi_clients", "main_market_share", "share_switched"])
sel = sel.with_columns(pl.when(pl.col("zin_clients").is_null()).then(None).otherwise(pl.col("main_aanbieder_name"))
                       .alias("main_aanbieder_name"))

layout.summary(summaries.wijkgericht(sel.to_dicts(), name, year))

# --- Key figures ---------------------------------------------------------------------------------------------
k1, k2, k3 = st.columns(3)
shown_hhi = sel["hhi"].drop_nulls()
k1.metric("Wijken met zorg in natura", nl.fmt_number(sel.height))
k2.metric("Concentratie (HHI), mediaan van de wijken", nl.fmt_number(shown_hhi.median(), 2) if shown_hhi.len() else "–",
          help="HHI = som van de gekwadrateerde marktaandelen (uren) in de wijk: 1 = één aanbieder doet alles.")
sw = sel["switched_clients"].drop_nulls()
k3.metric(f"Cliënten met een nieuwe aanbieder in {year}", nl.fmt_number(sw.sum()) if sw.len() else HIDDEN,
          help="Opgeteld over de wijken waar het aantal getoond mag worden.")

# --- Concentration per wijk, and since the contract years ------------------------------------------------------
st.subheader(f"Concentratie per wijk · {name} · {year}")
available = set(scope["year"].to_list())
wide = sel
notes = []
for cy in settings.contract_years():
    before = cy - 1  # the last year under the old contracts
    label = f"HHI {before} (vóór contract {cy})"
    if cy > year:
        notes.append(f"Het contract van {cy} is na {year}: nog niets te vergelijken.")
        continue
    if before not in available:
        notes.append(f"Geen gegevens over {before}, het jaar vóór het contract van {cy}.")
        continue
    prev = _hide_with_clients(scope.filter(pl.col("year") == before), "zin_clients", ["hhi"]).select(
        "wijk_code", pl.col("hhi").alias(label))
    wide = wide.join(prev, on="wijk_code", how="left").with_columns(
        (pl.col("hhi") - pl.col(label)).alias(f"Verschil sinds {before}"))
table = wide.sort("hhi", descending=True, nulls_last=True).select(
    *([pl.col("gemeente_name").alias("Gemeente")] if code == nl.REGIO else []),
    pl.col("wijk_name").alias("Wijk"),
    pl.col("zin_clients").alias("Cliënten ZIN"),
    pl.col("aanbieders_in_wijk").alias("Aanbieders"),
    pl.col("hhi").round(3).alias("HHI (uren)"),
    pl.col("hhi_clients").round(3).alias("HHI (cliënten)"),
    pl.col("main_aanbieder_name").alias("Grootste aanbieder"),
    (pl.col("main_market_share") * 100).round(1).alias("Aandeel grootste (%)"),
    *[pl.col(x).round(3) for x in wide.columns if x.startswith(("HHI 2", "HHI 1", "Verschil sinds"))],
    pl.col("wijk_code").alias("Wijkcode"),
)
st.dataframe(table, hide_index=True, key="wg_concentratie", placeholder=HIDDEN,
             column_config={**tables.localized_numbers(table),
                            "Cliënten ZIN": st.column_config.NumberColumn("Cliënten ZIN", format="localized")})
for n in notes:
    st.caption(n)
st.caption(protection.hidden_cells_caption() + " Bij een afgeschermd aantal cliënten zijn ook HHI en aandelen van die wijk "
           "afgeschermd.")
filters = f"Gemeente: {name}; jaar: {year}"
exports.download_buttons(table, name=f"wijkgericht-concentratie-{name}-{year}", key="wg_concentratie_dl",
                         title="Concentratie per wijk", filters=filters)
layout.how_calculated(["marts.wijk_concentration", "marts.aanbieder_wijk_year"],
                      "Contractjaren (instelling `HBH_CONTRACT_YEARS`): " + ", ".join(map(str, settings.contract_years()))
                      + ". De vergelijking gebruikt het jaar vóór elk contract, het laatste jaar onder de oude contracten.")

# HHI over the years, contract years marked
trend = _hide_with_clients(scope, "zin_clients", ["hhi"]).sort("year")
if code == nl.REGIO:
    trend = trend.with_columns(pl.format("{} ({})", "wijk_name", "gemeente_name").alias("wijk_name"))
fig = go.Figure()
for wname, part in trend.group_by("wijk_name", maintain_order=True):
    fig.add_scatter(x=part["year"].to_list(), y=part["hhi"].to_list(), mode="lines+markers", name=wname[0],
                    hovertemplate="%{x}: HHI %{y:.3f}<extra>%{fullData.name}</extra>")
for cy in settings.contract_years():
    if trend.height and trend["year"].min() <= cy <= trend["year"].max():
        fig.add_vline(x=cy, line_dash="dot", line_color="#555", annotation_text=f"contract {cy}",
                      annotation_font_size=11, annotation_font_color="#444")
charts.style_figure(fig, y_format=".3f", height=380)
fig.update_layout(yaxis_title="HHI (uren)", xaxis_title=None, legend_title_text="")
fig.update_yaxes(range=[0, 1.02], tickformat=".1f")
st.markdown("**Concentratie (HHI) per wijk door de jaren**")
charts.show_chart(fig, trend.select(pl.col("wijk_name").alias("Wijk"), pl.col("year").alias("Jaar"),
                                    pl.col("hhi").round(3).alias("HHI (uren)")),
             name=f"wijkgericht-hhi-trend-{name}", key="wg_hhi_trend", tables=["marts.wijk_concentration"],
             title="HHI per wijk door de jaren", filters=f"Gemeente: {name}")

# --- Share of the hours per aanbieder, every wijk ------------------------------------------------------------------
st.subheader(f"Aandeel van de uren per aanbieder · {name} · {year}")
shares = _hide_with_clients(scope_aw.filter(pl.col("year") == year), "clients", ["market_share"])
if code == nl.REGIO:
    shares = shares.with_columns(pl.format("{} ({})", "wijk_name", "gemeente_name").alias("wijk_name"))
shown = shares.filter(pl.col("market_share").is_not_null())
rest = shares.group_by("wijk_name").agg((1 - pl.col("market_share").fill_null(0).sum()).alias("market_share")).filter(
    pl.col("market_share") > 1e-9).with_columns(pl.lit(HIDDEN).alias("aanbieder_name"))
bars = pl.concat([shown.select("wijk_name", "aanbieder_name", "market_share"),
                  rest.select("wijk_name", "aanbieder_name", "market_share")])
bars = bars.with_columns((pl.col("market_share") * 100).round(1).alias("Aandeel uren (%)")).rename(
    {"wijk_name": "Wijk", "aanbieder_name": "Aanbieder"}).drop("market_share")
order = (shares.group_by("wijk_name").agg(pl.col("market_share").max()).sort("market_share")["wijk_name"].to_list())
fig_s = go.Figure()
names_order = sorted(set(bars["Aanbieder"].to_list()) - {HIDDEN}) + ([HIDDEN] if HIDDEN in bars["Aanbieder"] else [])
palette = charts.GEMEENTE_PALETTE
for i, a in enumerate(names_order):
    part = bars.filter(pl.col("Aanbieder") == a)
    fig_s.add_bar(y=part["Wijk"].to_list(), x=part["Aandeel uren (%)"].to_list(), name=a, orientation="h",
                  marker_color="#d9d9d9" if a == HIDDEN else palette[i % len(palette)],
                  hovertemplate="%{y}: %{x:.1f}%<extra>" + a + "</extra>")
charts.style_figure(fig_s, y_format=".1f", x_years=False, height=160 + 26 * max(len(order), 1))
fig_s.update_layout(barmode="stack", legend_title_text="", xaxis_title="Aandeel van de gedeclareerde uren (%)")
fig_s.update_yaxes(categoryorder="array", categoryarray=order, title=None, rangemode="normal")
fig_s.update_xaxes(range=[0, 100], tickformat=",~f")
charts.show_chart(fig_s, bars, name=f"wijkgericht-aandelen-{name}-{year}", key="wg_aandelen",
                  tables=["marts.aanbieder_wijk_year"], title="Aandeel van de uren per aanbieder", filters=filters,
                  extra=f"Grijs ('{HIDDEN}'): aanbieders met een afgeschermd aantal cliënten in de wijk, samen.")

# --- Aanbieders in one wijk --------------------------------------------------------------------------------------
st.subheader("Aanbieders in een wijk")
wijken = dict(sel.sort("wijk_name").select("wijk_code", "wijk_name").rows())
wijk = st.selectbox("Wijk", list(wijken), format_func=lambda w: wijken.get(w, w), key="wg_wijk")
a = scope_aw.filter((pl.col("wijk_code") == wijk) & (pl.col("year") == year))
a = _hide_with_clients(a, "clients", ["clients_share", "market_share", "declared_hours", "cost_eur"])
atable = a.sort("market_share", descending=True, nulls_last=True).select(
    pl.col("aanbieder_name").alias("Aanbieder"),
    pl.col("clients").alias("Cliënten"),
    (pl.col("clients_share") * 100).round(1).alias("Aandeel cliënten (%)"),
    pl.col("declared_hours").round(0).alias("Gedeclareerde uren"),
    (pl.col("market_share") * 100).round(1).alias("Aandeel uren (%)"),
)
st.dataframe(atable, hide_index=True, key="wg_aanbieders_wijk", placeholder=HIDDEN,
             column_config={**tables.localized_numbers(atable),
                            "Cliënten": st.column_config.NumberColumn("Cliënten", format="localized")})
st.caption("Een cliënt met twee aanbieders telt bij beide mee: de cliënten van de aanbieders tellen op tot meer "
           "dan het aantal cliënten ZIN van de wijk. De aandelen uren tellen op tot 100%.")
exports.download_buttons(atable, name=f"wijkgericht-aanbieders-{wijken.get(wijk, wijk)}-{year}", key="wg_aanbieders_wijk_dl",
                         title="Aanbieders in de wijk", filters=f"Wijk: {wijken.get(wijk, wijk)}; jaar: {year}")

# --- Fixed face: clients who changed aanbieder -------------------------------------------------------------------
st.subheader(f"Vast gezicht: cliënten met een nieuwe aanbieder · {year}")
ftable = sel.sort("share_switched", descending=True, nulls_last=True).select(
    *([pl.col("gemeente_name").alias("Gemeente")] if code == nl.REGIO else []),
    pl.col("wijk_name").alias("Wijk"),
    pl.col("zin_clients").alias("Cliënten ZIN"),
    pl.col("switched_clients").alias("Nieuwe aanbieder"),
    (pl.col("share_switched") * 100).round(1).alias("Aandeel (%)"),
)
tables.table_with_downloads(ftable, key="wg_wissels", name=f"wijkgericht-wissels-{name}-{year}",
                            title="Cliënten met een nieuwe aanbieder", filters=filters, placeholder=HIDDEN,
                            column_config={**tables.localized_numbers(ftable),
                                           **tables.number_formats(localized=("Cliënten ZIN", "Nieuwe aanbieder"))})
layout.how_calculated(["marts.wijk_concentration"])

# --- Where does an aanbieder work ---------------------------------------------------------------------------------
st.subheader(f"Waar werkt een aanbieder? · {year}")
ay = scope_aw.filter(pl.col("year") == year)
names = dict(ay.select("aanbieder_agb", "aanbieder_name").unique().sort("aanbieder_name").rows())
if not names:
    st.info("Geen aanbieders met zorg in natura in dit jaar.")
    st.stop()
agb = st.selectbox("Aanbieder", list(names), format_func=lambda x: names.get(x, x), key="wg_aanbieder")
mine = _hide_with_clients(ay.filter(pl.col("aanbieder_agb") == agb), "clients",
                          ["clients_share", "market_share", "declared_hours"])
wtable = mine.sort("market_share", descending=True, nulls_last=True).select(
    *([pl.col("gemeente_name").alias("Gemeente")] if code == nl.REGIO else []),
    pl.col("wijk_name").alias("Wijk"),
    pl.col("clients").alias("Cliënten"),
    (pl.col("market_share") * 100).round(1).alias("Aandeel uren in de wijk (%)"),
    pl.col("declared_hours").round(0).alias("Gedeclareerde uren"),
)
st.markdown(f"**{names[agb]}** werkt in {mine.height} wijk(en) van {name}.")
tables.table_with_downloads(wtable, key="wg_aanbieder_wijken", name=f"wijkgericht-wijken-van-{names[agb]}-{year}",
                            title="Wijken van de aanbieder", filters=f"Aanbieder: {names[agb]}; {filters}",
                            placeholder=HIDDEN,
                            column_config={**tables.localized_numbers(wtable), **tables.number_formats(localized=("Cliënten",))})
layout.how_calculated(["marts.aanbieder_wijk_year"])
