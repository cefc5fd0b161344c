"""The analytics marts against independent computations from the raw landing files and the
generator's manifest (the planted truths): the abonnementstarief decomposition, age-specific rates,
months, leveringsvorm and product mix, the forecast with its scenario formula and backtest, and the
aanbieders per wijk.

The raw files are read with Python's csv module (helpers in tests/support.py), never with the
pipeline's SQL.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

import duckdb
import polars as pl
import pytest

from support import clean_rows, parse_date, parse_num

BANDS = ("0-64", "65-74", "75-84", "85+")
BASELINE = 2018  # HBH_BASELINE_YEAR is not set by the fixture: the default
END = date(9999, 12, 31)


def _band(birth: date, year: int) -> str:
    a = year - birth.year - (0 if (birth.month, birth.day) == (1, 1) else 1)
    return "0-64" if a < 65 else "65-74" if a < 75 else "75-84" if a < 85 else "85+"


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


@pytest.fixture(scope="module")
def raw(pipeline_run):
    """Everything the tests need, computed from the landing files without the pipeline."""
    run = pipeline_run
    wijk_gem = {r["wijk_code"]: r["gemeente_code"] for r in clean_rows(run, "wijken")}
    products = {}
    tariff = {}
    for r in clean_rows(run, "producten"):
        products[(r["gemeente_code"], r["product_code"], int(r["jaar"]))] = (r["productsoort"], int(r["frequentie_weken"]))
        tariff[(r["gemeente_code"], r["product_code"], int(r["jaar"]))] = parse_num(r["tarief_per_uur"])
    pop = defaultdict(dict)  # bron -> {(wijk, year, band): inhabitants}
    for r in clean_rows(run, "bevolking"):
        pop[r["bron"]][(r["wijk_code"], int(r["jaar"]), r["leeftijdsklasse"])] = int(r["inwoners"])
    ind = {}
    for r in clean_rows(run, "indicaties"):
        ind[(r["gemeente_code"], int(r["toewijzing_nummer"]))] = r
    decl = {}
    for r in clean_rows(run, "declaraties"):
        decl[(r["aanbieder_agb"], r["referentie_nummer"])] = r
    d_from = min(parse_date(r["begindatum"]) for r in decl.values())
    d_to = max(parse_date(r["einddatum"]) for r in decl.values())
    years = list(range(d_from.year, d_to.year + 1))

    # client-years: wijk of the latest-starting active indication, band by age on 1 January
    cy = {}
    kinds = defaultdict(set)  # (bsn, year) -> {"ZIN", "PGB", "weekly", "biweekly", "maatwerk"}
    aanb_clients = defaultdict(set)  # (wijk, agb, year) -> bsns
    months = {}  # (bsn, month index) -> (start, wijk)
    lo_m, hi_m = _month_index(d_from), _month_index(d_to)
    for r in ind.values():
        start, end = parse_date(r["ingangsdatum"]), parse_date(r["einddatum"]) or END
        birth = parse_date(r["geboortedatum"])
        latest = max((y for (g, p, y) in products if g == r["gemeente_code"] and p == r["product_code"]), default=None)
        soort, weeks = products.get((r["gemeente_code"], r["product_code"], latest), ("onbekend", 1))
        group = "maatwerk" if soort == "maatwerk" else "biweekly" if weeks >= 2 else "weekly"
        for y in years:
            if start <= date(y, 12, 31) and end >= date(y, 1, 1):
                key = (r["bsn"], y)
                if key not in cy or start > cy[key][0]:
                    cy[key] = (start, r["wijk_code"], _band(birth, y))
                kinds[key] |= {r["leveringsvorm"], group}
                if r["leveringsvorm"] == "ZIN":
                    aanb_clients[(r["wijk_code"], r["aanbieder_agb"], y)].add(r["bsn"])
        for m in range(max(_month_index(start), lo_m), min(_month_index(end), hi_m) + 1):
            k = (r["bsn"], m)
            if k not in months or start > months[k][0]:
                months[k] = (start, r["wijk_code"])
    cells = defaultdict(int)  # (wijk, year, band) -> clients
    detail = defaultdict(lambda: defaultdict(int))  # (wijk, year) -> counts
    for (bsn, y), (_, wijk, band) in cy.items():
        cells[(wijk, y, band)] += 1
        for k in kinds[(bsn, y)]:
            detail[(wijk, y)][k] += 1
    month_clients = defaultdict(int)
    month_new = defaultdict(int)
    month_ended = defaultdict(int)
    for (bsn, m), (_, wijk) in months.items():
        month_clients[(wijk, m)] += 1
        if m > lo_m and (bsn, m - 1) not in months:
            month_new[(wijk, m)] += 1
        if m < hi_m and (bsn, m + 1) not in months:
            month_ended[(wijk, m)] += 1
    aanb_hours = defaultdict(float)
    for r in decl.values():
        i = ind.get((r["gemeente_code"], int(r["toewijzing_nummer"])))
        if i is None:
            continue
        sign = -1 if r["debet_credit"] == "C" else 1
        h = sign * int(r["geleverd_volume"]) * (60 if r["eenheid"] == "04" else 1) / 60
        aanb_hours[(i["wijk_code"], r["aanbieder_agb"], parse_date(r["begindatum"]).year)] += h
    return {
        "wijk_gem": wijk_gem, "pop": pop, "cells": cells, "years": years, "detail": detail,
        "month_clients": month_clients, "month_new": month_new, "month_ended": month_ended,
        "lo_m": lo_m, "hi_m": hi_m, "aanb_clients": aanb_clients, "aanb_hours": aanb_hours,
    }


def _decompose(raw, wijken, bands, year):
    """The decomposition of domain.md, computed here from the raw cell counts."""
    obs = raw["pop"]["waarneming"]
    b = c = e = 0.0
    for w in wijken:
        for band in bands:
            b_c = raw["cells"].get((w, BASELINE, band), 0)
            p_b, p_y = obs.get((w, BASELINE, band), 0), obs.get((w, year, band), 0)
            b += b_c
            c += raw["cells"].get((w, year, band), 0)
            e += b_c * p_y / p_b if p_b else 0.0
    return {"clients_baseline": b, "clients": c, "expected": e, "demographic_growth": e / b - 1,
            "excess_growth": (c - e) / b, "total_growth": c / b - 1}


def _rows(con, sql, params=None):
    for p in params or []:  # only integers (years) are passed
        sql = sql.replace("?", str(int(p)), 1)
    return con.sql(sql).pl()


# --------------------------------------------------------------------------------------------------
# Abonnementstarief: suction decomposition
# --------------------------------------------------------------------------------------------------


def test_suction_recovers_the_planted_effect(pipeline_run, warehouse):
    """2018 → 2020 per gemeente and for the region: within 1 point of the planted truth."""
    truth = pipeline_run.manifest["abonnementstarief_effect"]
    mart = _rows(warehouse, "SELECT * FROM marts.suction_decomposition WHERE year = 2020 AND level IN ('gemeente', 'regio')")
    print("\nRecovered abonnementstarief effect 2018→2020 (mart vs planted):")
    for g, t in list(truth["per_gemeente"].items()) + [("regio", truth["region"])]:
        row = mart.filter(pl.col("level") == "regio") if g == "regio" else mart.filter(pl.col("gemeente_code") == g)
        assert row.height == 1, g
        r = row.row(0, named=True)
        print(f"  {g}: demographic {r['demographic_growth']:+.4f} (planted {t['demographic_growth']:+.4f}), "
              f"excess {r['excess_growth']:+.4f} ({t['excess_growth']:+.4f}), total {r['total_growth']:+.4f} "
              f"({t['total_growth']:+.4f}), excess 95% [{r['excess_growth_low']:+.3f}, {r['excess_growth_high']:+.3f}], "
              f"pre-trend {r['pre_trend']:+.4f}/yr, excess net of trend {r['excess_growth_net_of_trend']:+.4f}")
        for k in ("demographic_growth", "excess_growth", "total_growth"):
            assert r[k] == pytest.approx(t[k], abs=0.01), (g, k)
        assert r["demographic_growth"] + r["excess_growth"] == pytest.approx(r["total_growth"], abs=1e-12)
        # the planted effect lies in the uncertainty band, and the pre-2019 trend is flat in the demo
        assert r["excess_growth_low"] < t["excess_growth"] < r["excess_growth_high"], g
        assert abs(r["pre_trend"]) < 0.01, g
        assert r["excess_growth_net_of_trend"] == pytest.approx(t["excess_growth"], abs=0.02), g


def test_suction_matches_an_independent_computation(raw, warehouse):
    """Every level and year against the decomposition computed here from the raw files."""
    mart = _rows(warehouse, "SELECT * FROM marts.suction_decomposition")
    gem_wijken = defaultdict(list)
    for w, g in raw["wijk_gem"].items():
        gem_wijken[g].append(w)
    all_wijken = list(raw["wijk_gem"])
    checked = 0
    for r in mart.iter_rows(named=True):
        if r["level"] == "regio":
            wijken, bands = all_wijken, BANDS
        elif r["level"] == "leeftijd_regio":
            wijken, bands = all_wijken, (r["age_band"],)
        elif r["level"] == "gemeente":
            wijken, bands = gem_wijken[r["gemeente_code"]], BANDS
        elif r["level"] == "leeftijd":
            wijken, bands = gem_wijken[r["gemeente_code"]], (r["age_band"],)
        else:
            wijken, bands = [r["wijk_code"]], BANDS
        exp = _decompose(raw, wijken, bands, r["year"])
        if exp["clients_baseline"] == 0:
            continue
        for k, v in exp.items():
            assert r[k] == pytest.approx(v, rel=1e-9, abs=1e-9), (r["level"], r["gemeente_code"], r["wijk_code"], r["age_band"], r["year"], k)
        checked += 1
    assert checked == mart.height - mart.filter(pl.col("clients_baseline") == 0).height
    assert set(mart["level"].unique()) == {"regio", "leeftijd_regio", "gemeente", "leeftijd", "wijk"}
    assert mart["year"].min() == BASELINE and mart["year"].max() == max(raw["years"])


def test_suction_uncertainty_and_trend_formulas(raw, warehouse):
    """The region's 95% band (Poisson, delta method) and pre-baseline trend, recomputed here."""
    obs = raw["pop"]["waarneming"]
    first = min(raw["years"])
    for year in (2020, max(raw["years"])):
        r = _rows(warehouse, "SELECT * FROM marts.suction_decomposition WHERE level = 'regio' AND year = ?", [year]).row(0, named=True)
        b = c = e = s2 = 0.0
        for w in raw["wijk_gem"]:
            for band in BANDS:
                b_c = raw["cells"].get((w, BASELINE, band), 0)
                p_b = obs[(w, BASELINE, band)]
                wt = obs[(w, year, band)] / p_b if p_b else 0.0
                b += b_c
                c += raw["cells"].get((w, year, band), 0)
                e += b_c * wt
                s2 += b_c * wt * wt
        ex = (c - e) / b
        se = math.sqrt((c + s2 + 2 * ex * e + ex * ex * b) / b ** 2)
        assert r["excess_growth_se"] == pytest.approx(se, rel=1e-9)
        assert r["excess_growth_low"] == pytest.approx(ex - 1.96 * se, rel=1e-9)
        se_t = math.sqrt(c / b ** 2 + c * c / b ** 3)
        assert r["total_growth_high"] == pytest.approx(c / b - 1 + 1.96 * se_t, rel=1e-9)
        # pre-trend: demography-adjusted index in the first data year vs the baseline
        e_first = sum(raw["cells"].get((w, BASELINE, band), 0) * obs[(w, first, band)] / obs[(w, BASELINE, band)]
                      for w in raw["wijk_gem"] for band in BANDS if obs[(w, BASELINE, band)])
        c_first = sum(raw["cells"].get((w, first, band), 0) for w in raw["wijk_gem"] for band in BANDS)
        trend = (e_first / c_first) ** (1 / (BASELINE - first)) - 1
        assert r["pre_trend"] == pytest.approx(trend, rel=1e-9, abs=1e-12)
        assert r["excess_growth_net_of_trend"] == pytest.approx((c - e * (1 + trend) ** (year - BASELINE)) / b, rel=1e-9)


