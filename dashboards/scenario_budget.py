"""Scenario → budget, a section of the Prognose page: what the standard scenario assumes (with a way back
to it), and the cost under the chosen scenario against the budget per year, the gap and "extra budget
nodig in jaar X" with its band. The rules are hbh_monitor.budget (the same as marts.budget_scenario for the
standard scenario). Every download carries the scenario: in its file name and on a sheet 'Scenario'."""

from __future__ import annotations

import io

import openpyxl
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from hbh_monitor import budget as B
from hbh_monitor import forecast as F

from dashboards import charts, exports, layout, snapshot, tables
from dashboards import formatting as nl

# The Prognose page's scenario widgets: removed from the session state to return to the standard scenario.
SCENARIO_KEYS = ("prognose_eb", "prognose_eb_jaar", "prognose_tweewekelijks", "prognose_tariefgroei",
                 "prognose_tariefstap")
_SHARES = ("excess_removed_share", "biweekly_shift_share", "tariff_growth", "tariff_step")


def _basis(scen_rows: pl.DataFrame) -> dict[str, str]:
    if "basis" not in scen_rows.columns:
        return {}
    return {r["parameter"]: r["basis"] for r in scen_rows.iter_rows(named=True) if r["basis"]}


def _reset() -> None:
    for k in SCENARIO_KEYS:
        st.session_state.pop(k, None)


def _value(name: str, v: float) -> str:
    return nl.fmt_pct(v, 1) if name in _SHARES else str(int(v))


def standard_note(scen_rows: pl.DataFrame, default: F.Scenario, scenario: F.Scenario) -> None:
    """What the standard scenario assumes, where each value comes from, and a button back to it."""
    basis = _basis(scen_rows)
    lines = [f"- {B.SCENARIO_LABELS[k]}: **{_value(k, v)}**" + (f" ({basis[k]})" if basis.get(k) else "")
             for k, v in default.as_dict().items()]
    with st.container(border=True):
        st.markdown("**Het standaardscenario gaat uit van:**\n\n" + "\n".join(lines))
        if scenario == default:
            st.caption("U kijkt naar het standaardscenario.")
        else:
            st.caption("U kijkt naar een eigen scenario: de instellingen wijken af van de standaard.")
        st.button("Terug naar het standaardscenario", key="prognose_terug_standaard", on_click=_reset,
                  disabled=scenario == default, icon=":material/restart_alt:")


def download_with_scenario(df: pl.DataFrame, *, name: str, key: str, title: str, filters: str,
                           scenario: F.Scenario, default: F.Scenario, basis: dict[str, str]) -> None:
    """CSV and Excel of ``df`` with the scenario in the file name; the workbook adds a sheet 'Scenario'."""
    code = B.scenario_code(scenario, default)
    base = ("DEMO_" if snapshot.is_demo() else "") + "hbh_" + nl.slug(f"{name}-{code}")
    settings = B.scenario_rows(scenario, default, basis)
    provenance = exports.provenance_rows(title, filters) + [("Scenario", "; ".join(f"{k}: {v}" for k, v in settings))]

    def workbook() -> bytes:
        wb = openpyxl.load_workbook(io.BytesIO(exports.to_excel_bytes(df, provenance=provenance)))
        ws = wb.create_sheet("Scenario")
        ws.append(["Instelling", "Waarde"])
        for row in settings:
            ws.append(list(row))
        ws.column_dimensions["A"].width = 70
        ws.column_dimensions["B"].width = 110
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    row = st.container(horizontal=True)
    with row:
        st.download_button("CSV", data=exports.to_csv_bytes(df), file_name=f"{base}.csv", mime="text/csv",
                           key=f"{key}_csv", on_click="ignore", icon=":material/download:",
                           help="Puntkomma-gescheiden, decimale komma; het scenario staat in de bestandsnaam")
        st.download_button("Excel", data=workbook, file_name=f"{base}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key=f"{key}_xlsx", on_click="ignore", icon=":material/download:",
                           help="Met een tabblad 'Scenario' met alle instellingen")


