"""Tarieven en kosten: the contracted tariff per product and year (including the tariffs already contracted
for next year) and the cost bridge: why the cost changed from one year to the next, split into the
effects of the number of clients, hours per client (volume), product mix and tariffs (price)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards import charts, layout, snapshot, summaries, tables
from dashboards import formatting as nl

layout.page_header(
    "Tarieven en kosten",
    "Welke tarieven gelden per product en jaar, en waarom veranderden de kosten: door meer cliënten, meer of "
    "minder uren per cliënt, een andere productmix of hogere tarieven?",
)

tariffs = snapshot.load_optional("marts.tariffs")
bridge = snapshot.load_optional("marts.cost_bridge")
if tariffs is None or bridge is None or tariffs.is_empty():
    st.info("De gepubliceerde gegevens bevatten nog geen tarieven en kostenbrug (marts.tariffs, marts.cost_bridge).")
    st.stop()

code = layout.gemeente_select(tariffs.filter(pl.col("level") == "gemeente"), key="kosten_gemeente")
name = layout.gemeente_label(tariffs.filter(pl.col("level") == "gemeente"), code)
sel = (pl.col("level") == "regio") if code == nl.REGIO else (pl.col("gemeente_code") == code)

# --- Tariffs ---------------------------------------------------------------------------------------------------
st.subheader(f"Tarief per uur · {name}")
t = tariffs.filter(sel).sort("product_code", "year")
fixed = t.filter(pl.col("product_code") == "alle")
step_rows = fixed.filter((pl.col("bron") == "gecontracteerd") & pl.col("step").is_not_null())
if step_rows.height:
    r = step_rows.row(0, named=True)
    m1, m2, m3 = st.columns(3)
    m1.metric(f"Tarief {r['year']} (gecontracteerd, vaste mix)", "€ " + nl.fmt_number(r["tariff_per_hour"], 2))
    m2.metric(f"Stijging {r['year']}", nl.fmt_pct(r["change"], 1, signed=True))
    m3.metric("Waarvan tariefstap", nl.fmt_pct(r["step"], 1, signed=True),
              help=f"Bovenop de gewone jaarlijkse stijging van {nl.fmt_pct(r['trend_growth'], 1)} in de jaren ervoor.")

fig = go.Figure()
for product, grp in t.group_by("product_code", maintain_order=True):
    grp = grp.sort("year")
    label = grp["product_name"][0] + ("" if product[0] == "alle" else f" ({product[0]})")
    fig.add_scatter(x=grp["year"].to_list(), y=grp["tariff_per_hour"].to_list(), name=label, mode="lines+markers",
                    line=dict(dash="dot" if product[0] == "alle" else "solid"))
contracted = t.filter(pl.col("bron") == "gecontracteerd")["year"].unique().to_list()
for y in contracted:
    fig.add_vrect(x0=y - 0.5, x1=y + 0.5, fillcolor="#f1ce63", opacity=0.25, line_width=0,
                  annotation_text="gecontracteerd", annotation_position="top left")
fig.update_traces(hovertemplate="%{x}: € %{y:,.2f}<extra>%{fullData.name}</extra>")
charts.style_figure(fig, y_format=",.2f")
fig.update_yaxes(rangemode="normal", title="€ per uur")
data = t.select(
    pl.col("product_name").alias("Product"), pl.col("product_code").alias("Code"), pl.col("year").alias("Jaar"),
    pl.col("bron").alias("Bron"), pl.col("tariff_per_hour").round(2).alias("Tarief per uur (€)"),
    (pl.col("change") * 100).round(1).alias("Verandering (%)"),
    (pl.col("step") * 100).round(1).alias("Tariefstap bovenop trend (%)"),
)
charts.show_chart(fig, data, name=f"tarieven-{name}", key="kosten_tarieven", tables=["marts.tariffs"],
                  title="Tarief per uur per product en jaar", filters=name)
with st.expander("Tabel: tarief per product en jaar"):
    st.dataframe(data, hide_index=True, column_config=tables.localized_numbers(data))

# --- Cost bridge ------------------------------------------------------------------------------------------------
st.subheader(f"Kostenbrug: waarom veranderden de kosten? · {name}")
b = bridge.filter(sel).sort("year")
_alle = fixed.filter(pl.col("bron") == "waarneming").sort("year")
if b.is_empty():
    layout.summary(summaries.kosten(None, _alle.row(-1, named=True) if _alle.height else None,
                                    step_rows.row(0, named=True) if step_rows.height else None, name,
                                    int(_alle["year"].max()) if _alle.height else 0))
    st.info("Voor deze selectie is geen kostenbrug gepubliceerd.")
    st.stop()
year = layout.year_select(b["year"].to_list(), key="kosten_brugjaar", label="Jaar (vergeleken met het jaar ervoor)")
layout.incomplete_year_note(year)
r = b.filter(pl.col("year") == year).row(0, named=True)
_t = _alle.filter(pl.col("year") == year)
layout.summary(summaries.kosten(r, _t.row(0, named=True) if _t.height else None,
                                step_rows.row(0, named=True) if step_rows.height else None, name, year))
EFFECTS = (("clients_effect_eur", "Aantal cliënten"), ("volume_effect_eur", "Uren per cliënt (volume)"),
           ("mix_effect_eur", "Productmix"), ("price_effect_eur", "Tarieven (prijs)"))
if r["cost_eur"] is None:
    st.info(f"De kosten van {name} in {year} zijn afgeschermd ({nl.HIDDEN_CELL}).")
else:
    fig = go.Figure(go.Waterfall(
        x=[f"Kosten {year - 1}", *[lab for _, lab in EFFECTS], f"Kosten {year}"],
        y=[r["cost_before_eur"], *[r[k] for k, _ in EFFECTS], r["cost_eur"]],
        measure=["absolute", "relative", "relative", "relative", "relative", "total"],
        connector=dict(line=dict(color="#888")),
        increasing=dict(marker_color="#e15759"), decreasing=dict(marker_color="#59a14f"),
        totals=dict(marker_color="#4e79a7"),
        hovertemplate="%{x}: € %{y:,.0f}<extra></extra>",
    ))
    charts.style_figure(fig, y_format=",.0f", x_years=False)
    fig.update_yaxes(rangemode="normal")
    st.markdown(
        f"De kosten gingen van **{nl.fmt_eur(r['cost_before_eur'])}** in {year - 1} naar **{nl.fmt_eur(r['cost_eur'])}** "
        f"in {year} ({nl.signed_difference(r['change_eur'], nl.fmt_eur)}): "
        + "; ".join(f"{lab.lower()} {nl.signed_difference(r[k], nl.fmt_eur)}" for k, lab in EFFECTS) + "."
    )
    table = b.select(
        pl.col("year").alias("Jaar"),
        pl.col("cost_before_eur").round(0).alias("Kosten vorig jaar (€)"),
        pl.col("clients_effect_eur").round(0).alias("Effect aantal cliënten (€)"),
        pl.col("volume_effect_eur").round(0).alias("Effect uren per cliënt (€)"),
        pl.col("mix_effect_eur").round(0).alias("Effect productmix (€)"),
        pl.col("price_effect_eur").round(0).alias("Effect tarieven (€)"),
        pl.col("cost_eur").round(0).alias("Kosten (€)"),
        pl.col("clients").alias("Cliënten"),
        pl.col("hours_per_client").round(1).alias("Uren per cliënt"),
    )
    charts.show_chart(fig, table, name=f"kostenbrug-{name}", key="kosten_brug", tables=["marts.cost_bridge"],
                      title="Kostenbrug per jaar", filters=name,
                      extra="De vier effecten tellen precies op tot de verandering van de kosten (Shapley-verdeling). "
                       "Afgeronde bedragen in de tabel kunnen een euro verschillen.")
    st.dataframe(table, hide_index=True, column_config=tables.localized_numbers(table))
