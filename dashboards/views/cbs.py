"""Vergelijken met CBS (council): our clients next to CBS's count per wijk and year, with the definition
difference stated, and the benchmark: the wijk against wijken of the same kind, the gemeente against
gemeenten of its size class, as a percentile and a plain sentence. Reads marts.cbs_comparison and
marts.cbs_benchmark."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards import charts, exports, layout, protection, snapshot, summaries, tables
from dashboards import formatting as nl

layout.page_header(
    "Vergelijken met CBS",
    "Onze eigen, actuele registratie naast de open cijfers van het CBS: klopt het aantal cliënten per wijk, "
    "en is het gebruik hoog of laag vergeleken met vergelijkbare wijken en gemeenten in heel Nederland?",
)

comp = snapshot.load_optional("marts.cbs_comparison")
bench = snapshot.load_optional("marts.cbs_benchmark")
if comp is None or bench is None or comp.is_empty():
    st.info("Er zijn (nog) geen CBS-tabellen geladen. Zet StatLine-exports (Wmo-cliënten per wijk en Kerncijfers "
            "wijken en buurten) in `landing/cbs_wmo/` en `landing/cbs_kwb/`, of haal ze op met `make cbs`, en draai "
            "de pipeline opnieuw.", icon=":material/public:")
    st.stop()

DEFINITION = (
    "**Twee tellingen, twee definities.** *Wij* tellen personen met een lopende indicatie voor hulp bij het "
    "huishouden in het jaar, in de wijk van hun laatste indicatie (zorg in natura en pgb). *Het CBS* telt "
    "Wmo-cliënten met een maatwerkvoorziening hulp bij het huishouden in de periode volgens de gemeentelijke "
    "registratie en het woonadres in de basisregistratie personen, per jaar of per halfjaar (een halfjaar "
    "telt minder personen dan een heel jaar), rondt af op vijftallen en toont geen aantallen onder de 10. "
    "Het CBS publiceert later dan wij: het laatste jaar staat er soms alleen als eerste halfjaar."
)

f1, f2 = st.columns([2, 1])
with f1:
    code = layout.gemeente_select(comp, key="cbs_gemeente", allow_all=False)
with f2:
    year = layout.year_select(comp.filter(pl.col("gemeente_code") == code)["year"].to_list(), key="cbs_jaar")
name = layout.gemeente_label(comp, code)
filters = f"Gemeente: {name}; jaar: {year}"

# --- The gemeente against its size class -------------------------------------------------------------------------
g = bench.filter((pl.col("level") == "gemeente") & (pl.col("region_code") == code) & (pl.col("year") == year))
_whole = comp.filter((pl.col("gemeente_code") == code) & (pl.col("year") == year) & (pl.col("wijk_code") == "alle"))
layout.summary(summaries.cbs(_whole.row(0, named=True) if _whole.height else None,
                             g.row(0, named=True) if g.height else None, name, year))
if g.height:
    r = g.row(0, named=True)
    rate = nl.fmt_rate(r["cbs_clients_per_1000"]) if r["cbs_clients_per_1000"] is not None else "–"
    st.markdown(
        f"**{name}** had in {year} volgens het CBS **{rate}** cliënten met hulp bij het huishouden per 1.000 "
        f"inwoners: **{r['cbs_sentence']}**"
        + (f" ({r['peer_group']}; {r['peer_regions']} gemeenten, midden {nl.fmt_rate(r['peer_median'])})."
           if r["peer_group"] and r["peer_regions"] else ".")
    )

# --- Our clients next to CBS's count -----------------------------------------------------------------------------
st.subheader(f"Onze cliënten naast die van het CBS · {name} · {year}")
st.markdown(DEFINITION)
sel = comp.filter((pl.col("gemeente_code") == code) & (pl.col("year") == year)).sort(
    pl.col("wijk_code") == "alle", "wijk_name", descending=[True, False])
table = sel.select(
    pl.col("wijk_name").alias("Wijk"),
    pl.col("clients").alias("Onze cliënten"),
    pl.col("cbs_clients").alias("CBS-cliënten"),
    pl.col("cbs_period").alias("CBS-periode"),
    pl.col("cbs_difference").round(0).alias("Verschil"),
    (pl.col("cbs_difference_pct") * 100).round(1).alias("Verschil (%)"),
    pl.col("cbs_gap_reason").alias("Reden van het verschil"),
    pl.col("cbs_table_id").alias("CBS-tabel"),
)
st.dataframe(table, hide_index=True, key="cbs_vergelijking", placeholder=nl.HIDDEN_CELL,
             column_config={**tables.localized_numbers(table),
                            "Onze cliënten": st.column_config.NumberColumn("Onze cliënten", format="localized"),
                            "CBS-cliënten": st.column_config.NumberColumn("CBS-cliënten", format="localized")})
st.caption("Verschil = onze cliënten − CBS-cliënten. " + protection.hidden_cells_caption())
exports.download_buttons(table, name=f"cbs-vergelijking-{name}-{year}", key="cbs_vergelijking_dl",
                         title="Onze cliënten naast die van het CBS", filters=filters)
layout.how_calculated(["marts.cbs_comparison"])

# --- Benchmark per wijk ---------------------------------------------------------------------------------------------
st.subheader(f"Hoog of laag? Elke wijk naast vergelijkbare wijken · {year}")
w = bench.filter((pl.col("level") == "wijk") & (pl.col("gemeente_code") == code) & (pl.col("year") == year)).sort(
    "cbs_percentile", descending=True, nulls_last=True)
btable = w.select(
    pl.col("region_name").alias("Wijk"),
    pl.col("cbs_clients_per_1000").round(1).alias("CBS per 1.000 inwoners"),
    pl.col("peer_group").alias("Soort wijk"),
    pl.col("peer_regions").alias("Vergelijkbare wijken"),
    pl.col("peer_median").round(1).alias("Midden van vergelijkbare"),
    (pl.col("cbs_percentile") * 100).round(0).alias("Percentiel"),
    pl.col("cbs_sentence").alias("Vergeleken met vergelijkbare wijken"),
)
for s in w.filter(pl.col("cbs_percentile").is_not_null()).head(3).iter_rows(named=True):
    st.markdown(f"- **{s['region_name']}**: {s['cbs_sentence']} ({s['peer_group']}).")
shown = w.filter(pl.col("cbs_percentile").is_not_null())
if shown.height:
    fig = go.Figure()
    fig.add_scatter(x=shown["region_name"].to_list(), y=shown["peer_median"].to_list(), mode="markers",
                    name="Midden van vergelijkbare wijken", marker=dict(symbol="line-ew-open", size=22, color="#555"),
                    error_y=dict(type="data", symmetric=False,
                                 array=(shown["peer_p75"] - shown["peer_median"]).to_list(),
                                 arrayminus=(shown["peer_median"] - shown["peer_p25"]).to_list(), color="#999"))
    fig.add_scatter(x=shown["region_name"].to_list(), y=shown["cbs_clients_per_1000"].to_list(), mode="markers",
                    name="De wijk", marker=dict(size=11, color="#e15759"))
    charts.style_figure(fig, y_format=",.1f", x_years=False, height=380)
    fig.update_layout(yaxis_title="HbH-cliënten per 1.000 inwoners (CBS)", xaxis_title=None)
    charts.show_chart(fig, btable, name=f"cbs-benchmark-{name}-{year}", key="cbs_benchmark_chart",
                      tables=["marts.cbs_benchmark"], title="Wijken naast vergelijkbare wijken", filters=filters,
                      extra="Grijze streep: het midden van de vergelijkbare wijken, de lijn loopt van het 25e tot het 75e "
                       "percentiel. Rode stip: de wijk.")
st.dataframe(btable, hide_index=True, key="cbs_benchmark", placeholder=nl.HIDDEN_CELL,
             column_config=tables.localized_numbers(btable))
st.caption("Beide kanten met het CBS-cijfer, dus met dezelfde definitie. Het CBS heeft per wijk geen 75+-groep: "
           "'soort wijk' gebruikt het aandeel 65-plussers en de mate van stedelijkheid (1 = zeer sterk stedelijk).")
exports.download_buttons(btable, name=f"cbs-benchmark-wijken-{name}-{year}", key="cbs_benchmark_dl",
                         title="Wijken naast vergelijkbare wijken", filters=filters)
layout.how_calculated(["marts.cbs_benchmark"])