# --------------------------------------------------------------------------------------------------
# Age-specific rates, months, leveringsvorm and product mix
# --------------------------------------------------------------------------------------------------


def test_age_rates_match_the_raw_files(raw, warehouse):
    mart = _rows(warehouse, "SELECT * FROM marts.age_rates")
    assert mart.height == len(raw["wijk_gem"]) * len(raw["years"]) * 4
    obs = raw["pop"]["waarneming"]
    for r in mart.iter_rows(named=True):
        key = (r["wijk_code"], r["year"], r["age_band"])
        assert r["clients"] == raw["cells"].get(key, 0), key
        assert r["inhabitants"] == obs[key], key
        assert r["clients_per_1000"] == pytest.approx(1000 * r["clients"] / obs[key]), key
    # the wijken of a gemeente add up to marts.age_year
    diff = warehouse.execute(
        """SELECT count(*) FROM (SELECT gemeente_code, year, age_band, sum(clients) AS c FROM marts.age_rates GROUP BY ALL) a
           JOIN marts.age_year y USING (gemeente_code, year, age_band) WHERE a.c <> y.clients""").fetchall()[0][0]
    assert diff == 0


def test_wijk_month_matches_the_raw_files_and_adds_up_to_wijk_year(raw, warehouse):
    mart = _rows(warehouse, "SELECT * FROM marts.wijk_month")
    assert mart.height == len(raw["wijk_gem"]) * (raw["hi_m"] - raw["lo_m"] + 1)
    for r in mart.iter_rows(named=True):
        m = r["year"] * 12 + r["month"] - 1
        key = (r["wijk_code"], m)
        assert r["clients"] == raw["month_clients"].get(key, 0), key
        assert r["new_clients"] == (None if m == raw["lo_m"] else raw["month_new"].get(key, 0)), key
        assert r["ended_clients"] == (None if m == raw["hi_m"] else raw["month_ended"].get(key, 0)), key
    sums = warehouse.execute(
        """SELECT count(*), count(*) FILTER (WHERE abs(m.ih - y.indicated_hours) > 1e-6 OR abs(m.dh - y.declared_hours) > 1e-6
                                         OR abs(m.c - y.cost_eur) > 1e-4 OR m.mx > y.clients OR m.mx * 12 < y.clients)
           FROM (SELECT wijk_code, year, sum(indicated_hours) AS ih, sum(declared_hours) AS dh, sum(cost_eur) AS c,
                        max(clients) AS mx FROM marts.wijk_month GROUP BY ALL) m
           JOIN marts.wijk_year y USING (wijk_code, year)""").fetchall()[0]
    assert sums[0] == len(raw["wijk_gem"]) * len(raw["years"]) and sums[1] == 0


