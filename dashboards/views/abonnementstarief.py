"""Abonnementstarief: how much of the growth in clients since the baseline year demography explains,
and how much is extra (the "aanzuigende werking" of the flat eigen bijdrage), per gemeente, wijk and
age band, with an uncertainty band (marts.suction_decomposition)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards import charts, layout, snapshot, summaries
from dashboards import formatting as nl

TABLE = "marts.suction_decomposition"

layout.page_header(
    "Abonnementstarief",
    "Hoeveel van de groei van het aantal cliënten sinds het basisjaar komt door de vergrijzing, en "
    "hoeveel is extra groei na de invoering van het abonnementstarief (2019)?",
)

sd = snapshot.load_optional(TABLE)
if sd is None or sd.is_empty():
    st.info("De gepubliceerde gegevens bevatten nog geen ontleding van de groei (marts.suction_decomposition).")
    st.stop()

base_year = int(sd["baseline_year"].max())
METHOD = f"""
**Zo is het berekend.** Een cliënt is een inwoner met ten minste één lopende indicatie voor hulp bij het
huishouden in het jaar (zoals het CBS een Wmo-cliënt telt: iemand met een maatwerkvoorziening).

1. Voor elke wijk en leeftijdsgroep (0-64, 65-74, 75-84, 85+) nemen we het gebruik in het basisjaar
   {base_year}: cliënten per inwoner van die groep.
2. Dat gebruik passen we toe op het aantal inwoners van dezelfde wijk en leeftijdsgroep in een later jaar.
   Opgeteld geeft dat het **verwachte** aantal cliënten: zoveel cliënten waren er geweest als alleen de
   bevolking (vooral de vergrijzing) was veranderd.
3. **Demografische groei** = verwacht / cliënten in {base_year} − 1. **Extra groei** = (werkelijk −
   verwacht) / cliënten in {base_year}. Samen zijn ze precies de **totale groei**.
4. **Onzekerheid:** de aantallen zijn behandeld als toevalsgrootheden (Poisson); de band is het 95%-interval.
   Omdat veel cliënten in beide jaren meetellen, is de echte onzekerheid kleiner: de band is ruim genomen.
5. **Trend vóór {base_year}:** hoe het gebruik (gecorrigeerd voor de bevolking) per jaar veranderde vóór het
   basisjaar. De extra groei *na aftrek van die trend* is wat overblijft als die trend gewoon was
   doorgegaan. De extra groei is niet alleen het abonnementstarief: ook ander beleid telt erin mee.
