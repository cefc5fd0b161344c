"""Herindicatie (simulatie): before a herindicatie round to a new product set, how many clients per wijk and
age band go down, stay or go up, the minutes per week per client before → after, the transition cost and the
yearly effect on cost (marts.herindicatie_simulation, from the productmapping file)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards import charts, layout, protection, snapshot, summaries, tables
from dashboards import formatting as nl

layout.page_header(
    "Herindicatie (simulatie)",
    "Wat doet de herindicatieronde naar de nieuwe producten (normenkader) met cliënten, minuten per week en "
    "kosten, per wijk en leeftijdsgroep, vóórdat de ronde begint?",
)

sim = snapshot.load_optional("marts.herindicatie_simulation")
if sim is None or sim.is_empty():
    st.info("Er is geen productmapping geladen (map `productmapping/`: oud product → nieuw product, minuten per "
            "week, overgangsmaanden, ingangsjaar), dus er is geen simulatie.")
    st.stop()

code = layout.gemeente_select(sim, key="herind_gemeente")
name = layout.gemeente_label(sim, code)
rows = sim if code == nl.REGIO else sim.filter(pl.col("gemeente_code") == code)
year = int(rows["year"].max())
SUMS = ("clients", "clients_down", "clients_same", "clients_up", "minutes_per_week_before", "minutes_per_week_after",
        "transition_cost_eur", "yearly_cost_effect_eur")
tot = rows.select([protection.partial_sum(x) for x in SUMS]).row(0, named=True)
hidden = rows["clients"].null_count()
layout.summary(summaries.herindicatie(rows.to_dicts(), name, year))
m = st.columns(4)
m[0].metric("Cliënten in de ronde", nl.fmt_count(tot["clients"]))
m[1].metric("Omlaag / gelijk / omhoog",
            f"{nl.fmt_count(tot['clients_down'])} / {nl.fmt_count(tot['clients_same'])} / {nl.fmt_count(tot['clients_up'])}")
if tot["clients"]:
    m[2].metric("Minuten per week per cliënt",
                f"{nl.fmt_number(tot['minutes_per_week_before'] / tot['clients'])} → "
                f"{nl.fmt_number(tot['minutes_per_week_after'] / tot['clients'])}")
m[3].metric(f"Kosteneffect per jaar vanaf {year}", nl.signed_difference(tot["yearly_cost_effect_eur"], nl.fmt_eur),
            help="Negatief = besparing op de geïndiceerde hulp, tegen het tarief van het eerste jaar.")
st.markdown(f"Overgangskosten (cliënten die omlaag gaan houden tijdens de overgangsperiode hun huidige minuten): "
            f"**{nl.fmt_eur(tot['transition_cost_eur'])}**.")
if hidden:
    st.caption(f"{hidden} cellen met een afgeschermd aantal ({nl.HIDDEN_CELL}) tellen niet mee in de totalen: "
               "die zijn een ondergrens.")

st.subheader(f"Per wijk · {name}")
wijk = rows.group_by("gemeente_code", "wijk_code", "wijk_name").agg([protection.partial_sum(x) for x in SUMS]).sort("wijk_name")
fig = go.Figure()
for col, label, color in (("clients_down", "Omlaag", "#e15759"), ("clients_same", "Gelijk", "#bab0ac"),
                          ("clients_up", "Omhoog", "#59a14f")):
    fig.add_bar(x=wijk["wijk_name"].to_list(), y=wijk[col].to_list(), name=label, marker_color=color)
fig.update_layout(barmode="stack")
fig.update_traces(hovertemplate="%{x}: %{y:,.0f}<extra>%{fullData.name}</extra>")
charts.style_figure(fig, y_format=",.0f", x_years=False)
table = rows.sort("wijk_name", "age_band").select(
    pl.col("wijk_name").alias("Wijk"), pl.col("age_band").alias("Leeftijd"),
    pl.col("clients").alias("Cliënten"), pl.col("clients_down").alias("Omlaag"), pl.col("clients_same").alias("Gelijk"),
    pl.col("clients_up").alias("Omhoog"),
    pl.col("mean_minutes_per_week_before").round(0).alias("Minuten per week per cliënt vóór"),
    pl.col("mean_minutes_per_week_after").round(0).alias("Minuten per week per cliënt na"),
    pl.col("transition_cost_eur").round(0).alias("Overgangskosten (€)"),
    pl.col("yearly_cost_effect_eur").round(0).alias("Kosteneffect per jaar (€)"),
)
charts.show_chart(fig, table, name=f"herindicatie-simulatie-{name}", key="herind", tables=["marts.herindicatie_simulation"],
                  title="Herindicatie: simulatie per wijk en leeftijdsgroep", filters=name)
st.dataframe(table, hide_index=True, column_config=tables.localized_numbers(table))

# --- After the round: observed beside simulated (marts.herindicatie_comparison) ----------------------------------
st.subheader(f"Na de ronde: werkelijk naast gesimuleerd · {name}")
comp = snapshot.load_optional("marts.herindicatie_comparison")
comp = None if comp is None else (comp if code == nl.REGIO else comp.filter(pl.col("gemeente_code") == code))
if comp is None or comp.is_empty():
    st.caption(f"De gegevens lopen nog niet tot in {year}, het eerste jaar van de ronde: er is nog niets waargenomen. "
               "De werkelijke herindicaties tot nu toe staan op de pagina Levering en wachttijd.")
else:
    CSUMS = ("clients", "clients_ended", "clients_down_observed", "clients_same_observed", "clients_up_observed",
             "clients_down_simulated", "clients_same_simulated", "clients_up_simulated", "minutes_per_week_before",
             "minutes_per_week_after_observed", "minutes_per_week_after_simulated")
    ct = comp.select([protection.partial_sum(x) for x in CSUMS]).row(0, named=True)
    # one card per direction, the observed count with the simulated one under it (a single "a / b / c" card was cut
    # off with "…" at desktop width)
    n = st.columns(4)
    n[0].metric("Cliënten van de ronde nog in zorg", nl.fmt_count(ct["clients"]),
                help=f"Uit zorg gegaan sinds de ronde: {nl.fmt_count(ct['clients_ended'])} (tellen verder niet mee).")
    for col, (key, label) in zip(n[1:], (("down", "Omlaag"), ("same", "Gelijk"), ("up", "Omhoog"))):
        col.metric(f"{label}: werkelijk", nl.fmt_count(ct[f"clients_{key}_observed"]),
                   delta=f"gesimuleerd {nl.fmt_count(ct[f'clients_{key}_simulated'])}", delta_color="off", delta_arrow="off")
    chidden = comp.select(pl.any_horizontal(pl.col(x).is_null() for x in CSUMS[:1] + CSUMS[2:8]).sum()).item()
    if chidden:
        st.caption(f"Na de ronde: {chidden} cellen (wijk × leeftijd) met een afgeschermd aantal ({nl.HIDDEN_CELL}) "
                   "tellen niet volledig mee: de totalen hierboven zijn een ondergrens, en werkelijk en gesimuleerd "
                   "missen niet dezelfde cellen. Vergelijk per cel in de tabel.")
    if ct["clients"]:
        st.markdown(f"Minuten per week per cliënt: vóór **{nl.fmt_number(ct['minutes_per_week_before'] / ct['clients'])}**, "
                    f"werkelijk na **{nl.fmt_number(ct['minutes_per_week_after_observed'] / ct['clients'])}**, "
                    f"gesimuleerd na **{nl.fmt_number(ct['minutes_per_week_after_simulated'] / ct['clients'])}**.")
    ctable = comp.sort("wijk_name", "age_band").select(
        pl.col("wijk_name").alias("Wijk"), pl.col("age_band").alias("Leeftijd"), pl.col("clients").alias("Cliënten"),
        pl.col("clients_down_observed").alias("Omlaag (werkelijk)"),
        pl.col("clients_down_simulated").alias("Omlaag (gesimuleerd)"),
        pl.col("clients_up_observed").alias("Omhoog (werkelijk)"),
        pl.col("clients_up_simulated").alias("Omhoog (gesimuleerd)"),
        pl.col("mean_minutes_per_week_before").round(0).alias("Minuten per week per cliënt vóór"),
        pl.col("mean_minutes_per_week_after_observed").round(0).alias("Na, werkelijk"),
        pl.col("mean_minutes_per_week_after_simulated").round(0).alias("Na, gesimuleerd"),
    )
    st.dataframe(ctable, hide_index=True, column_config=tables.localized_numbers(ctable))
    layout.how_calculated(["marts.herindicatie_comparison"])