def budget_section(fc: pl.DataFrame, scen_rows: pl.DataFrame, scenario: F.Scenario, default: F.Scenario,
                   code: str) -> None:
    """Cost under ``scenario`` against the budget of the chosen gemeente (or the regio), per forecast year."""
    budget = snapshot.load_optional("marts.budget_scenario")
    if budget is None or budget.is_empty():
        return
    view = B.budget_view(fc, scenario, budget)
    std = B.budget_view(fc, default, budget)
    sel = (pl.col("level") == "regio") if code == nl.REGIO else (pl.col("gemeente_code") == code)
    view, std = view.filter(sel).sort("year"), std.filter(sel).sort("year")
    if view.is_empty():
        return
    name = view["gemeente_name"][0] if code != nl.REGIO else nl.REGIO_NAME
    st.subheader(f"Begroting: kosten tegenover het budget · {name}")
    st.caption("Het budget en de kosten gelden voor de hele gemeente (of de regio), ook als hierboven een wijk "
               "is gekozen.")
    years = view["year"].to_list()
    year = st.selectbox("Extra budget nodig in jaar", years, index=0, key="prognose_budget_jaar", format_func=str)
    r = view.filter(pl.col("year") == year).row(0, named=True)
    s = std.filter(pl.col("year") == year).row(0, named=True)
    m1, m2, m3 = st.columns(3)
    m1.metric(f"Extra budget nodig in {year}", nl.fmt_eur(r["extra_budget_eur"]),
              help="Kosten in het scenario − budget, als dat positief is (anders € 0).")
    m2.metric("Bandbreedte (80%)", f"{nl.fmt_eur(r['extra_budget_low_eur'])} – {nl.fmt_eur(r['extra_budget_high_eur'])}",
              help="De bandbreedte van de kostenprognose (pagina Prognose met bandbreedte): de kosten vallen met "
                   "80% kans tussen de onder- en bovengrens, volgens de terugtoets; voor latere jaren breder.")
    diff = r["extra_budget_eur"] - s["extra_budget_eur"]
    m3.metric("Standaardscenario", nl.fmt_eur(s["extra_budget_eur"]),
              delta=nl.signed_difference(diff, nl.fmt_eur) + " door dit scenario" if round(diff) else None,
              delta_color="off")
    basis = r["budget_basis"]
    st.markdown(
        f"In **{year}** kost hulp bij het huishouden in {name} naar verwachting **{nl.fmt_eur(r['cost_eur'])}** "
        f"(band {nl.fmt_eur(r['cost_low_eur'])} – {nl.fmt_eur(r['cost_high_eur'])}); het budget is "
        f"**{nl.fmt_eur(r['budget_eur'])}** ({'uit de begroting' if basis == 'begroting' else 'doorgetrokken: geen begroting voor dit jaar'}). "
        f"Extra budget nodig: **{nl.fmt_eur(r['extra_budget_eur'])}** "
        f"(band {nl.fmt_eur(r['extra_budget_low_eur'])} – {nl.fmt_eur(r['extra_budget_high_eur'])})."
    )

    fig = go.Figure()
    fig.add_bar(x=years, y=view["budget_eur"].to_list(), name="Budget", marker_color="#bab0ac",
                marker_pattern_shape=["" if b == "begroting" else "/" for b in view["budget_basis"].to_list()])
    fig.add_scatter(x=years, y=view["cost_eur"].to_list(), name="Kosten scenario", mode="lines+markers",
                    line=dict(color="#e15759", width=3),
                    error_y=dict(type="data", symmetric=False,
                                 array=(view["cost_high_eur"] - view["cost_eur"]).to_list(),
                                 arrayminus=(view["cost_eur"] - view["cost_low_eur"]).to_list()))
    fig.add_scatter(x=years, y=std["cost_eur"].to_list(), name="Kosten standaard", mode="lines+markers",
                    line=dict(color="#555", dash="dot"), marker_size=5)
    fig.update_traces(hovertemplate="%{x}: € %{y:,.0f}<extra>%{fullData.name}</extra>")
    charts.style_figure(fig, y_format=",.0f")
    charts.plot(fig, key="prognose_budget_chart", title="Kosten tegenover budget",
                alt="Kosten tegenover budget per jaar: budget (staven), kosten in het scenario en in het standaardscenario.")
    st.caption("Gearceerde staven: budget doorgetrokken (geen begroting voor dat jaar). Streepjes: bandbreedte van de kosten.")

    shown = view.select(
        pl.col("year").alias("Jaar"),
        pl.col("cost_eur").round(0).alias("Kosten scenario (€)"),
        pl.col("budget_eur").round(0).alias("Budget (€)"),
        pl.col("budget_basis").alias("Budget volgens"),
        pl.col("gap_eur").round(0).alias("Tekort (€)"),
        pl.col("extra_budget_eur").round(0).alias("Extra budget nodig (€)"),
        pl.col("extra_budget_low_eur").round(0).alias("Extra budget laag (€)"),
        pl.col("extra_budget_high_eur").round(0).alias("Extra budget hoog (€)"),
    )
    st.dataframe(shown, hide_index=True, column_config=tables.localized_numbers(shown))
    download_with_scenario(shown, name=f"begroting-{name}", key="prognose_budget", title="Kosten tegenover het budget",
                           filters=name, scenario=scenario, default=default, basis=_basis(scen_rows))
    layout.how_calculated(["marts.budget_scenario", "marts.forecast_scenarios"],
                          "Met een eigen scenario rekent het dashboard de kosten opnieuw uit met dezelfde rekenregel "
                          "(`pipelines/hbh_monitor/budget.py`); het budget en de bandbreedte blijven gelijk.")
