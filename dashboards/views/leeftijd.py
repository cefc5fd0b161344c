"""Leeftijd: clients by age band per year, and use per 1,000 inhabitants of each age band."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards import charts, layout, protection, snapshot, summaries
from dashboards import formatting as nl

layout.page_header(
    "Leeftijd",
    "Hoe is het gebruik van hulp bij het huishouden verdeeld over leeftijdsgroepen, en hoe "
    "ontwikkelt het gebruik per 1.000 inwoners van elke leeftijdsgroep zich?",
)

ay = snapshot.load("marts.age_year")
if ay.is_empty():
    st.info("De gepubliceerde gegevens bevatten nog geen cijfers per leeftijdsgroep.")
    st.stop()

f1, _ = st.columns([2, 1])
with f1:
    code = layout.gemeente_select(ay, key="leeftijd_gemeente")
name = layout.gemeente_label(ay, code)
data = protection.for_gemeente(ay, code, by=("year", "age_band"))
years = sorted(data["year"].unique().to_list())
base_year = snapshot.baseline_year()
filters = f"Gemeente: {name}"
extra_regio = protection.REGIO_NOTE if code == nl.REGIO else None
bands = [b for b in nl.AGE_BANDS if b in set(data["age_band"].to_list())] + sorted(
    set(data["age_band"].to_list()) - set(nl.AGE_BANDS)
)
order = {"Leeftijd": bands}
colors = dict(zip(nl.AGE_BANDS, charts.AGE_COLORS))

latest = layout.latest_complete_year(years)
layout.summary(summaries.leeftijd(data.to_dicts(), name, latest, base_year))

# --- Stacked bars: clients by age band ----------------------------------------------------------------
st.subheader(f"Cliënten naar leeftijd · {name}")
bars = nl.display_frame(
    data.sort("year", pl.col("age_band").replace_strict(bands, list(range(len(bands))), default=99)),
    ["year", "age_band", "clients", "share_of_clients"],
)
fig = px.bar(
    bars.to_pandas(),
    x="Jaar",
    y="Cliënten",
    color="Leeftijd",
    category_orders=order,
    color_discrete_map=colors,
    custom_data=["Aandeel van de cliënten (%)"],
)
fig.update_traces(
    hovertemplate="%{fullData.name} jaar · %{x}<br>Cliënten: %{y:,d}<br>Aandeel: %{customdata[0]:,.1f}%<extra></extra>"
)
fig.update_layout(barmode="stack", legend_title_text="Leeftijd", yaxis_title="Cliënten", xaxis_title=None)
charts.style_figure(fig, y_format=",d")
charts.mark_policy_years(fig, years, base_year)
charts.show_chart(
    fig,
    bars,
    name=f"leeftijd-clienten-{name}",
    key="leeftijd_staaf",
    tables=["marts.age_year"],
    title="Cliënten naar leeftijd per jaar",
    filters=filters,
    extra=extra_regio,
)
missing = bars.filter(pl.col("Cliënten").is_null())
if missing.height:
    per_band = missing.group_by("Leeftijd", maintain_order=True).agg(pl.col("Jaar")).iter_rows(named=True)
    st.caption(
        f"Ontbrekende delen van een staaf zijn afgeschermde aantallen: "
        + "; ".join(f"{r['Leeftijd']} in {nl.fmt_years(r['Jaar'])}" for r in per_band)
        + "."
    )
note = protection.hidden_note(data)
if note:
    st.caption(note)

# --- Lines: clients per 1,000 inhabitants of the band -------------------------------------------------
st.subheader(f"Cliënten per 1.000 inwoners van dezelfde leeftijd · {name}")
lines = nl.display_frame(
    data.sort("age_band", "year"), ["year", "age_band", "clients_per_1000", "inhabitants"]
)
rate_label = nl.LABELS["clients_per_1000"]
fig2 = px.line(
    lines.to_pandas(),
    x="Jaar",
    y=rate_label,
    color="Leeftijd",
    markers=True,
    category_orders=order,
    color_discrete_map=colors,
)
fig2.update_traces(hovertemplate="%{fullData.name} jaar · %{x}<br>%{y:,.1f} per 1.000 inwoners<extra></extra>")
fig2.update_layout(
    legend_title_text="Leeftijd", yaxis_title="Cliënten per 1.000 inwoners van die leeftijd", xaxis_title=None
)
charts.style_figure(fig2, y_format=",.1f")
charts.mark_policy_years(fig2, years, base_year)
charts.show_chart(
    fig2,
    lines,
    name=f"leeftijd-per-1000-{name}",
    key="leeftijd_lijn",
    tables=["marts.age_year"],
    title="Cliënten per 1.000 inwoners per leeftijdsgroep",
    filters=filters,
    extra=(extra_regio + "\n\n" if extra_regio else "")
    + "Per 1.000 inwoners *van dezelfde leeftijdsgroep*: zo is te zien of het gebruik per oudere "
    "stijgt, los van de vergrijzing.",
)
