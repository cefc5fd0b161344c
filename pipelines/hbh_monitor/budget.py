"""Scenario → budget: the forecast cost of any scenario against the budget, per gemeente and regio and year,
with the gap, the extra budget needed and its band. The same rules as ``sql/marts/budget_scenario.sql``
(which holds them for the standard scenario); no Dagster import, so the dashboards use it too.

    cost      = Σ of hbh_monitor.forecast.apply(marts.forecast, scenario).cost_eur (per gemeente; regio: sum)
    budget    = marts.budget_scenario.budget_eur (does not depend on the scenario)
    band      = marts.budget_scenario.band_low_ratio / band_high_ratio (the 80% band of marts.forecast_bands)
    gap       = cost − budget;  extra budget = max(gap, 0);  low/high: cost × band_low_ratio / band_high_ratio
"""

from __future__ import annotations

from dataclasses import asdict

import polars as pl

from hbh_monitor import forecast as F

SCENARIO_LABELS = {
    "excess_removed_share": "Deel van de extra groei dat verdwijnt door de inkomensafhankelijke eigen bijdrage",
    "eigen_bijdrage_year": "Vanaf jaar (inkomensafhankelijke eigen bijdrage)",
    "biweekly_shift_share": "Deel van de cliënten met wekelijkse hulp naar eens per twee weken",
    "tariff_growth": "Tariefstijging per jaar",
    "tariff_step": "Eenmalige tariefstap",
    "tariff_step_year": "Jaar van de tariefstap",
}
_SHARES = ("excess_removed_share", "biweekly_shift_share", "tariff_growth", "tariff_step")


def budget_view(components: pl.DataFrame, scenario: F.Scenario, budget: pl.DataFrame) -> pl.DataFrame:
    """Per level × gemeente × year: cost under ``scenario`` against the budget of ``budget``
    (rows of marts.budget_scenario), with gap, extra budget needed and the band."""
    cost = F.totals(F.apply(components, scenario), ("gemeente_code", "year")).select("gemeente_code", "year", "cost_eur")
    cost = pl.concat([
        cost.with_columns(level=pl.lit("gemeente")),
        cost.group_by("year").agg(pl.col("cost_eur").sum()).with_columns(
            level=pl.lit("regio"), gemeente_code=pl.lit(None, pl.String)),
    ], how="diagonal_relaxed")
    keep = ["level", "gemeente_code", "gemeente_name", "year", "fit_year", "budget_eur", "budget_basis", "band_low_ratio",
            "band_high_ratio"]
    out = budget.select(keep).join(cost, on=["level", "gemeente_code", "year"], how="left", nulls_equal=True)
    low = pl.col("cost_eur") * pl.col("band_low_ratio")
    high = pl.col("cost_eur") * pl.col("band_high_ratio")
    return out.with_columns(
        gap_eur=pl.col("cost_eur") - pl.col("budget_eur"),
        cost_low_eur=low, cost_high_eur=high,
        gap_low_eur=low - pl.col("budget_eur"), gap_high_eur=high - pl.col("budget_eur"),
    ).with_columns(
        extra_budget_eur=pl.max_horizontal(pl.col("gap_eur"), pl.lit(0.0)),
        extra_budget_low_eur=pl.max_horizontal(pl.col("gap_low_eur"), pl.lit(0.0)),
        extra_budget_high_eur=pl.max_horizontal(pl.col("gap_high_eur"), pl.lit(0.0)),
    ).sort("level", "gemeente_code", "year", nulls_last=True)


def scenario_code(scenario: F.Scenario, default: F.Scenario) -> str:
    """A short code for file names: 'standaard', or the settings that differ, e.g. 'eb50-2027_tw20_tg3.0_ts12'."""
    if scenario == default:
        return "standaardscenario"
    s = scenario
    return (f"scenario_eb{round(s.excess_removed_share * 100)}-{s.eigen_bijdrage_year}"
            f"_tw{round(s.biweekly_shift_share * 100)}_tg{s.tariff_growth * 100:.1f}"
            f"_ts{round(s.tariff_step * 100)}-{s.tariff_step_year}")


def scenario_rows(scenario: F.Scenario, default: F.Scenario, basis: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The settings as (name, value) rows for a download: each value, its standard value and where that comes from."""
    basis = basis or {}
    rows = [("Scenario", "standaardscenario" if scenario == default else "eigen scenario (afwijkend van de standaard)")]
    for name, value in asdict(scenario).items():
        std = getattr(default, name)
        show = (lambda v: f"{v * 100:.1f}%".replace(".", ",")) if name in _SHARES else (lambda v: str(int(v)))
        text = f"{show(value)} (standaard {show(std)}" + (f"; {basis[name]}" if basis.get(name) else "") + ")"
        rows.append((SCENARIO_LABELS.get(name, name), text))
    return rows
