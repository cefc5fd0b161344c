"""Overzicht: key figures for one gemeente or the regio, and the trend of clients per gemeente."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards import charts, exports, layout, protection, snapshot, summaries
from dashboards import formatting as nl

layout.page_header(
    "Overzicht",
    "Kerncijfers hulp bij het huishouden (HbH, Wmo) per gemeente of voor de regio als geheel, "
    "met de ontwikkeling ten opzichte van het vorige jaar en het basisjaar.",
)

gy = snapshot.load("marts.gemeente_year")
if gy.is_empty():
    st.info("De gepubliceerde gegevens bevatten nog geen cijfers per gemeente.")
    st.stop()

f1, f2 = st.columns([2, 1])
with f1:
    code = layout.gemeente_select(gy, key="overzicht_gemeente")
series = protection.for_gemeente(gy, code)
with f2:
    year = layout.year_select(series["year"].to_list(), key="overzicht_jaar")
name = layout.gemeente_label(gy, code)

by_year = {r["year"]: r for r in series.iter_rows(named=True)}
row = by_year[year]
prev = by_year.get(year - 1, {})
base_year = row.get("baseline_year") or snapshot.baseline_year()
base = by_year.get(base_year, {})

layout.summary(summaries.overzicht(row, prev, name, year, threshold=snapshot.suppression_threshold()))
st.subheader(f"Kerncijfers {year} · {name}")
layout.incomplete_year_note(year)

METRICS = [
    ("clients", "Cliënten", nl.fmt_count, "Unieke personen met HbH in het jaar."),
    ("clients_per_1000", "Per 1.000 inwoners", nl.fmt_rate, "Cliënten per 1.000 inwoners."),
    ("clients_per_1000_75plus", "Per 1.000 inwoners 75+", nl.fmt_rate, "Cliënten van 75 jaar en ouder per 1.000 inwoners van 75 jaar en ouder."),
    ("indicated_hours", "Geïndiceerde uren", lambda v: nl.fmt_number(v), "Toegewezen (geïndiceerde) uren in het jaar, zorg in natura én pgb."),
    ("declared_hours", "Gedeclareerde uren", lambda v: nl.fmt_number(v), "Door aanbieders gedeclareerde uren (WMO323); pgb-uren worden niet bij de gemeente gedeclareerd."),
    ("cost_eur", "Kosten", nl.fmt_eur, "Gedeclareerde kosten in euro's."),
]
years_upto = [y for y in sorted(by_year) if y <= year]
SUPPRESSIBLE = {"clients", "clients_per_1000", "clients_per_1000_75plus"}  # regio: may leave gemeenten out


def partial(r: dict, field: str) -> bool:
    return field in SUPPRESSIBLE and bool(r.get("_hidden"))


kpi_box = st.container(key="hbh_kpi")  # on a phone two cards a row, not six stacked (a11y.py)
for start in range(0, len(METRICS), 3):
    cols = kpi_box.columns(3)
    for col, (field, label, fmt, help_text) in zip(cols, METRICS[start : start + 3]):
        value = row.get(field)
        shown = fmt(value)
        if partial(row, field) and field == "clients" and value is not None:
            shown = "≥ " + shown  # lower bound: a gemeente's count is suppressed
        d_prev = None if partial(row, field) or partial(prev, field) else nl.change(value, prev.get(field))
        d_base = None if partial(row, field) or partial(base, field) else nl.change(value, base.get(field))
        with col, st.container(border=True):
            st.metric(
                label,
                shown,
                delta=nl.fmt_pct(d_prev, signed=True) if d_prev is not None else None,
                delta_description=f"t.o.v. {year - 1}" if d_prev is not None else None,
                delta_color="off",
                help=help_text,
            )  # no sparkline: its SVG has no text alternative (axe: svg-img-alt); the trend chart is below
            if year == base_year:
                st.caption(f"{year} is het basisjaar")
            elif d_base is not None:
                st.caption(f"**{nl.fmt_pct(d_base, signed=True)}** t.o.v. basisjaar {base_year}")
            else:
                st.caption(f"t.o.v. basisjaar {base_year}: niet beschikbaar")

note = protection.hidden_note(series.filter(pl.col("year").is_in([year, year - 1, base_year])))
if note:
    st.caption(note + " Veranderingen worden daar niet getoond.")
if "clients_without_hours" in gy.columns:  # next to the hour figures: who they leave out
    _nh = gy.filter(pl.col("year") == year) if code == nl.REGIO else gy.filter((pl.col("gemeente_code") == code)
                                                                             & (pl.col("year") == year))
    st.caption(summaries.without_hours(_nh["clients_without_hours"].to_list(), name, year))
st.caption(
    "Pijlen zijn bewust neutraal (grijs): een stijging of daling is niet vanzelf goed of slecht. "
    + protection.hidden_cells_caption()
)

kpi = nl.display_frame(
    series.filter(pl.col("year").is_in(years_upto)),
    ["year", *[m[0] for m in METRICS]],
)
exports.download_buttons(
    kpi, name=f"kerncijfers-{name}", key="overzicht_kpi", title="Kerncijfers per jaar", filters=f"Gemeente: {name}"
)
layout.how_calculated(
    ["marts.gemeente_year"],
    (protection.REGIO_NOTE + "\n\n" if code == nl.REGIO else "")
    + "Veranderingen zijn relatief: (waarde dit jaar / waarde vergelijkingsjaar) − 1. Ontbreekt een "
    "van beide (bijvoorbeeld afgeschermd), dan wordt geen verandering getoond.",
)

# --- Trend of clients per gemeente ------------------------------------------------------------------
st.subheader("Cliënten per jaar per gemeente")
MEASURES = {
    "Aantal cliënten": ("clients", ",d"),
    "Per 1.000 inwoners": ("clients_per_1000", ",.1f"),
    "Per 1.000 inwoners 75+": ("clients_per_1000_75plus", ",.1f"),
}
measure = st.radio("Maatstaf", list(MEASURES), horizontal=True, key="overzicht_maatstaf")
field, y_format = MEASURES[measure]

trend_src = gy if code == nl.REGIO else gy.filter(pl.col("gemeente_code") == code)
trend = nl.display_frame(protection.protect(trend_src).sort("gemeente_name", "year"), ["gemeente_name", "year", field])
y_label = nl.LABELS[field]
fig = px.line(
    trend.to_pandas(),
    x="Jaar",
    y=y_label,
    color="Gemeente",
    color_discrete_map=charts.gemeente_colors(gy),
    markers=True,
)
fig.update_traces(hovertemplate="%{fullData.name}<br>%{x}: %{y:" + y_format + "}<extra></extra>")
charts.style_figure(fig, y_format=y_format)
fig.update_layout(yaxis_title=y_label, xaxis_title=None, legend_title_text="")
charts.mark_policy_years(fig, trend["Jaar"].to_list(), base_year)

filters = f"Gemeente: {name}; maatstaf: {measure}"
charts.show_chart(
    fig,
    trend,
    name=f"trend-{measure}-{name}",
    key="overzicht_trend",
    tables=["marts.gemeente_year"],
    title=f"{y_label} per jaar per gemeente",
    filters=filters,
    extra=(protection.REGIO_NOTE + "\n\n" if code == nl.REGIO else "")
    + f"De stippellijnen markeren het basisjaar ({base_year}) en de invoering van het "
    f"abonnementstarief ({charts.ABONNEMENTSTARIEF_YEAR}).",
)
if trend[y_label].null_count():
    st.caption(f"Onderbrekingen in een lijn: afgeschermde cijfers.")