"""
with st.expander("Hoe lees ik dit?", expanded=False, icon=":material/help:"):
    st.markdown(METHOD)

gem_rows = sd.filter(pl.col("level") == "gemeente")
f1, f2 = st.columns([2, 1])
with f1:
    code = layout.gemeente_select(gem_rows, key="abon_gemeente")
with f2:
    years_after = sorted(y for y in sd["year"].unique().to_list() if y > base_year)
    # the latest complete year: the headline growth must match the end of the chart beside it
    default_year = layout.latest_complete_year(years_after) if years_after else base_year
    year = st.selectbox("Vergelijkingsjaar", years_after or [base_year],
                        index=(years_after.index(default_year) if years_after else 0), key="abon_jaar")
name = layout.gemeente_label(gem_rows, code)
filters = f"Gemeente: {name}; basisjaar {base_year}; jaar {year}"
is_region = code == nl.REGIO

if is_region:
    own = sd.filter(pl.col("level") == "regio")
    parts = sd.filter(pl.col("level") == "gemeente").with_columns(pl.col("gemeente_name").alias("_label"))
    bands = sd.filter(pl.col("level") == "leeftijd_regio")
    part_title = "per gemeente"
else:
    own = sd.filter((pl.col("level") == "gemeente") & (pl.col("gemeente_code") == code))
    parts = sd.filter((pl.col("level") == "wijk") & (pl.col("gemeente_code") == code)).with_columns(
        pl.col("wijk_name").alias("_label"))
    bands = sd.filter((pl.col("level") == "leeftijd") & (pl.col("gemeente_code") == code))
    part_title = "per wijk"

PCT = ["demographic_growth", "excess_growth", "excess_growth_low", "excess_growth_high", "total_growth",
       "excess_growth_net_of_trend", "pre_trend"]
NL = {
    "year": "Jaar", "gemeente_name": "Gemeente", "wijk_name": "Wijk", "age_band": "Leeftijd", "_label": "Gebied",
    "clients_baseline": f"Cliënten {base_year}", "clients": nl.LABELS["clients"], "expected": "Verwacht (demografie)",
    "demographic_growth": "Demografische groei (%)", "excess_growth": "Extra groei (%)",
    "excess_growth_low": "Extra groei ondergrens 95% (%)", "excess_growth_high": "Extra groei bovengrens 95% (%)",
    "total_growth": "Totale groei (%)", "pre_trend": f"Trend vóór {base_year} per jaar (%)",
    "excess_growth_net_of_trend": "Extra groei na aftrek trend (%)",
}


def table(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    cols = keys + ["clients_baseline", "clients", "expected"] + PCT
    return df.select(
        [pl.col(k).alias(NL[k]) for k in keys]
        + [pl.col("clients_baseline").alias(NL["clients_baseline"]), pl.col("clients").alias(NL["clients"]),
           pl.col("expected").round(0).alias(NL["expected"])]
        + [(pl.col(p) * 100).round(1).alias(NL[p]) for p in PCT]
    ) if all(k in df.columns for k in cols) else df


# --- Key figures -----------------------------------------------------------------------------------------
row = own.filter(pl.col("year") == year)
if row.height:
    r = row.row(0, named=True)
    layout.summary(summaries.abonnementstarief(r, name, base_year, year))
    k1, k2, k3, k4 = st.columns(4)
    k1.metric(f"Totale groei {base_year}–{year}", nl.fmt_pct(r["total_growth"], signed=True))
    k2.metric("Door demografie", nl.fmt_pct(r["demographic_growth"], signed=True))
    k3.metric("Extra groei", nl.fmt_pct(r["excess_growth"], signed=True),
              help="95%-band: " + nl.fmt_pct(r["excess_growth_low"], signed=True) + " tot "
              + nl.fmt_pct(r["excess_growth_high"], signed=True))
    k4.metric(f"Extra na aftrek trend vóór {base_year}", nl.fmt_pct(r["excess_growth_net_of_trend"], signed=True),
              help=f"Trend vóór {base_year}: {nl.fmt_pct(r['pre_trend'], 2, signed=True)} per jaar "
              f"(over {r['pre_trend_years']} jaar)")
    if r["clients"] is None or r["clients_baseline"] is None:
        st.caption("Afgeschermd: te kleine aantallen.")


def growth_bars(df: pl.DataFrame, x: str, *, x_is_year: bool) -> go.Figure:
    df = df.sort(x) if x_is_year else df
    xs = df[x].to_list()
    fig = go.Figure()
    fig.add_bar(x=xs, y=(df["demographic_growth"] * 100).to_list(), name="Demografie", marker_color="#9ecae1")
    err_plus = ((df["excess_growth_high"] - df["excess_growth"]) * 100).to_list()
    err_minus = ((df["excess_growth"] - df["excess_growth_low"]) * 100).to_list()
    fig.add_bar(x=xs, y=(df["excess_growth"] * 100).to_list(), name="Extra groei (95%-band)", marker_color="#e15759",
                error_y=dict(type="data", array=err_plus, arrayminus=err_minus, color="#555", thickness=1))
    fig.add_scatter(x=xs, y=(df["total_growth"] * 100).to_list(), name="Totale groei", mode="markers",
                    marker=dict(symbol="diamond", size=10, color="#222"))
    fig.update_layout(barmode="relative", yaxis_title=f"Groei t.o.v. {base_year} (%)", xaxis_title=None)
    fig.update_traces(hovertemplate="%{x}: %{y:,.1f}%<extra>%{fullData.name}</extra>")
    charts.style_figure(fig, y_format=",.1f", x_years=x_is_year)
    return fig


# --- Over the years ----------------------------------------------------------------------------------------
st.subheader(f"Groei sinds {base_year}: demografie en extra groei · {name}")
trend = own.filter(pl.col("year") > base_year).sort("year")
fig = growth_bars(trend, "year", x_is_year=True)
charts.mark_policy_years(fig, trend["year"].to_list(), None)
charts.show_chart(fig, table(trend, ["year"]), name=f"abonnementstarief-{name}", key="abon_jaren", tables=[TABLE],
                  title="Groei van het aantal cliënten: demografie en extra groei", filters=f"Gemeente: {name}",
                  extra=METHOD)

# --- Per gemeente / wijk ------------------------------------------------------------------------------------
st.subheader(f"{part_title.capitalize()} · {base_year}–{year} · {name}")
sel = parts.filter(pl.col("year") == year).sort("total_growth", descending=True, nulls_last=True)
fig2 = growth_bars(sel, "_label", x_is_year=False)
charts.show_chart(fig2, table(sel, ["_label"]), name=f"abonnementstarief-{part_title}-{name}-{year}", key="abon_delen",
                  tables=[TABLE], title=f"Ontleding van de groei {part_title}", filters=filters,
                  extra="Kleine gebieden hebben een brede onzekerheidsband: een paar cliënten meer of minder "
                  "verandert het percentage sterk. Afgeschermde aantallen laten de balk weg.")

# --- Per age band ---------------------------------------------------------------------------------------------
st.subheader(f"Per leeftijdsgroep · {base_year}–{year} · {name}")
selb = bands.filter(pl.col("year") == year)
selb = selb.sort(pl.col("age_band").replace_strict(nl.AGE_BANDS, list(range(len(nl.AGE_BANDS))), default=99))
fig3 = growth_bars(selb, "age_band", x_is_year=False)
charts.show_chart(fig3, table(selb, ["age_band"]), name=f"abonnementstarief-leeftijd-{name}-{year}", key="abon_leeftijd",
                  tables=[TABLE], title="Ontleding van de groei per leeftijdsgroep", filters=filters,
                  extra="De demografische groei per leeftijdsgroep is de groei van het aantal inwoners van die groep, "
                  "gewogen met het gebruik per wijk in het basisjaar.")
