"""Herindicatie (simulatie): before a herindicatie round to a new product set, how many clients per wijk and
age band go down, stay or go up, the minutes per week per client before → after, the transition cost and the
yearly effect on cost (marts.herindicatie_simulation, from the productmapping file)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

import common as c

c.page_header(
    "Herindicatie (simulatie)",
    "Wat doet de herindicatieronde naar de nieuwe producten (normenkader) met cliënten, minuten per week en "
    "kosten, per wijk en leeftijdsgroep, vóórdat de ronde begint?",
)

sim = c.load_optional("marts.herindicatie_simulation")
if sim is None or sim.is_empty():
    st.info("Er is geen productmapping geladen (map `productmapping/`: oud product → nieuw product, minuten per "
            "week, overgangsmaanden, ingangsjaar), dus er is geen simulatie.")
    st.stop()

code = c.gemeente_select(sim, key="herind_gemeente")
name = c.gemeente_label(sim, code)
rows = sim if code == c.REGIO else sim.filter(pl.col("gemeente_code") == code)
year = int(rows["year"].max())
SUMS = ("clients", "clients_down", "clients_same", "clients_up", "minutes_per_week_before", "minutes_per_week_after",
        "transition_cost_eur", "yearly_cost_effect_eur")
tot = rows.select([c._partial_sum(x) for x in SUMS]).row(0, named=True)
hidden = rows["clients"].null_count()
m = st.columns(4)
m[0].metric("Cliënten in de ronde", c.fmt_count(tot["clients"]))
m[1].metric("Omlaag / gelijk / omhoog",
            f"{c.fmt_count(tot['clients_down'])} / {c.fmt_count(tot['clients_same'])} / {c.fmt_count(tot['clients_up'])}")
if tot["clients"]:
    m[2].metric("Minuten per week per cliënt",
                f"{c.fmt_number(tot['minutes_per_week_before'] / tot['clients'])} → "
                f"{c.fmt_number(tot['minutes_per_week_after'] / tot['clients'])}")
m[3].metric(f"Kosteneffect per jaar vanaf {year}", c.signed_difference(tot["yearly_cost_effect_eur"], c.fmt_eur),
            help="Negatief = besparing op de geïndiceerde hulp, tegen het tarief van het eerste jaar.")
st.markdown(f"Overgangskosten (cliënten die omlaag gaan houden tijdens de overgangsperiode hun huidige minuten): "
            f"**{c.fmt_eur(tot['transition_cost_eur'])}**.")
if hidden:
    st.caption(f"{hidden} cellen met een afgeschermd aantal ({c.suppressed_label()}) tellen niet mee in de totalen: "
               "die zijn een ondergrens.")

st.subheader(f"Per wijk · {name}")
wijk = rows.group_by("gemeente_code", "wijk_code", "wijk_name").agg([c._partial_sum(x) for x in SUMS]).sort("wijk_name")
fig = go.Figure()
for col, label, color in (("clients_down", "Omlaag", "#e15759"), ("clients_same", "Gelijk", "#bab0ac"),
                          ("clients_up", "Omhoog", "#59a14f")):
    fig.add_bar(x=wijk["wijk_name"].to_list(), y=wijk[col].to_list(), name=label, marker_color=color)
fig.update_layout(barmode="stack")
fig.update_traces(hovertemplate="%{x}: %{y:,.0f}<extra>%{fullData.name}</extra>")
c.style_figure(fig, y_format=",.0f", x_years=False)
table = rows.sort("wijk_name", "age_band").select(
    pl.col("wijk_name").alias("Wijk"), pl.col("age_band").alias("Leeftijd"),
    pl.col("clients").alias("Cliënten"), pl.col("clients_down").alias("Omlaag"), pl.col("clients_same").alias("Gelijk"),
    pl.col("clients_up").alias("Omhoog"),
    pl.col("mean_minutes_per_week_before").round(0).alias("Minuten per week per cliënt vóór"),
    pl.col("mean_minutes_per_week_after").round(0).alias("Minuten per week per cliënt na"),
    pl.col("transition_cost_eur").round(0).alias("Overgangskosten (€)"),
    pl.col("yearly_cost_effect_eur").round(0).alias("Kosteneffect per jaar (€)"),
)
c.show_chart(fig, table, name=f"herindicatie-simulatie-{name}", key="herind", tables=["marts.herindicatie_simulation"],
             title="Herindicatie: simulatie per wijk en leeftijdsgroep", filters=name)
st.dataframe(table, hide_index=True, column_config=c.localized_numbers(table))
st.caption("Na de ronde: de werkelijke herindicaties staan op de pagina Levering en wachttijd (herindicaties per "
           "wijk, uren per week vóór en na).")
