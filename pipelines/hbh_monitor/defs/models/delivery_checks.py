"""Checks on the delivery marts (unmet demand, time to start, waiting list, stops, herindicaties)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from hbh_monitor.defs.models.checks import one_row


@dg.asset_check(asset=dg.AssetKey(["marts", "unmet_demand"]), blocking=True,
                description="Indicated hours are the ZIN indicaties' hours (per year, to 0.01 h), none negative, "
                            "and every declared hour is attributed to a wijk and aanbieder.")
def unmet_demand_adds_up(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    differ, negative, lost = one_row(
        duckdb,
        """WITH y AS (SELECT range AS year FROM staging.data_period, range(year(data_from), year(data_to) + 1)),
                b AS (SELECT y.year, greatest(make_date(y.year, 1, 1), date_trunc('month', p.data_from)::DATE) AS lo,
                             least(make_date(y.year, 12, 31), last_day(p.data_to)) AS hi FROM y, staging.data_period p),
                ind AS (SELECT b.year, sum(i.hours_per_week * (date_diff('day', greatest(i.start_date, b.lo),
                          least(coalesce(i.end_date, DATE '9999-12-31'), b.hi)) + 1) / 7.0) AS h
                        FROM staging.indicaties i JOIN b ON i.start_date <= b.hi
                         AND coalesce(i.end_date, DATE '9999-12-31') >= b.lo
                        WHERE i.leveringsvorm = 'ZIN' GROUP BY ALL),
                m AS (SELECT year, sum(indicated_hours) AS h FROM marts.unmet_demand GROUP BY ALL)
           SELECT (SELECT count(*) FROM ind FULL JOIN m USING (year) WHERE abs(coalesce(ind.h, 0) - coalesce(m.h, 0)) > 0.01),
                  (SELECT count(*) FROM marts.unmet_demand WHERE indicated_hours < 0),
                  (SELECT count(*) FROM marts.unmet_demand WHERE wijk_code IS NULL OR aanbieder_agb IS NULL)""",
    )
    return dg.AssetCheckResult(passed=differ == 0 and negative == 0 and lost == 0,
                               metadata={"years_that_differ": differ, "negative_cells": negative,
                                         "cells_without_wijk_or_aanbieder": lost})


@dg.asset_check(asset=dg.AssetKey(["marts", "budget_risk"]), blocking=False,
                description="Every observed gemeente-year has a budget (reference data delivered).")
def budget_present(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    missing, total = one_row(duckdb, "SELECT count(*) FILTER (WHERE budget_eur IS NULL), count(*) FROM marts.budget_risk WHERE bron = 'waarneming'")
    return dg.AssetCheckResult(passed=missing == 0, metadata={"gemeente_years_without_budget": missing, "gemeente_years": total})


@dg.asset_check(asset=dg.AssetKey(["marts", "time_to_start"]), blocking=False,
                description="No care starts before its toewijzing, and the starts in the mart are all new ZIN toewijzingen started in the period.")
def starts_after_toewijzing(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    before, in_mart, expected, unmatched = one_row(
        duckdb,
        """SELECT (SELECT count(*) FROM staging.toewijzingen WHERE days_to_start < 0),
                  (SELECT coalesce(sum(starts), 0) FROM marts.time_to_start),
                  (SELECT count(*) FROM staging.toewijzingen WHERE is_new_request AND care_start_date
                     BETWEEN (SELECT data_from FROM staging.data_period) AND (SELECT data_to FROM staging.data_period)),
                  (SELECT count(*) FROM staging.zorgstarts s WHERE NOT EXISTS (SELECT 1 FROM staging.indicaties i
                     WHERE i.gemeente_code = s.gemeente_code AND i.toewijzing_nummer = s.toewijzing_nummer))""",
    )
    return dg.AssetCheckResult(passed=before == 0 and in_mart == expected,
                               metadata={"starts_before_toewijzing": before, "starts_in_mart": int(in_mart),
                                         "new_starts": expected, "starts_without_known_toewijzing": unmatched})


@dg.asset_check(asset=dg.AssetKey(["marts", "herindicaties"]), blocking=True,
                description="Every herindicatie has the hours of the toewijzing it replaces; lowered + raised ≤ herindicaties.")
def herindicaties_complete(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    no_before, bad = one_row(
        duckdb,
        """SELECT count(*) FILTER (WHERE hours_per_week_before IS NULL),
                  count(*) FILTER (WHERE lowered + raised > herindicaties)
           FROM marts.herindicaties""",
    )
    return dg.AssetCheckResult(passed=no_before == 0 and bad == 0,
                               metadata={"rows_without_hours_before": no_before, "rows_inconsistent": bad})


@dg.asset_check(asset=dg.AssetKey(["marts", "indication_durations"]), blocking=True,
                description="The duration classes add up to every indicatie that started in the data period.")
def durations_add_up(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    in_mart, expected = one_row(
        duckdb,
        """SELECT (SELECT coalesce(sum(indications), 0) FROM marts.indication_durations),
                  (SELECT count(*) FROM staging.indicaties WHERE year(start_date) BETWEEN
                     (SELECT year(data_from) FROM staging.data_period) AND (SELECT year(data_to) FROM staging.data_period))""",
    )
    return dg.AssetCheckResult(passed=in_mart == expected, metadata={"in_mart": int(in_mart), "expected": expected})


delivery_checks = [unmet_demand_adds_up, budget_present, starts_after_toewijzing, herindicaties_complete,
                   durations_add_up]
