"""Checks on the marts: consistency that must hold before anything is published."""

import dagster as dg
from dagster_duckdb import DuckDBResource


def _one(duckdb: DuckDBResource, sql: str):
    with duckdb.get_connection() as con:
        return con.execute(sql).fetchall()[0]


@dg.asset_check(asset=dg.AssetKey(["marts", "wijk_year"]), blocking=True,
                description="Every client-year is counted in exactly one known wijk.")
def every_client_in_a_known_wijk(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    client_years, in_mart, unknown = _one(
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
                description="Rates are plausible: 0 ≤ clients per 1,000 inhabitants ≤ 1,000, population present.")
def rates_plausible(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    bad_rate, no_pop = _one(
        duckdb,
        """SELECT count(*) FILTER (WHERE clients_per_1000 < 0 OR clients_per_1000 > 1000),
                  count(*) FILTER (WHERE inhabitants IS NULL)
           FROM marts.wijk_year""",
    )
    return dg.AssetCheckResult(passed=bad_rate == 0, metadata={"implausible_rates": bad_rate, "wijk_years_without_population": no_pop})


@dg.asset_check(asset=dg.AssetKey(["marts", "age_year"]), blocking=True,
                description="The age bands add up to the gemeente's clients (staging.client_years).")
def age_bands_add_up(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    (diff,) = _one(
        duckdb,
        """SELECT count(*) FROM (SELECT gemeente_code, year, sum(clients) AS c FROM marts.age_year GROUP BY ALL) a
           FULL JOIN (SELECT gemeente_code, year, count(*) AS c FROM staging.client_years GROUP BY ALL) g
             USING (gemeente_code, year)
           WHERE coalesce(a.c, 0) <> coalesce(g.c, 0)""",
    )
    return dg.AssetCheckResult(passed=diff == 0, metadata={"gemeente_years_that_differ": diff})


model_checks = [every_client_in_a_known_wijk, rates_plausible, age_bands_add_up]
