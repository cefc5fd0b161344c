"""Checks on the marts: consistency that must hold before anything is published."""

import dagster as dg
from dagster_duckdb import DuckDBResource


def one_row(duckdb: DuckDBResource, sql: str):
    """The first row of ``sql`` on the working database (the checks here and in delivery_checks)."""
    with duckdb.get_connection() as con:
        return con.execute(sql).fetchall()[0]


@dg.asset_check(asset=dg.AssetKey(["marts", "wijk_year"]), blocking=True,
                description="Every client-year is counted in exactly one known wijk.")
def every_client_in_a_known_wijk(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    client_years, in_mart, unknown = one_row(
        duckdb,
        """SELECT (SELECT count(*) FROM staging.client_years),
                  (SELECT coalesce(sum(clients), 0) FROM marts.wijk_year),
                  (SELECT count(*) FROM staging.client_years WHERE wijk_code NOT IN (SELECT wijk_code FROM staging.wijken))""",
    )
    return dg.AssetCheckResult(
        passed=bool(client_years == in_mart and unknown == 0),
        metadata={"client_years": client_years, "clients_in_mart": int(in_mart), "unknown_wijk": unknown},
    )


@dg.asset_check(asset=dg.AssetKey(["marts", "wijk_year"]), blocking=True,
                description="Rates are plausible: 0 ≤ clients per 1,000 inhabitants ≤ 1,000, and every wijk-year with "
                            "clients has its population (else the gemeente's rate would count those clients over "
                            "too few inhabitants).")
def rates_plausible(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    bad_rate, no_pop, missing = one_row(
        duckdb,
        """SELECT count(*) FILTER (WHERE clients_per_1000 < 0 OR clients_per_1000 > 1000),
                  count(*) FILTER (WHERE inhabitants IS NULL AND clients > 0),
                  coalesce(string_agg(DISTINCT 'bevolking ' || wijk_code || ' ' || year, ', ' ORDER BY 'bevolking ' || wijk_code || ' ' || year)
                           FILTER (WHERE inhabitants IS NULL AND clients > 0), '-')
           FROM marts.wijk_year""",
    )
    return dg.AssetCheckResult(passed=bad_rate == 0 and no_pop == 0,
                               metadata={"implausible_rates": bad_rate, "wijk_years_with_clients_without_population": no_pop,
                                         "missing_inputs": missing[:1000]})


@dg.asset_check(asset=dg.AssetKey(["marts", "age_year"]), blocking=True,
                description="The age bands add up to the gemeente's clients (staging.client_years).")
def age_bands_add_up(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    (diff,) = one_row(
        duckdb,
        """SELECT count(*) FROM (SELECT gemeente_code, year, sum(clients) AS c FROM marts.age_year GROUP BY ALL) a
           FULL JOIN (SELECT gemeente_code, year, count(*) AS c FROM staging.client_years GROUP BY ALL) g
             USING (gemeente_code, year)
           WHERE coalesce(a.c, 0) <> coalesce(g.c, 0)""",
    )
    return dg.AssetCheckResult(passed=diff == 0, metadata={"gemeente_years_that_differ": diff})


@dg.asset_check(asset=dg.AssetKey(["staging", "declaraties"]), blocking=True,
                additional_deps=[dg.AssetKey(["staging", "producten"])],
                description="Every declared line has the contracted tariff of its product, gemeente and year "
                            "(staging.producten); without it its cost would count as nothing in every cost figure.")
def every_declaration_has_a_tariff(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    lines, missing = one_row(
        duckdb,
        """SELECT count(*), coalesce(string_agg(DISTINCT 'tarief ' || gemeente_code || ' ' || product_code || ' ' || year, ', '
                                                ORDER BY 'tarief ' || gemeente_code || ' ' || product_code || ' ' || year), '-')
           FROM staging.declaraties WHERE tariff_per_hour IS NULL""",
    )
    return dg.AssetCheckResult(passed=lines == 0, metadata={"lines_without_tariff": lines, "missing_inputs": missing[:1000]})


model_checks = [every_client_in_a_known_wijk, rates_plausible, age_bands_add_up, every_declaration_has_a_tariff]


# --- analytics marts ------------------------------------------------------------------------------

BACKTEST_MAPE_BOUND = 0.10  # clients: mean absolute percentage error per gemeente must stay below 10%


@dg.asset_check(asset=dg.AssetKey(["marts", "suction_decomposition"]), blocking=True,
                description="Demographic + excess growth = total growth on every row; the interval holds the estimate.")
def suction_decomposition_adds_up(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    bad, rows = one_row(
        duckdb,
        """SELECT count(*) FILTER (WHERE abs(demographic_growth + excess_growth - total_growth) > 1e-9
                                  OR NOT (excess_growth BETWEEN excess_growth_low AND excess_growth_high)),
                  count(*)
           FROM marts.suction_decomposition WHERE clients_baseline > 0""",
    )
    # no rows only when the baseline year lies outside the data period: nothing to decompose, not an error
    return dg.AssetCheckResult(passed=bad == 0, metadata={"rows_that_do_not_add_up": bad, "rows": rows})


@dg.asset_check(asset=dg.AssetKey(["marts", "wijk_month"]), blocking=True,
                additional_deps=[dg.AssetKey(["marts", "wijk_year"])],
                description="The months add up to marts.wijk_year (indicated and declared hours, cost).")
def wijk_month_adds_up_to_year(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    (diff,) = one_row(
        duckdb,
        """SELECT count(*) FROM (SELECT wijk_code, year, sum(indicated_hours) AS ih, sum(declared_hours) AS dh,
                                        sum(cost_eur) AS c FROM marts.wijk_month GROUP BY ALL) m
           FULL JOIN marts.wijk_year y USING (wijk_code, year)
           WHERE abs(coalesce(m.ih, 0) - coalesce(y.indicated_hours, 0)) > 1e-6
              OR abs(coalesce(m.dh, 0) - coalesce(y.declared_hours, 0)) > 1e-6
              OR abs(coalesce(m.c, 0) - coalesce(y.cost_eur, 0)) > 1e-4""",
    )
    return dg.AssetCheckResult(passed=diff == 0, metadata={"wijk_years_that_differ": diff})


@dg.asset_check(asset=dg.AssetKey(["marts", "wijk_year_detail"]), blocking=True,
                additional_deps=[dg.AssetKey(["marts", "wijk_year"])],
                description="Product-mix shares of indicated hours add up to 1; clients equal marts.wijk_year.")
def product_mix_shares_sum_to_one(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    bad_share, bad_clients = one_row(
        duckdb,
        """SELECT count(*) FILTER (WHERE d.indicated_hours > 0
                                   AND abs(d.share_hours_weekly + d.share_hours_biweekly + d.share_hours_maatwerk - 1) > 1e-9),
                  count(*) FILTER (WHERE d.clients <> y.clients)
           FROM marts.wijk_year_detail d JOIN marts.wijk_year y USING (wijk_code, year)""",
    )
    return dg.AssetCheckResult(passed=bad_share == 0 and bad_clients == 0,
                               metadata={"shares_not_summing_to_1": bad_share, "clients_differ": bad_clients})


@dg.asset_check(asset=dg.AssetKey(["marts", "aanbieder_wijk_year"]), blocking=True,
                description="Market shares of the aanbieders in a wijk add up to 1 (wijk-years with declared hours).")
def market_shares_sum_to_one(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    (bad,) = one_row(
        duckdb,
        """SELECT count(*) FROM (SELECT wijk_code, year, sum(market_share) AS s, sum(declared_hours) AS h
                                FROM marts.aanbieder_wijk_year GROUP BY ALL)
           WHERE h <> 0 AND abs(s - 1) > 1e-9""",
    )
    return dg.AssetCheckResult(passed=bad == 0, metadata={"wijk_years_not_summing_to_1": bad})


@dg.asset_check(asset=dg.AssetKey(["marts", "forecast"]), blocking=False,  # a missing projection must not hold back the rest
                description="The forecast has every wijk × age band × year up to at least 2030, without gaps.")
def forecast_complete_to_2030(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    missing, last_year, negative = one_row(
        duckdb,
        """WITH yrs AS (SELECT range AS year FROM range((SELECT min(year) FROM marts.forecast),
                                                     greatest(2030, (SELECT max(year) FROM marts.forecast)) + 1)),
                grid AS (SELECT w.wijk_code, b.age_band, y.year FROM staging.wijken w
                         CROSS JOIN (SELECT unnest(['0-64', '65-74', '75-84', '85+']) AS age_band) b CROSS JOIN yrs y)
           SELECT (SELECT count(*) FROM grid g ANTI JOIN marts.forecast f USING (wijk_code, age_band, year)),
                  (SELECT max(year) FROM marts.forecast),
                  (SELECT count(*) FROM marts.forecast WHERE forecast_clients < 0 OR forecast_cost_eur < 0)""",
    )
    return dg.AssetCheckResult(passed=missing == 0 and (last_year or 0) >= 2030 and negative == 0,
                               metadata={"missing_cells": missing, "last_year": int(last_year or 0), "negative": negative})


@dg.asset_check(asset=dg.AssetKey(["marts", "forecast_backtest"]), blocking=False,
                description=f"Backtest (fit up to Y−3, predict Y−2..Y): clients MAPE per gemeente below {BACKTEST_MAPE_BOUND:.0%}.")
def forecast_backtest_error_bounded(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    worst, region, rows = one_row(
        duckdb,
        """SELECT max(mape_clients) FILTER (WHERE level = 'gemeente'), max(mape_clients) FILTER (WHERE level = 'regio'),
                  count(*) FROM marts.forecast_backtest""",
    )
    return dg.AssetCheckResult(
        passed=rows == 0 or (worst is not None and worst < BACKTEST_MAPE_BOUND),
        metadata={"worst_gemeente_mape_clients": float(worst or 0), "region_mape_clients": float(region or 0), "rows": rows},
    )


model_checks += [suction_decomposition_adds_up, wijk_month_adds_up_to_year, product_mix_shares_sum_to_one,
                 market_shares_sum_to_one, forecast_complete_to_2030, forecast_backtest_error_bounded]