def test_wijk_year_detail_matches_the_raw_files(raw, warehouse):
    mart = _rows(warehouse, "SELECT * FROM marts.wijk_year_detail")
    cols = {"clients_zin": "ZIN", "clients_pgb": "PGB", "clients_weekly": "weekly", "clients_biweekly": "biweekly",
            "clients_maatwerk": "maatwerk"}
    for r in mart.iter_rows(named=True):
        d = raw["detail"].get((r["wijk_code"], r["year"]), {})
        for col, k in cols.items():
            assert r[col] == d.get(k, 0), (r["wijk_code"], r["year"], col)
        if r["indicated_hours"] > 0:
            assert r["share_hours_weekly"] + r["share_hours_biweekly"] + r["share_hours_maatwerk"] == pytest.approx(1)
            assert r["indicated_hours_zin"] + r["indicated_hours_pgb"] == pytest.approx(r["indicated_hours"])
    # the demo plants every-other-week help from 2022 on, and about 12% pgb
    by_year = mart.group_by("year").agg(pl.col("clients_biweekly").sum(), pl.col("clients_pgb").sum(), pl.col("clients").sum())
    assert by_year.filter(pl.col("year") < 2022)["clients_biweekly"].sum() == 0
    assert by_year.filter(pl.col("year") == max(raw["years"]))["clients_biweekly"][0] > 0
    assert 0.05 < by_year["clients_pgb"].sum() / by_year["clients"].sum() < 0.25


