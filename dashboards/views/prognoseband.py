"""Prognose met bandbreedte (council): clients, hours and cost of the default forecast with the 80% band the
backtest errors give, the observed years before it, the budget line in the cost chart, and how often the band
held in the backtest. Reads marts.forecast_bands, marts.gemeente_year."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards import charts, layout, protection, snapshot, summaries
from dashboards import formatting as nl

layout.page_header(
    "Prognose met bandbreedte",
    "Hoe zeker is de prognose? De lijn is het standaardscenario; de band geeft aan waar de uitkomst met 80% kans "
    "ligt, afgeleid van hoe ver de methode er in het verleden naast zat.",
)

bands = snapshot.load_optional("marts.forecast_bands")
if bands is None or bands.is_empty():
    st.info("De gepubliceerde gegevens bevatten (nog) geen bandbreedte van de prognose (`marts.forecast_bands`).")
    st.stop()
gy = snapshot.load("marts.gemeente_year")
ext = snapshot.load_optional("marts.external_growth")  # a published growth the gemeente entered (VNG/ABF)

gem = bands.filter(pl.col("level") == "gemeente")
code = layout.gemeente_select(gem, key="band_gemeente")
name = layout.gemeente_label(gem, code)
sel = bands.filter(pl.col("level") == "regio") if code == nl.REGIO else gem.filter(pl.col("gemeente_code") == code)
hist = gy if code == nl.REGIO else gy.filter(pl.col("gemeente_code") == code)
hist = hist.group_by("year").agg(protection.partial_sum("clients"), protection.partial_sum("declared_hours"),
                                 protection.partial_sum("cost_eur")).sort("year")
cov = bands.unique("measure").select("measure", "coverage", "backtest_points", "backtest_covered", "sigma")
held = {r["measure"]: r for r in cov.iter_rows(named=True)}
pct = int(round(100 * float(cov["coverage"][0])))
layout.summary(summaries.prognoseband(sel.to_dicts(), name))

st.markdown(
    f"**{pct}%-band.** In de terugtoets (de methode geschat zonder de laatste drie jaren, en per gemeente een band "
    "uit de fouten van de andere gemeenten) viel "
    + "; ".join(f"bij {lab} {held[m]['backtest_covered']} van de {held[m]['backtest_points']} voorspelde jaren"
                for m, lab in (("clients", "cliënten"), ("hours", "uren"), ("cost_eur", "kosten")) if m in held)
    + " binnen de band."
)

MEASURES = (("clients", "clients", "Cliënten", ",.0f"), ("hours", "declared_hours", "Gedeclareerde uren", ",.0f"),
            ("cost_eur", "cost_eur", "Kosten (€)", ",.0f"))
for measure, hist_col, label, fmt in MEASURES:
    st.subheader(f"{label} · {name}")
    m = sel.filter(pl.col("measure") == measure).sort("year")
    fig = go.Figure()
    x = m["year"].to_list()
    fig.add_scatter(x=x + x[::-1], y=m["upper"].to_list() + m["lower"].to_list()[::-1], fill="toself",
                    fillcolor="rgba(225,87,89,0.18)", line=dict(width=0), hoverinfo="skip", mode="lines",
                    name=f"{pct}%-band")
    fig.add_scatter(x=hist["year"].to_list(), y=hist[hist_col].to_list(), name="Waargenomen", mode="lines+markers",
                    line_color="#4e79a7")
    fig.add_scatter(x=x, y=m["forecast"].to_list(), name="Prognose (standaard)", mode="lines+markers",
                    line=dict(color="#e15759", width=3),
                    customdata=list(zip(m["lower"].to_list(), m["upper"].to_list())),
                    hovertemplate="%{x}: %{y:" + fmt + "} (band %{customdata[0]:" + fmt + "} – %{customdata[1]:"
                    + fmt + "})<extra></extra>")
    data = m.select(pl.col("year").alias("Jaar"), pl.col("forecast").round(0).alias("Prognose"),
                    pl.col("lower").round(0).alias("Ondergrens"), pl.col("upper").round(0).alias("Bovengrens"))
    if measure == "clients" and ext is not None and code != nl.REGIO:
        for bron, e in ext.filter(pl.col("gemeente_code") == code).sort("year").group_by("bron", maintain_order=True):
            fig.add_scatter(x=e["year"].to_list(), y=e["external_clients"].to_list(), mode="lines",
                            name=f"{bron[0]}: {nl.fmt_pct(e['groei_procent'][0] / 100, 0, signed=True)} "
                                 f"{e['basisjaar'][0]}–{e['doeljaar'][0]}", line=dict(color="#59a14f", dash="dot"))
            data = pl.concat([data, e.select(pl.col("year").alias("Jaar"),
                                             pl.col("external_clients").round(0).alias(bron[0]))], how="diagonal_relaxed")
    if measure == "cost_eur" and m["budget_eur"].drop_nulls().len():
        b = m.filter(pl.col("budget_eur").is_not_null())
        fig.add_scatter(x=b["year"].to_list(), y=b["budget_eur"].to_list(), name="Budget", mode="lines+markers",
                        line=dict(color="#222", dash="dash"), marker_symbol="square")
        data = data.with_columns(m["budget_eur"].round(0).alias("Budget"))
        over = m.filter(pl.col("budget_eur").is_not_null() & (pl.col("upper") > pl.col("budget_eur")))
        if over.height:
            st.markdown(f"De bovengrens van de band ligt boven het budget in {nl.fmt_years(over['year'].to_list())}.")
    charts.style_figure(fig, y_format=fmt, height=360)
    fig.update_layout(yaxis_title=label, xaxis_title=None)
    charts.show_chart(fig, data, name=f"prognoseband-{measure}-{name}", key=f"band_{measure}",
                      tables=["marts.forecast_bands", "marts.forecast_backtest"]
                      + (["marts.external_growth"] if measure == "clients" and ext is not None else []),
                      title=f"Prognose {label.lower()} met band",
                      filters=name)
