"""Overzicht: key figures for one gemeente or the regio, and the trend of clients per gemeente."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

import common as c
import summaries

c.page_header(
    "Overzicht",
    "Kerncijfers hulp bij het huishouden (HbH, Wmo) per gemeente of voor de regio als geheel, "
    "met de ontwikkeling ten opzichte van het vorige jaar en het basisjaar.",
)

gy = c.load("marts.gemeente_year")
if gy.is_empty():
    st.info("De gepubliceerde gegevens bevatten nog geen cijfers per gemeente.")
    st.stop()

f1, f2 = st.columns([2, 1])
with f1:
    code = c.gemeente_select(gy, key="overzicht_gemeente")
series = c.for_gemeente(gy, code)
with f2:
    year = c.year_select(series["year"].to_list(), key="overzicht_jaar")
name = c.gemeente_label(gy, code)

by_year = {r["year"]: r for r in series.iter_rows(named=True)}
row = by_year[year]
prev = by_year.get(year - 1, {})
base_year = row.get("baseline_year") or c.baseline_year()
base = by_year.get(base_year, {})

c.summary(summaries.overzicht(row, prev, name, year))
st.subheader(f"Kerncijfers {year} · {name}")
c.incomplete_year_note(year)

METRICS = [
    ("clients", "Cliënten", c.fmt_count, "Unieke personen met HbH in het jaar."),
    ("clients_per_1000", "Per 1.000 inwoners", c.fmt_rate, "Cliënten per 1.000 inwoners."),
    ("clients_per_1000_75plus", "Per 1.000 inwoners 75+", c.fmt_rate, "Cliënten van 75 jaar en ouder per 1.000 inwoners van 75 jaar en ouder."),
    ("indicated_hours", "Geïndiceerde uren", lambda v: c.fmt_number(v), "Toegewezen (geïndiceerde) uren in het jaar, zorg in natura én pgb."),
    ("declared_hours", "Gedeclareerde uren", lambda v: c.fmt_number(v), "Door aanbieders gedeclareerde uren (WMO323); pgb-uren worden niet bij de gemeente gedeclareerd."),
    ("cost_eur", "Kosten", c.fmt_eur, "Gedeclareerde kosten in euro's."),
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
        d_prev = None if partial(row, field) or partial(prev, field) else c.change(value, prev.get(field))
        d_base = None if partial(row, field) or partial(base, field) else c.change(value, base.get(field))
        with col, st.container(border=True):
            st.metric(
                label,
                shown,
                delta=c.fmt_pct(d_prev, signed=True) if d_prev is not None else None,
                delta_description=f"t.o.v. {year - 1}" if d_prev is not None else None,
                delta_color="off",
                help=help_text,
            )  # no sparkline: its SVG has no text alternative (axe: svg-img-alt); the trend chart is below
            if year == base_year:
                st.caption(f"{year} is het basisjaar")
            elif d_base is not None:
                st.caption(f"**{c.fmt_pct(d_base, signed=True)}** t.o.v. basisjaar {base_year}")
            else:
                st.caption(f"t.o.v. basisjaar {base_year}: niet beschikbaar")

note = c.hidden_note(series.filter(pl.col("year").is_in([year, year - 1, base_year])))
if note:
    st.caption(note + " Veranderingen worden daar niet getoond.")
if "clients_without_hours" in gy.columns:  # next to the hour figures: who they leave out
    _nh = gy.filter(pl.col("year") == year) if code == c.REGIO else gy.filter((pl.col("gemeente_code") == code)
                                                                             & (pl.col("year") == year))
    st.caption(summaries.without_hours(_nh["clients_without_hours"].to_list(), name, year))
st.caption(
    "Pijlen zijn bewust neutraal (grijs): een stijging of daling is niet vanzelf goed of slecht. "
    + c.hidden_cells_caption()
)

kpi = c.display_frame(
    series.filter(pl.col("year").is_in(years_upto)),
    ["year", *[m[0] for m in METRICS]],
)
c.download_buttons(
    kpi, name=f"kerncijfers-{name}", key="overzicht_kpi", title="Kerncijfers per jaar", filters=f"Gemeente: {name}"
)
c.how_calculated(
    ["marts.gemeente_year"],
    (c.REGIO_NOTE + "\n\n" if code == c.REGIO else "")
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

trend_src = gy if code == c.REGIO else gy.filter(pl.col("gemeente_code") == code)
trend = c.display_frame(c.protect(trend_src).sort("gemeente_name", "year"), ["gemeente_name", "year", field])
y_label = c.LABELS[field]
fig = px.line(
    trend.to_pandas(),
    x="Jaar",
    y=y_label,
    color="Gemeente",
    color_discrete_map=c.gemeente_colors(gy),
    markers=True,
)
fig.update_traces(hovertemplate="%{fullData.name}<br>%{x}: %{y:" + y_format + "}<extra></extra>")
c.style_figure(fig, y_format=y_format)
fig.update_layout(yaxis_title=y_label, xaxis_title=None, legend_title_text="")
c.mark_policy_years(fig, trend["Jaar"].to_list(), base_year)

filters = f"Gemeente: {name}; maatstaf: {measure}"
c.show_chart(
    fig,
    trend,
    name=f"trend-{measure}-{name}",
    key="overzicht_trend",
    tables=["marts.gemeente_year"],
    title=f"{y_label} per jaar per gemeente",
    filters=filters,
    extra=(c.REGIO_NOTE + "\n\n" if code == c.REGIO else "")
    + f"De stippellijnen markeren het basisjaar ({base_year}) en de invoering van het "
    f"abonnementstarief ({c.ABONNEMENTSTARIEF_YEAR}).",
)
if trend[y_label].null_count():
    st.caption(f"Onderbrekingen in een lijn: afgeschermde cijfers.")