# --------------------------------------------------------------------------------------------------
# Forecast and backtest
# --------------------------------------------------------------------------------------------------


def test_forecast_formula_in_python_equals_the_mart(warehouse):
    from hbh_monitor import forecast as F

    comp = _rows(warehouse, "SELECT * FROM marts.forecast")
    scen = F.Scenario.from_rows(_rows(warehouse, "SELECT * FROM marts.forecast_scenarios"))
    out = F.apply(comp, scen)
    for a, b in (("clients", "forecast_clients"), ("hours", "forecast_hours"), ("tariff", "tariff_per_hour_year"),
                 ("cost_eur", "forecast_cost_eur")):
        assert (out[a] - out[b]).abs().max() < 1e-9 * max(1.0, out[b].abs().max()), a
    # the switches act as documented
    none = F.apply(comp, F.replace(scen, excess_removed_share=0.0))
    full = F.apply(comp, F.replace(scen, excess_removed_share=1.0))
    late = out.filter(pl.col("year") >= scen.eigen_bijdrage_year)
    assert full.filter(pl.col("year") >= scen.eigen_bijdrage_year)["clients"].sum() == pytest.approx(late["clients_expected"].sum())
    assert none["clients"].sum() == pytest.approx((comp["clients_expected"] + comp["clients_excess"]).sum())
    bi = F.apply(comp, F.replace(scen, biweekly_shift_share=1.0))
    assert bi["hours"].sum() < out["hours"].sum()
    assert (bi["hours"] / out["hours"]).drop_nans().min() >= 0.5 - 1e-12
    step = F.apply(comp, F.replace(scen, tariff_step=0.0))
    assert step["cost_eur"].sum() < out["cost_eur"].sum()
    # totals per gemeente and region
    t = F.totals(out, ("gemeente_code", "year"))
    assert t["cost_eur"].sum() == pytest.approx(out["cost_eur"].sum())


