"""Prognose: clients, hours and cost to 2030 per gemeente/wijk, with scenario switches (eigen bijdrage,
help every other week, tariffs). The scenario formula is hbh_monitor.forecast (the same the pipeline
uses for the default columns of marts.forecast)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from hbh_monitor import forecast as F

from dashboards import charts, exports, layout, protection, snapshot, summaries, tables
from dashboards import formatting as nl
from dashboards import scenario_budget as SB

TABLES = ["marts.forecast", "marts.forecast_scenarios"]

layout.page_header(
    "Prognose",
    "Hoeveel cliënten, uren en kosten zijn er tot 2030 te verwachten, en wat doen beleidskeuzes "
    "(inkomensafhankelijke eigen bijdrage, hulp eens per twee weken, tarieven) daarmee?",
)

fc = snapshot.load_optional("marts.forecast")
scen_rows = snapshot.load_optional("marts.forecast_scenarios")
if fc is None or fc.is_empty() or scen_rows is None:
    st.info("De gepubliceerde gegevens bevatten nog geen prognose (marts.forecast).")
    st.stop()
backtest = snapshot.load_optional("marts.forecast_backtest")
gy = snapshot.load("marts.gemeente_year")
wy = snapshot.load("marts.wijk_year")

default = F.Scenario.from_rows(scen_rows)
fit_year = int(fc["fit_year"].max())

# --- Selection ---------------------------------------------------------------------------------------------
f1, f2 = st.columns([1, 1])
with f1:
    code = layout.gemeente_select(fc, key="prognose_gemeente")
name = layout.gemeente_label(fc, code)
scope = fc if code == nl.REGIO else fc.filter(pl.col("gemeente_code") == code)
with f2:
    wijken = dict(scope.select("wijk_code", "wijk_name").unique().sort("wijk_name").rows())
    wijk = st.selectbox("Wijk", ["__alle__"] + list(wijken), key="prognose_wijk",
                        format_func=lambda w: "Alle wijken" if w == "__alle__" else wijken.get(w, w))
if wijk != "__alle__":
    scope = scope.filter(pl.col("wijk_code") == wijk)
    name = f"{wijken[wijk]} ({name})"

# --- Scenario switches ---------------------------------------------------------------------------------------
st.subheader("Scenario")
s1, s2, s3 = st.columns(3)
with s1:
    removed = st.slider("Deel van de extra groei dat verdwijnt door een inkomensafhankelijke eigen bijdrage (%)",
                        0, 100, int(round(default.excess_removed_share * 100)), 5, key="prognose_eb")
    lo, hi = fit_year + 1, max(int(fc["year"].max()), fit_year + 2)
    eb_year = st.slider("Vanaf jaar", lo, hi, min(max(default.eigen_bijdrage_year, lo), hi), key="prognose_eb_jaar")
with s2:
    shift = st.slider("Deel van de cliënten met wekelijkse hulp dat naar eens per twee weken gaat (%)",
                      0, 100, int(round(default.biweekly_shift_share * 100)), 5, key="prognose_tweewekelijks")
with s3:
    growth = st.select_slider("Tariefstijging per jaar (%)", [round(x / 10, 1) for x in range(-50, 151)],
                              round(default.tariff_growth * 100, 1), format_func=lambda v: nl.fmt_number(v, 1),
                              key="prognose_tariefgroei")
    step = st.slider(f"Eenmalige tariefstap in {default.tariff_step_year} (%)", 0, 50,
                     int(round(default.tariff_step * 100)), 1, key="prognose_tariefstap")


def _chosen(value: float, default_value: float, shown_default: float) -> float:
    """The slider's value as a fraction; the exact default while the slider stays at its (rounded) default."""
    return default_value if value == shown_default else value / 100


scenario = F.replace(
    default,
    excess_removed_share=_chosen(removed, default.excess_removed_share, int(round(default.excess_removed_share * 100))),
    eigen_bijdrage_year=int(eb_year),
    biweekly_shift_share=_chosen(shift, default.biweekly_shift_share, int(round(default.biweekly_shift_share * 100))),
    tariff_growth=_chosen(growth, default.tariff_growth, round(default.tariff_growth * 100, 1)),
    tariff_step=_chosen(step, default.tariff_step, int(round(default.tariff_step * 100))),
)
SB.standard_note(scen_rows, default, scenario)

