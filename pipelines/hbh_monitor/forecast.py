"""The forecast's scenario formula, in one place for the tests and the dashboards (no Dagster import).

``marts.forecast`` holds the components per wijk × age band × year (``clients_expected``: demography
with the baseline year's usage; ``clients_excess``: the part of today's usage above the baseline;
``hours_per_client``; ``weekly_hours_share``; ``tariff_per_hour`` in ``fit_year``) and
``marts.forecast_scenarios`` the default value of every scenario parameter. :func:`apply` recomputes
any scenario exactly as the mart's default columns were computed in SQL (``sql/marts/forecast.sql``):

    clients  = clients_expected + clients_excess × (1 − excess_removed_share × [year ≥ eigen_bijdrage_year])
    hours    = clients × hours_per_client × (1 − biweekly_shift_share × weekly_hours_share × 0.5)
    tariff   = tariff_per_hour × (1 + tariff_growth)^(year − fit_year)
               × (1 + tariff_step × [year ≥ tariff_step_year and tariff_step_year > fit_year])
    cost_eur = hours × tariff
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Iterable, Mapping

import polars as pl


@dataclass(frozen=True)
class Scenario:
    """Scenario parameters (names as in marts.forecast_scenarios.parameter)."""

    # share of the abonnementstarief excess gone from eigen_bijdrage_year; 0.5 only when no income distribution is
    # known (the published default comes from marts.eigen_bijdrage_scenario)
    excess_removed_share: float = 0.5
    eigen_bijdrage_year: int = 2027  # first year of the income-dependent eigen bijdrage
    biweekly_shift_share: float = 0.0  # share of weekly clients moving to help every other week
    tariff_growth: float = 0.03  # yearly tariff growth
    tariff_step: float = 0.10  # one-off tariff step (reële tarieven, CAO)
    tariff_step_year: int = 2026

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping] | pl.DataFrame, **overrides) -> "Scenario":
        """The defaults published in marts.forecast_scenarios (rows with parameter, default_value)."""
        if isinstance(rows, pl.DataFrame):
            rows = rows.iter_rows(named=True)
        values = {r["parameter"]: r["default_value"] for r in rows}
        kw = {}
        for f in fields(cls):
            if f.name in values and values[f.name] is not None:
                kw[f.name] = int(round(values[f.name])) if f.type in (int, "int") else float(values[f.name])
        return replace(cls(**kw), **overrides)

    def as_dict(self) -> dict:
        return asdict(self)


COMPONENTS = ("year", "fit_year", "clients_expected", "clients_excess", "hours_per_client",
              "weekly_hours_share", "tariff_per_hour")


def apply(components: pl.DataFrame, scenario: Scenario) -> pl.DataFrame:
    """Add ``clients``, ``hours``, ``tariff`` and ``cost_eur`` for ``scenario`` to the rows of marts.forecast."""
    s = scenario
    missing = [c for c in COMPONENTS if c not in components.columns]
    if missing:
        raise ValueError(f"components lack {missing}")
    eb = (pl.col("year") >= s.eigen_bijdrage_year).cast(pl.Float64)
    step = ((pl.col("year") >= s.tariff_step_year) & (pl.lit(s.tariff_step_year) > pl.col("fit_year"))).cast(pl.Float64)
    return components.with_columns(
        clients=pl.col("clients_expected") + pl.col("clients_excess") * (1 - s.excess_removed_share * eb),
    ).with_columns(
        hours=pl.col("clients") * pl.col("hours_per_client")
        * (1 - s.biweekly_shift_share * pl.col("weekly_hours_share") * 0.5),
        tariff=pl.col("tariff_per_hour") * (1 + s.tariff_growth) ** (pl.col("year") - pl.col("fit_year")).cast(pl.Float64)
        * (1 + s.tariff_step * step),
    ).with_columns(cost_eur=pl.col("hours") * pl.col("tariff"))


def totals(result: pl.DataFrame, by: Iterable[str] = ("year",)) -> pl.DataFrame:
    """Sum a scenario result (from :func:`apply`) over wijken/age bands, e.g. per gemeente and year."""
    by = list(by)
    return (
        result.group_by(by)
        .agg(pl.col("clients").sum(), pl.col("clients_expected").sum(), pl.col("clients_excess").sum(),
             pl.col("hours").sum(), pl.col("cost_eur").sum())
        .sort(by)
    )