def test_forecast_covers_every_wijk_to_2030_and_matches_an_independent_fit(raw, warehouse):
    """Rates recomputed here: gemeente band rate (last 3 observed years pooled) × wijk factor × prognose."""
    fc = _rows(warehouse, "SELECT * FROM marts.forecast")
    last = max(raw["years"])
    assert fc["year"].min() == last + 1 and fc["year"].max() >= 2030
    assert fc.height == len(raw["wijk_gem"]) * 4 * (fc["year"].max() - last)
    obs, prog = raw["pop"]["waarneming"], raw["pop"]["prognose"]

    def rates(fit_years):
        gb_c, gb_p = defaultdict(float), defaultdict(float)
        for w, g in raw["wijk_gem"].items():
            for y in fit_years:
                for b in BANDS:
                    gb_c[(g, b)] += raw["cells"].get((w, y, b), 0)
                    gb_p[(g, b)] += obs[(w, y, b)]
        out = {}
        for w, g in raw["wijk_gem"].items():
            c = sum(raw["cells"].get((w, y, b), 0) for y in fit_years for b in BANDS)
            e = sum(gb_c[(g, b)] / gb_p[(g, b)] * obs[(w, y, b)] for y in fit_years for b in BANDS)
            for b in BANDS:
                out[(w, b)] = 1000 * gb_c[(g, b)] / gb_p[(g, b)] * c / e
        return out

    recent, base = rates(range(last - 2, last + 1)), rates([BASELINE])
    for r in fc.iter_rows(named=True):
        key = (r["wijk_code"], r["age_band"])
        p = prog[(r["wijk_code"], r["year"], r["age_band"])]
        assert r["inhabitants"] == p
        assert r["clients_expected"] == pytest.approx(base[key] * p / 1000, rel=1e-9)
        assert r["clients_expected"] + r["clients_excess"] == pytest.approx(recent[key] * p / 1000, rel=1e-9)