res = F.totals(F.apply(scope, scenario)).with_columns(pl.lit("Scenario").alias("_variant"))
base = F.totals(F.apply(scope, default)).with_columns(pl.lit("Standaard").alias("_variant"))

# History: the observed years of the same area (marts.gemeente_year / wijk_year).
if wijk != "__alle__":
    hist = wy.filter(pl.col("wijk_code") == wijk)
elif code == nl.REGIO:
    hist = gy
else:
    hist = gy.filter(pl.col("gemeente_code") == code)
hist = hist.group_by("year").agg(protection.partial_sum("clients"), protection.partial_sum("declared_hours"), protection.partial_sum("cost_eur"),
                                 pl.col("clients").is_null().any().alias("_partial")).sort("year")

def assumptions_text(sc: F.Scenario) -> str:
    """The standard scenario's assumptions in words (marts.forecast_scenarios)."""
    return (f"{nl.fmt_pct(sc.excess_removed_share, 0)} van de extra groei verdwijnt vanaf {sc.eigen_bijdrage_year} door "
            f"een inkomensafhankelijke eigen bijdrage; {nl.fmt_pct(sc.biweekly_shift_share, 0)} van de cliënten met "
            f"wekelijkse hulp gaat naar eens per twee weken; tarieven stijgen {nl.fmt_pct(sc.tariff_growth)} per jaar, "
            f"met een eenmalige stap van {nl.fmt_pct(sc.tariff_step, 0)} in {sc.tariff_step_year}")


_first, _last = base.row(0, named=True), base.row(-1, named=True)
layout.summary(summaries.prognose({"year": _first["year"], "clients": _first["clients"], "cost": _first["cost_eur"]},
                                  {"year": _last["year"], "clients": _last["clients"], "cost": _last["cost_eur"]},
                                  name, assumptions_text(default)))

last = res.filter(pl.col("year") == res["year"].max())
last_base = base.filter(pl.col("year") == base["year"].max())
end_year = int(res["year"].max())
for col, (label, value, fmt) in zip(st.columns(3), (("Cliënten", "clients", nl.fmt_number), ("Uren", "hours", nl.fmt_number),
                                                    ("Kosten", "cost_eur", nl.fmt_eur))):
    diff = last[value][0] - last_base[value][0]
    col.metric(f"{label} {end_year}", fmt(last[value][0]),
               delta=nl.signed_difference(diff, fmt) + " t.o.v. standaard" if round(diff) else None,
               delta_color="off", help=None if round(diff) else "Gelijk aan het standaardscenario.")

FORMULA = (
    "**Rekenregel (ook in `pipelines/hbh_monitor/forecast.py`):** per wijk, leeftijdsgroep en jaar\n\n"
    "- cliënten = verwacht (gebruik van het basisjaar × prognose inwoners) + extra deel (huidig gebruik boven "
    "het basisjaar × prognose inwoners) × (1 − verdwijnend deel vanaf het gekozen jaar);\n"
    "- uren = cliënten × gedeclareerde uren per cliënt (gemeente en leeftijdsgroep, laatste jaar) × "
    "(1 − deel dat naar eens per twee weken gaat × aandeel wekelijkse uren × 0,5);\n"
    "- tarief = gemiddeld tarief per uur in het laatste jaar × (1 + stijging)^(jaren na het laatste jaar) × "
    "(1 + tariefstap vanaf het stapjaar); kosten = uren × tarief.\n\n"
    f"Het huidige gebruik is het gemiddelde van de laatste 3 waargenomen jaren (t/m {fit_year}), per wijk "
    "gladgestreken (gemeentelijk gebruik per leeftijdsgroep × wijkfactor). Uren en kosten gaan over zorg in "
    "natura (pgb wordt niet bij de gemeente gedeclareerd). Prognosecijfers zijn verwachtingen, geen tellingen."
)