def test_forecast_backtest_error(warehouse):
    bt = _rows(warehouse, "SELECT * FROM marts.forecast_backtest")
    assert bt.height > 0 and set(bt["level"]) == {"gemeente", "regio"}
    print("\nForecast backtest (fit up to Y−3, predict Y−2..Y): MAPE clients / hours / cost")
    for r in bt.unique(["level", "gemeente_code"]).sort("level", "gemeente_code").iter_rows(named=True):
        print(f"  {r['gemeente_code'] or 'regio'}: {r['mape_clients']:.2%} / {r['mape_hours']:.2%} / {r['mape_cost']:.2%}")
    for r in bt.iter_rows(named=True):
        assert r["ape_clients"] == pytest.approx(abs(r["predicted_clients"] - r["clients"]) / r["clients"])
    gem = bt.filter(pl.col("level") == "gemeente")
    assert gem["mape_clients"].max() < 0.05
    assert gem["mape_cost"].max() < 0.15
    reg = bt.filter(pl.col("level") == "regio")
    assert reg["mape_clients"][0] < 0.03
    # region rows are the sums of the gemeente rows
    s = gem.group_by("year").agg(pl.col("clients").sum(), pl.col("predicted_clients").sum()).sort("year")
    assert s["clients"].to_list() == reg.sort("year")["clients"].to_list()
    assert s["predicted_clients"].to_list() == pytest.approx(reg.sort("year")["predicted_clients"].to_list())


# --------------------------------------------------------------------------------------------------
# Aanbieders per wijk
# --------------------------------------------------------------------------------------------------


def test_aanbieder_wijk_year_matches_the_raw_files(raw, warehouse):
    mart = _rows(warehouse, "SELECT * FROM marts.aanbieder_wijk_year")
    keys = set(raw["aanb_clients"]) | {k for k, v in raw["aanb_hours"].items()}
    assert {(r["wijk_code"], r["aanbieder_agb"], r["year"]) for r in mart.iter_rows(named=True)} == keys
    for r in mart.iter_rows(named=True):
        k = (r["wijk_code"], r["aanbieder_agb"], r["year"])
        assert r["clients"] == len(raw["aanb_clients"].get(k, ())), k
        assert r["declared_hours"] == pytest.approx(raw["aanb_hours"].get(k, 0.0), abs=1e-6), k
    shares = mart.group_by("wijk_code", "year").agg(pl.col("market_share").sum(), pl.col("declared_hours").sum(),
                                                     pl.len().alias("n"), pl.col("aanbieders_in_wijk").first())
    assert (shares.filter(pl.col("declared_hours") != 0)["market_share"] - 1).abs().max() < 1e-9
    assert (shares["n"] == shares["aanbieders_in_wijk"]).all()
    # wijkgericht werken in the demo: one main aanbieder per wijk with the larger share
    latest = mart.filter(pl.col("year") == max(raw["years"])).group_by("wijk_code").agg(pl.col("market_share").max())
    assert latest["market_share"].median() > 0.4
    # per aanbieder totals add up to the region
    tot = warehouse.execute("SELECT sum(declared_hours), sum(market_share_region) FROM marts.aanbieder_year WHERE year = ?",
                            [max(raw["years"])]).fetchall()[0]
    assert tot[0] == pytest.approx(mart.filter(pl.col("year") == max(raw["years"]))["declared_hours"].sum())
    assert tot[1] == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------------
# Publication
# --------------------------------------------------------------------------------------------------

NEW_MARTS = ("wijk_month", "wijk_year_detail", "age_rates", "suction_decomposition", "forecast_inputs", "forecast",
             "forecast_scenarios", "forecast_backtest", "aanbieder_wijk_year", "aanbieder_year")


def test_new_marts_are_published_documented_and_suppressed(pipeline_run):
    with duckdb.connect(str(pipeline_run.serving), read_only=True) as con:
        threshold = con.execute("SELECT suppression_threshold FROM meta.refresh").fetchall()[0][0]
        docs = dict(con.execute("SELECT table_name, description FROM meta.model_docs").fetchall())
        for t in NEW_MARTS:
            assert len(docs.get(f"marts.{t}") or "") > 100, t
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' AND table_name = ?", [t]).fetchall()]
            assert cols, t
            for c in cols:
                if c in ("clients", "new_clients", "ended_clients", "clients_baseline", "clients_pgb", "clients_zin"):
                    small = con.execute(f"SELECT count(*) FROM marts.{t} WHERE {c} < {threshold}").fetchall()[0][0]
                    assert small == 0, (t, c)
        # a hidden baseline count hides the decomposition figures built on it
        leak = con.execute("SELECT count(*) FROM marts.suction_decomposition WHERE clients_baseline IS NULL AND "
                           "(excess_growth IS NOT NULL OR expected IS NOT NULL)").fetchall()[0][0]
        assert leak == 0