def chart(measure: str, hist_col: str, label: str, fmt: str, key: str) -> None:
    fig = go.Figure()
    fig.add_scatter(x=hist["year"].to_list(), y=hist[hist_col].to_list(), name="Waargenomen", mode="lines+markers",
                    line_color="#4e79a7")
    # the scenario first, the dotted standard on top: while they are equal, both stay visible
    fig.add_scatter(x=res["year"].to_list(), y=res[measure].to_list(), name="Prognose scenario",
                    mode="lines+markers", line=dict(color="#e15759", width=3))
    fig.add_scatter(x=base["year"].to_list(), y=base[measure].to_list(), name="Prognose standaard",
                    mode="lines+markers", line=dict(color="#555", dash="dot"), marker_size=5)
    fig.update_layout(yaxis_title=label, xaxis_title=None)
    fig.update_traces(hovertemplate="%{x}: %{y:" + fmt + "}<extra>%{fullData.name}</extra>")
    charts.style_figure(fig, y_format=fmt)
    data = pl.concat([
        hist.select(pl.col("year").alias("Jaar"), pl.lit("Waargenomen").alias("Reeks"),
                    pl.col(hist_col).cast(pl.Float64).round(0).alias(label)),
        base.select(pl.col("year").alias("Jaar"), pl.lit("Prognose standaard").alias("Reeks"),
                    pl.col(measure).round(0).alias(label)),
        res.select(pl.col("year").alias("Jaar"), pl.lit("Prognose scenario").alias("Reeks"),
                   pl.col(measure).round(0).alias(label)),
    ], how="vertical_relaxed")
    settings_txt = (f"extra groei weg: {removed}% vanaf {eb_year}; naar eens per twee weken: {shift}%; "
                    f"tariefstijging {growth:.1f}%/jaar; tariefstap {step}% in {default.tariff_step_year}")
    charts.show_chart(fig, data, name=f"prognose-{key}-{name}-{SB.B.scenario_code(scenario, default)}", key=f"prognose_{key}", tables=TABLES,
                      title=f"Prognose {label.lower()}", filters=f"{name}; {settings_txt}", extra=FORMULA)


st.subheader(f"Cliënten · {name}")
chart("clients", "clients", "Cliënten", ",.0f", "clienten")
if hist["_partial"].any():
    st.caption(f"Waargenomen jaren met afgeschermde aantallen zijn een ondergrens.")
st.subheader(f"Kosten · {name}")
chart("cost_eur", "cost_eur", "Kosten (€)", ",.0f", "kosten")
st.subheader(f"Gedeclareerde uren · {name}")
chart("hours", "declared_hours", "Uren", ",.0f", "uren")

SB.budget_section(fc, scen_rows, scenario, default, code)

# --- Backtest -----------------------------------------------------------------------------------------------
if backtest is not None and backtest.height:
    st.subheader("Hoe goed voorspelt deze methode? (terugtoets)")
    bt = backtest.unique(["level", "gemeente_code"], keep="first").sort("level", "gemeente_name", descending=[True, False])
    shown = bt.select(
        pl.coalesce(pl.col("gemeente_name"), pl.lit(nl.REGIO_NAME)).alias("Gemeente"),
        pl.col("fit_year").alias("Geschat t/m"),
        (pl.col("mape_clients") * 100).round(1).alias("Fout cliënten (%)"),
        (pl.col("mape_hours") * 100).round(1).alias("Fout uren (%)"),
        (pl.col("mape_cost") * 100).round(1).alias("Fout kosten (%)"),
    )
    st.dataframe(shown, hide_index=True, column_config={
        **tables.localized_numbers(shown), "Geschat t/m": st.column_config.NumberColumn("Geschat t/m", format=tables.YEAR_FORMAT)})
    exports.download_buttons(shown, name="prognose-terugtoets", key="prognose_backtest",
                             title="Terugtoets van de prognosemethode", filters="alle gemeenten")
    layout.how_calculated(["marts.forecast_backtest"],
                          "Fout = gemiddelde absolute afwijking in procenten (MAPE) over de drie voorspelde jaren.")
