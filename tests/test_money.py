"""The money analyses against planted truths (the demo manifest) and computations made here from the raw
landing files, never with the pipeline's SQL: the tariff table and the 2026 tariff step, the cost bridge
(a Shapley split computed here over all 24 orders), and scenario → budget (the standard scenario in Python
equals the mart; the budget is the planted one; the band holds the cost)."""

from __future__ import annotations

import io
import itertools
import math
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from support import clean_rows, parse_date, parse_num, read_rows

ROOT = Path(__file__).resolve().parents[1]
END = date(9999, 12, 31)


def _rows(con, sql: str) -> pl.DataFrame:
    return con.sql(sql).pl()


@pytest.fixture(scope="module")
def raw_money(pipeline_run):
    """Per gemeente × year × product: declared hours and cost; per gemeente × year: clients. From the files."""
    run = pipeline_run
    tariff = {(r["gemeente_code"], r["product_code"], int(r["jaar"])): parse_num(r["tarief_per_uur"])
              for r in clean_rows(run, "producten")}
    decl = {}
    for r in clean_rows(run, "declaraties"):
        decl[(r["aanbieder_agb"], r["referentie_nummer"])] = r
    hours, cost = defaultdict(float), defaultdict(float)
    for r in decl.values():
        y = parse_date(r["begindatum"]).year
        sign = -1 if r["debet_credit"] == "C" else 1
        h = sign * int(r["geleverd_volume"]) * (60 if r["eenheid"] == "04" else 1) / 60
        key = (r["gemeente_code"], y, r["product_code"])
        hours[key] += h
        cost[key] += h * tariff[(r["gemeente_code"], r["product_code"], y)]
    years = sorted({k[1] for k in hours})
    ind = {}
    for r in clean_rows(run, "indicaties"):
        ind[(r["gemeente_code"], int(r["toewijzing_nummer"]))] = r
    latest = {}  # (bsn, year) -> (start, gemeente)
    for r in ind.values():
        start, end = parse_date(r["ingangsdatum"]), parse_date(r["einddatum"]) or END
        for y in years:
            if start <= date(y, 12, 31) and end >= date(y, 1, 1):
                if (r["bsn"], y) not in latest or start > latest[(r["bsn"], y)][0]:
                    latest[(r["bsn"], y)] = (start, r["gemeente_code"])
    clients = defaultdict(int)
    for (_, y), (_, g) in latest.items():
        clients[(g, y)] += 1
    return {"tariff": tariff, "hours": hours, "cost": cost, "clients": clients, "years": years}


# --------------------------------------------------------------------------------------------------
# Tariffs
# --------------------------------------------------------------------------------------------------


def test_tariff_table_holds_the_catalogue_including_next_years_contracted_tariffs(pipeline_run, warehouse, raw_money):
    planted = pipeline_run.manifest["money"]["tariffs"]
    last = max(raw_money["years"])
    assert planted["contracted_until"] == last + 1
    mart = _rows(warehouse, "SELECT * FROM marts.tariffs WHERE level = 'gemeente' AND product_code <> 'alle'")
    got = {(r["gemeente_code"], r["product_code"], r["year"]): r for r in mart.iter_rows(named=True)}
    assert set(got) == set(raw_money["tariff"])
    for key, value in raw_money["tariff"].items():
        assert got[key]["tariff_per_hour"] == pytest.approx(value, abs=1e-9)
        assert got[key]["bron"] == ("gecontracteerd" if key[2] > last else "waarneming")
        assert planted["per_gemeente_product_year"][key[0]][key[1]][str(key[2])] == pytest.approx(value)


def test_the_planted_2026_tariff_step_is_recovered(pipeline_run, warehouse):
    planted = pipeline_run.manifest["money"]["tariffs"]
    step, growth = planted["step"], planted["growth_per_year"]
    t = _rows(warehouse, "SELECT * FROM marts.tariffs WHERE year = 2026")
    assert t.height > 0
    # every product of every gemeente and the regio at a fixed mix: the step beyond the trend, within
    # the rounding of tariffs to whole cents
    for r in t.iter_rows(named=True):
        assert r["step"] == pytest.approx(step, abs=0.002), r
        assert r["change"] == pytest.approx((1 + growth) * (1 + step) - 1, abs=0.002), r
    # years without a step show none
    before = _rows(warehouse, "SELECT step FROM marts.tariffs WHERE year < 2026 AND step IS NOT NULL")
    assert before["step"].abs().max() < 0.002
    # the standard scenario takes the contracted step (not the 10% assumption) and says so
    scen = {r["parameter"]: r for r in _rows(warehouse, "SELECT * FROM marts.forecast_scenarios").iter_rows(named=True)}
    assert scen["tariff_step"]["default_value"] == pytest.approx(step, abs=0.005)
    assert scen["tariff_step"]["basis"].startswith("gecontracteerd")
    # so the forecast's 2026 tariff of each gemeente is its contracted tariff (at its own mix), within 1%
    fc = _rows(warehouse, "SELECT gemeente_code, sum(forecast_cost_eur) / sum(forecast_hours) AS tariff "
                          "FROM marts.forecast WHERE year = 2026 GROUP BY ALL")
    fixed = {r["gemeente_code"]: r["tariff_per_hour"] for r in _rows(
        warehouse, "SELECT gemeente_code, tariff_per_hour FROM marts.tariffs "
                   "WHERE level = 'gemeente' AND product_code = 'alle' AND year = 2026").iter_rows(named=True)}
    for r in fc.iter_rows(named=True):
        assert r["tariff"] == pytest.approx(fixed[r["gemeente_code"]], rel=0.01)


# --------------------------------------------------------------------------------------------------
# Cost bridge
# --------------------------------------------------------------------------------------------------


def _shapley_by_orders(before: dict, after: dict) -> dict:
    """Shapley split of cost = clients × hours per client × Σ share × tariff, averaged over all 24 orders."""
    products = sorted(set(before["share"]) | set(after["share"]))

    def cost(state):
        s, t = state["share"], state["tariff"]
        return state["clients"] * state["hpc"] * sum(s.get(p, 0.0) * t[p] for p in products)

    factors = ("clients", "hpc", "share", "tariff")
    effect = dict.fromkeys(factors, 0.0)
    orders = list(itertools.permutations(factors))
    for order in orders:
        state = dict(before)
        for f in order:
            was = cost(state)
            state = {**state, f: after[f]}
            effect[f] += (cost(state) - was) / len(orders)
    return effect


def _state(raw, g, y, other_year):
    products = {p for (gg, yy, p) in raw["hours"] if gg == g and yy in (y, other_year)}
    hours = {p: raw["hours"].get((g, y, p), 0.0) for p in products}
    total = sum(hours.values())
    tariff = {}
    for p in products:
        if hours[p]:
            tariff[p] = raw["cost"][(g, y, p)] / hours[p]
        elif (g, p, y) in raw["tariff"]:
            tariff[p] = raw["tariff"][(g, p, y)]
        else:
            tariff[p] = raw["cost"][(g, other_year, p)] / raw["hours"][(g, other_year, p)]
    clients = raw["clients"][(g, y)]
    return {"clients": clients, "hpc": total / clients, "share": {p: h / total for p, h in hours.items()},
            "tariff": tariff, "cost": sum(raw["cost"].get((g, y, p), 0.0) for p in products)}


def test_cost_bridge_sums_exactly_and_matches_an_independent_shapley_split(warehouse, raw_money):
    mart = _rows(warehouse, "SELECT * FROM marts.cost_bridge")
    effects = ["clients_effect_eur", "volume_effect_eur", "mix_effect_eur", "price_effect_eur"]
    years = raw_money["years"]
    assert sorted(mart["year"].unique().to_list()) == years[1:]
    for r in mart.iter_rows(named=True):
        # additive and exact: the four effects add up to the change (floating point only)
        assert abs(sum(r[e] for e in effects) - r["change_eur"]) < 1e-6 * max(1.0, abs(r["cost_eur"])), r
        assert r["change_eur"] == pytest.approx(r["cost_eur"] - r["cost_before_eur"], abs=1e-6)
    gem = mart.filter(pl.col("level") == "gemeente")
    for r in gem.iter_rows(named=True):
        g, y = r["gemeente_code"], r["year"]
        b, a = _state(raw_money, g, y - 1, y), _state(raw_money, g, y, y - 1)
        assert r["cost_before_eur"] == pytest.approx(b["cost"], rel=1e-9)
        assert r["cost_eur"] == pytest.approx(a["cost"], rel=1e-9)
        assert (r["clients_before"], r["clients"]) == (b["clients"], a["clients"])
        want = _shapley_by_orders(b, a)
        for col, f in zip(effects, ("clients", "hpc", "share", "tariff")):
            assert r[col] == pytest.approx(want[f], rel=1e-7, abs=1e-4), (g, y, col)
    # the regio is the sum of its gemeenten
    reg = mart.filter(pl.col("level") == "regio").sort("year")
    sums = gem.group_by("year").agg(pl.col(c).sum() for c in ["cost_eur", "change_eur", *effects]).sort("year")
    for c in ["cost_eur", "change_eur", *effects]:
        assert (reg[c] - sums[c]).abs().max() < 1e-6
    # the planted yearly tariff growth of 3% is the price effect: relative to the cost at the earlier
    # tariffs, between 2.8% and 3.2% in every year (whole-cent rounding of the tariffs)
    for r in reg.iter_rows(named=True):
        assert 0.028 < r["price_effect_eur"] / (0.5 * (r["cost_before_eur"] + r["cost_eur"] / 1.03)) < 0.032, r
    # one figure, one number: the bridge's cost is that of marts.budget_risk and its clients those of marts.gemeente_year
    same = _rows(warehouse, "SELECT b.cost_eur AS a, r.cost_eur AS b, b.clients AS c, g.clients AS d "
                            "FROM marts.cost_bridge b JOIN marts.budget_risk r USING (gemeente_code, year) "
                            "JOIN marts.gemeente_year g USING (gemeente_code, year)")
    assert same.height == gem.height
    assert (same["a"] - same["b"]).abs().max() < 1e-6 and (same["c"] == same["d"]).all()


# --------------------------------------------------------------------------------------------------
# Scenario → budget
# --------------------------------------------------------------------------------------------------


def test_budget_under_the_standard_scenario_equals_the_python_rule_and_the_planted_budget(pipeline_run, warehouse):
    from hbh_monitor import budget as B
    from hbh_monitor import forecast as F

    mart = _rows(warehouse, "SELECT * FROM marts.budget_scenario")
    comp = _rows(warehouse, "SELECT * FROM marts.forecast")
    default = F.Scenario.from_rows(_rows(warehouse, "SELECT * FROM marts.forecast_scenarios"))
    py = B.budget_view(comp, default, mart)
    assert py.height == mart.height
    joined = mart.sort("level", "gemeente_code", "year", nulls_last=True)
    for c in ("cost_eur", "gap_eur", "extra_budget_eur", "cost_low_eur", "cost_high_eur", "gap_low_eur",
              "gap_high_eur", "extra_budget_low_eur", "extra_budget_high_eur"):
        assert (py[c] - joined[c]).abs().max() < 1e-6 * max(1.0, joined[c].abs().max()), c
    # to 2030, per gemeente and the regio; the cost is that of marts.budget_risk's forecast years
    assert mart["year"].max() >= 2030 and set(mart["level"]) == {"gemeente", "regio"}
    risk = _rows(warehouse, "SELECT gemeente_code, year, cost_eur FROM marts.budget_risk WHERE bron = 'prognose'")
    both = mart.filter(pl.col("level") == "gemeente").join(risk, on=["gemeente_code", "year"])
    assert both.height == mart.filter(pl.col("level") == "gemeente").height
    assert (both["cost_eur"] - both["cost_eur_right"]).abs().max() < 1e-6
    # the budget: the planted one where the begroting has it (2026), then indexed by the planted 2%
    planted = pipeline_run.manifest["delivery"]["budget"]
    for r in mart.filter(pl.col("level") == "gemeente").iter_rows(named=True):
        known = planted["per_gemeente"][r["gemeente_code"]]
        if str(r["year"]) in known:
            assert r["budget_basis"] == "begroting" and r["budget_eur"] == pytest.approx(known[str(r["year"])])
        else:
            last = max(int(y) for y in known)
            assert r["budget_basis"] == "doorgetrokken"
            assert r["budget_index"] == pytest.approx(planted["index_per_year"], abs=0.0005)
            assert r["budget_eur"] == pytest.approx(known[str(last)] * (1 + r["budget_index"]) ** (r["year"] - last))
    # the regio sums the gemeenten; the band holds the cost and widens after three years
    gem = mart.filter(pl.col("level") == "gemeente").group_by("year").agg(pl.col("cost_eur", "budget_eur").sum())
    reg = mart.filter(pl.col("level") == "regio").join(gem, on="year")
    assert (reg["cost_eur"] - reg["cost_eur_right"]).abs().max() < 1e-6
    assert (reg["budget_eur"] - reg["budget_eur_right"]).abs().max() < 1e-6
    assert (mart["cost_low_eur"] < mart["cost_eur"]).all() and (mart["cost_eur"] < mart["cost_high_eur"]).all()
    assert ((mart["extra_budget_low_eur"] <= mart["extra_budget_eur"])
            & (mart["extra_budget_eur"] <= mart["extra_budget_high_eur"])).all()
    # one band: the cost band is the 80% band of the forecast page (marts.forecast_bands), row for row
    bands = _rows(warehouse, "SELECT level, gemeente_code, year, lower, upper FROM marts.forecast_bands "
                             "WHERE measure = 'cost_eur'")
    same = mart.join(bands, on=["level", "gemeente_code", "year"], how="left", nulls_equal=True)
    assert same["lower"].null_count() == 0
    assert (same["cost_low_eur"] - same["lower"]).abs().max() < 1e-6 * same["lower"].abs().max()
    assert (same["cost_high_eur"] - same["upper"]).abs().max() < 1e-6 * same["upper"].abs().max()
    r26 = mart.filter((pl.col("level") == "regio") & (pl.col("year") == 2026)).row(0, named=True)
    assert r26["extra_budget_eur"] == pytest.approx(max(r26["cost_eur"] - r26["budget_eur"], 0))
    # the planted story: the budget is only indexed (2%) while tariffs rise 3% a year plus the 2026 step
    assert r26["extra_budget_low_eur"] > 0


def test_a_scenario_moves_cost_and_gap_by_the_same_amount(warehouse):
    from hbh_monitor import budget as B
    from hbh_monitor import forecast as F

    mart = _rows(warehouse, "SELECT * FROM marts.budget_scenario")
    comp = _rows(warehouse, "SELECT * FROM marts.forecast")
    default = F.Scenario.from_rows(_rows(warehouse, "SELECT * FROM marts.forecast_scenarios"))
    base = B.budget_view(comp, default, mart)
    no_step = B.budget_view(comp, F.replace(default, tariff_step=0.0), mart)
    d_cost = no_step["cost_eur"] - base["cost_eur"]
    assert (d_cost < 0).all()
    assert ((no_step["gap_eur"] - base["gap_eur"]) - d_cost).abs().max() < 1e-6
    assert (no_step["budget_eur"] == base["budget_eur"]).all()
    # the step alone: cost without it × (1 + step) = cost with it, every year from 2026
    assert ((no_step["cost_eur"] * (1 + default.tariff_step) - base["cost_eur"]).abs()
            < 1e-6 * base["cost_eur"]).all()
    assert B.scenario_code(default, default) == "standaardscenario"
    code = B.scenario_code(F.replace(default, tariff_step=0.0), default)
    assert "ts0-2026" in code
    rows = dict(B.scenario_rows(F.replace(default, tariff_step=0.0), default))
    assert rows["Scenario"].startswith("eigen scenario") and rows["Eenmalige tariefstap"].startswith("0,0%")


# --------------------------------------------------------------------------------------------------
# Eigen bijdrage with incomes
# --------------------------------------------------------------------------------------------------


def _did(counts: dict, base: int, year: int) -> float:
    b, n = counts[str(base)], counts[str(year)]
    return 100 * ((n["hoog"] / b["hoog"] - 1) - (n["laag"] / b["laag"] - 1))


def test_the_planted_income_response_is_recovered_within_one_point(pipeline_run, warehouse, serving_db):
    planted = pipeline_run.manifest["money"]["income"]
    base = planted["baseline_year"]
    mart = _rows(warehouse, "SELECT * FROM marts.income_response")
    assert mart.height > 0 and (mart["baseline_year"] == base).all()
    reg = {r["year"]: r for r in mart.filter(pl.col("level") == "regio").iter_rows(named=True)}
    # the planted response of the abonnementstarief years (2018 → 2019, 2020), counted before defects: within 1 point
    for y in (base + 1, base + 2):
        assert reg[y]["growth_difference_points"] == pytest.approx(
            planted["did_points_hoog_minus_laag"][str(y)], abs=1.0), y
    # middle and high incomes grew far more than low incomes after 2019, more so as the years went by
    last = max(reg)
    assert 0 < reg[base + 1]["growth_difference_points"] < reg[base + 2]["growth_difference_points"]
    assert reg[last]["growth_difference_points"] > 30
    # exactly the figures of the rows that carry no planted defect, every year, per gemeente and for the regio
    # (later years drift a little from the before-defects count: a quarantined indicatie row removes a client)
    for y, did in planted["did_points_valid_rows"].items():
        assert reg[int(y)]["growth_difference_points"] == pytest.approx(did, abs=1e-4), y
    for code, counts in planted["clients_per_class_valid_rows"].items():
        rows = reg if code == "region" else {
            r["year"]: r for r in mart.filter(pl.col("gemeente_code") == code).iter_rows(named=True)}
        for y, per in counts.items():
            r = rows[int(y)]
            assert (r["clients_laag"], r["clients_midden"], r["clients_hoog"]) == (per["laag"], per["midden"], per["hoog"])
            if int(y) > base:
                assert r["growth_difference_points"] == pytest.approx(_did(counts, base, int(y)), abs=1e-9), (code, y)
    # the classes add up to the gemeente's clients (marts.gemeente_year): one figure, one number
    check = _rows(warehouse, "SELECT i.clients_laag + i.clients_midden + i.clients_hoog + i.clients_onbekend AS a, "
                             "g.clients AS b FROM marts.income_response i JOIN marts.gemeente_year g "
                             "USING (gemeente_code, year)")
    assert check.height and (check["a"] == check["b"]).all()
    # published: the DiD stays visible where its four counts are shown, computed from the published (rounded to 5)
    # counts (the catalogue's derived line), so it is the true one to within the rounding
    import duckdb

    with duckdb.connect(str(serving_db), read_only=True) as con:
        pub, hoog, hoog_b, laag, laag_b = con.sql(
            "SELECT growth_difference_points, clients_hoog, clients_hoog_baseline, clients_laag, clients_laag_baseline "
            "FROM marts.income_response WHERE level = 'regio' AND year = ?", params=[base + 2]).fetchall()[0]
    assert all(c % 5 == 0 for c in (hoog, hoog_b, laag, laag_b))
    assert pub == pytest.approx(100 * (hoog / hoog_b - laag / laag_b))
    assert pub == pytest.approx(reg[base + 2]["growth_difference_points"], abs=5)


def test_the_planted_response_per_income_class_is_recovered_within_one_point(pipeline_run, warehouse, serving_db):
    """The demo plants a response per income class (the part of the class's growth since the baseline year that
    came with the flat rate: laag 0, midden and hoog distinct, manifest money.income.response_planted). The standard
    scenario's responses (marts.eigen_bijdrage_scenario, regio) recover it within 1 percentage point, in the
    warehouse and in the published council snapshot (its counts rounded to 5); and the difference in differences
    between the class the abonnementstarief changed most (hoog) and least (laag) is the planted one."""
    import duckdb

    planted = pipeline_run.manifest["money"]["income"]
    want = planted["response_planted"]
    assert want["laag"] == 0 and want["hoog"] - want["midden"] >= 0.15  # a real contrast between the classes
    base, last = planted["baseline_year"], max(int(y) for y in planted["clients_per_class"]["region"])
    # the difference in differences the plant implies: growth_c = growth_laag / (1 − response_c), so
    # 100 × (growth_hoog − growth_laag) = 100 × growth_laag × response_hoog / (1 − response_hoog)
    for db, name in ((warehouse, "warehouse"), (None, "published")):
        con = db or duckdb.connect(str(serving_db), read_only=True)
        try:
            r = con.sql("SELECT * FROM marts.eigen_bijdrage_scenario WHERE level = 'regio'").pl().row(0, named=True)
            i = con.sql(f"SELECT * FROM marts.income_response WHERE level = 'regio' AND year = {last}").pl().row(
                0, named=True)
        finally:
            if db is None:
                con.close()
        print(f"{name}: response midden {r['response_midden']:.4f} (planted {want['midden']}), hoog "
              f"{r['response_hoog']:.4f} (planted {want['hoog']}); DiD {base}→{last} {i['growth_difference_points']:.2f} "
              f"points; excess removed {r['excess_removed_share']:.4f}")
        assert (r["response_source"], r["response_from_year"], r["response_to_year"]) == (
            "verschil-in-verschillen", base, last)
        assert r["response_laag"] == 0
        assert 100 * r["response_midden"] == pytest.approx(100 * want["midden"], abs=1.0), name
        assert 100 * r["response_hoog"] == pytest.approx(100 * want["hoog"], abs=1.0), name
        implied = 100 * i["growth_laag"] * want["hoog"] / (1 - want["hoog"])
        assert i["growth_difference_points"] == pytest.approx(implied, abs=3.0), name


def test_without_income_classes_the_income_mart_is_empty(tmp_path):
    """The optional column: a registration without it gives an empty mart, not an error (plain DuckDB, the
    model's own SQL on a minimal warehouse)."""
    import duckdb

    from hbh_monitor.contracts import contract
    from hbh_monitor.models import build, sql_models

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA staging")
    con.execute(contract("clienten").create_table_sql())
    con.execute("CREATE TABLE staging.client_years (client_id VARCHAR, gemeente_code VARCHAR, year INTEGER)")
    con.execute("INSERT INTO staging.client_years VALUES ('a', 'GM9901', 2018), ('a', 'GM9901', 2019)")
    con.execute("CREATE TABLE staging.wijken (gemeente_code VARCHAR, gemeente_name VARCHAR, wijk_code VARCHAR, "
                "wijk_name VARCHAR)")
    models = {m.table: m for m in sql_models()}
    build(con, models["staging.client_income"])
    build(con, models["marts.income_response"])
    assert con.execute("SELECT count(*) FROM marts.income_response").fetchall()[0][0] == 0


# The layout of 85043NED (Wmo-cliënten; type maatwerkvoorziening, persoonskenmerken, regio) as StatLine exports it.
KENMERKEN_HEADER = ["ID", "Persoonskenmerken", "TypeMaatwerkvoorziening", "RegioS", "Perioden", "WmoClienten_1",
                    "WmoClientenPer1000Inwoners_2"]


def _kenmerk_rows(region, period, counts, typ="Hulp bij het huishouden"):
    names = ["Inkomen: 1e 20%-groep", "Inkomen: 2e 20%-groep", "Inkomen: 3e 20%-groep", "Inkomen: 4e 20%-groep",
             "Inkomen: 5e 20%-groep", "Inkomen: onbekend", "Leeftijd: 75 jaar of ouder", "Totaal personen"]
    return [[k, typ, f"{region:<10}", period, v, None if v is None else "12.5"] for k, v in zip(names, counts)]


def test_scenario_default_is_the_income_distribution_of_the_cbs_landing_file_times_the_national_response(tmp_path):
    """No income class in clienten/: the 2027 eigen bijdrage scenario takes the HbH clients' income distribution per
    gemeente from the StatLine export of 85043NED in landing/cbs_wmo_kenmerken/ (read by the StatLine reader and
    the contract gate), and the response per class from the national monitor. The default is computed by hand
    from the file's numbers below."""
    import duckdb

    from hbh_monitor.contracts import load_contracts
    from hbh_demo.cbs_export import write_statline
    from hbh_monitor.ingest import ingest_dataset
    from hbh_monitor.models import build, sql_models

    landing = tmp_path / "landing"
    (landing / "wijken").mkdir(parents=True)
    (landing / "wijken" / "wijken.csv").write_text(
        "gemeente_code;gemeente_naam;wijk_code;wijk_naam\nGM9901;Demostad;WK990101;Centrum\n"
        "GM9901;Demostad;WK990102;Noord\nGM9902;Dorp;WK990201;Dorp\n", encoding="utf-8")
    rows = (
        # fifths 1..5, onbekend, 75+, totaal. 2023: the latest year, used
        _kenmerk_rows("GM9901", "2023JJ00", ["150", "120", "90", "60", "30", "15", "300", "465"])
        + _kenmerk_rows("GM9902", "2023JJ00", ["40", "35", "20", "10", None, None, "80", "110"])  # 5th: "." secret
        + _kenmerk_rows("GM9901", "2023JJ00", ["900", "900", "900", "900", "900", "0", "0", "4500"],
                        typ="Totaal Wmo-maatwerkvoorzieningen")  # another type: not HbH
        + _kenmerk_rows("GM9999", "2023JJ00", ["5000", "0", "0", "0", "5000", "0", "0", "10000"])  # not in the region
        + _kenmerk_rows("NL01", "2023JJ00", ["90000", "80000", "70000", "60000", "50000", "0", "0", "350000"])
        + _kenmerk_rows("PV27", "2023JJ00", ["9000", "8000", "7000", "6000", "5000", "0", "0", "35000"])
        + _kenmerk_rows("GM9901", "2022JJ00", ["10", "10", "500", "500", "500", "0", "0", "1520"])  # an older year
    )
    name = "85043NED_UntypedDataSet_03122026_101500.csv"
    write_statline(landing / "cbs_wmo_kenmerken" / name, KENMERKEN_HEADER, rows)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    contracts = load_contracts()
    for dataset in ("wijken", "clienten", "cbs_wmo_kenmerken"):
        results = ingest_dataset(con, contracts[dataset], landing, b"")
        if dataset == "cbs_wmo_kenmerken":
            (r,) = results
            assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("geladen", len(rows), len(rows), 0)
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    con.execute("CREATE TABLE staging.client_years (client_id VARCHAR, gemeente_code VARCHAR, year INTEGER)")
    con.execute("INSERT INTO staging.client_years VALUES ('a', 'GM9901', 2018), ('a', 'GM9901', 2023)")
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute("CREATE TABLE marts.forecast_inputs AS SELECT 2025 AS fit_year, 0.03::DOUBLE AS tariff_growth")
    con.execute("CREATE TABLE marts.tariffs (level VARCHAR, product_code VARCHAR, year INTEGER, tariff_per_hour DOUBLE)")
    models = {m.table: m for m in sql_models()}
    for t in ("staging.wijken", "staging.client_income", "marts.income_response", "staging.cbs_wmo_income",
              "marts.eigen_bijdrage_scenario", "marts.forecast_scenarios"):
        build(con, models[t])
    assert con.execute("SELECT count(*) FROM marts.income_response").fetchall()[0][0] == 0  # no client classes
    # by hand, 2023, HbH, the two gemeenten of the region: laag = 1st + 2nd fifth, midden = 3rd, hoog = 4th + 5th
    laag, midden, hoog = 150 + 120 + 40 + 35, 90 + 20, 60 + 30 + 10 + 0  # GM9902's secret 5th fifth counts as 0
    total = laag + midden + hoog  # 555
    # national monitor: hoog (1.00 - 0.05) / 1.00, midden (0.80 - 0.05) / 0.80, laag 0
    want = midden / total * 0.9375 + hoog / total * 0.95  # = 198.125 / 555
    assert want == pytest.approx(0.356982, abs=1e-6)
    scen = {r[0]: r for r in con.execute("SELECT parameter, default_value, basis FROM marts.forecast_scenarios").fetchall()}
    assert scen["excess_removed_share"][1] == pytest.approx(want, abs=1e-12)
    assert "85043NED" in scen["excess_removed_share"][2] and "landelijke monitor" in scen["excess_removed_share"][2]
    got = {(r["level"], r["gemeente_code"]): r for r in
           con.sql("SELECT * FROM marts.eigen_bijdrage_scenario").pl().iter_rows(named=True)}
    assert set(got) == {("gemeente", "GM9901"), ("gemeente", "GM9902"), ("regio", None)}
    g1 = got[("gemeente", "GM9901")]
    assert (g1["year"], g1["distribution_source"], g1["cbs_table_id"]) == (2023, "CBS", "85043NED")
    assert (g1["clients_laag"], g1["clients_midden"], g1["clients_hoog"]) == (270, 90, 90)
    assert g1["excess_removed_share"] == pytest.approx((90 * 0.9375 + 90 * 0.95) / 450)
    reg = got[("regio", None)]
    assert (reg["clients_laag"], reg["clients_midden"], reg["clients_hoog"]) == (laag, midden, hoog)
    assert reg["excess_removed_share"] == pytest.approx(want)
    # the Python scenario reads the same default
    from hbh_monitor import forecast as F

    default = F.Scenario.from_rows(con.sql("SELECT * FROM marts.forecast_scenarios").pl())
    assert default.excess_removed_share == pytest.approx(want)


def test_the_demo_writes_85043NED_and_the_statline_path_reads_it(pipeline_run, warehouse):
    """The demo region comes with a StatLine export of 85043NED in landing/cbs_wmo_kenmerken/ (counts multiples of 5,
    "." below 10): every row is loaded, and staging.cbs_wmo_income holds per demo gemeente and year laag = 1st + 2nd,
    midden = 3rd, hoog = 4th + 5th fifth of the file's "Hulp bij het huishouden" rows, summed here from the file
    (the fifths CBS shows; none shown: NULL)."""
    entries = [f for f in pipeline_run.manifest["files"] if f["dataset"] == "cbs_wmo_kenmerken"]
    assert [f["path"].split("/")[0] for f in entries] == ["cbs_wmo_kenmerken"] and entries[0]["path"].split("/")[1].startswith("85043NED_")
    want, n = defaultdict(list), 0
    for entry in entries:
        for r in read_rows(pipeline_run, entry):
            n += 1
            v = r["WmoClienten_1"]
            assert v == "." or (int(v) % 5 == 0 and int(v) >= 10), r
            kenmerk, year = r["Persoonskenmerken"], int(r["Perioden"][:4])
            cls = {"1": "laag", "2": "laag", "3": "midden", "4": "hoog", "5": "hoog"}.get(
                kenmerk.split("e 20%")[0][-1] if "20%-groep" in kenmerk else "")
            if cls and r["TypeMaatwerkvoorziening"] == "Hulp bij het huishouden":
                want[(r["RegioS"].strip(), year, cls)] += [] if v == "." else [int(v)]
    loaded = _rows(warehouse, "SELECT count(*) AS n FROM raw.cbs_wmo_kenmerken")["n"][0]
    assert loaded == n
    got = {(r["gemeente_code"], r["year"], r["income_class"]): r["cbs_clients"]
           for r in _rows(warehouse, "SELECT * FROM staging.cbs_wmo_income").iter_rows(named=True)}
    assert got == {k: sum(v) if v else None for k, v in want.items()}  # every fifth of a class secret: NULL
    codes = {g["gemeente_code"] for g in pipeline_run.manifest["gemeenten"]}
    assert {k[0] for k in got} == codes


def test_cbs_income_classes_from_euro_bands_and_only_the_total_of_both_sexes(tmp_path):
    """A StatLine export of the persoonskenmerken table as CBS's later edition lays it out (a Geslacht dimension;
    household income in euro bands, "Huishoudinkomen: Minder dan 10 000 euro", rather than fifths): only the rows of
    both sexes together count, and the euro bands fall in the classes by their bounds (up to € 30.000 laag, from
    € 40.000 hoog, between midden; "onbekend" and the total are no class). Expected figures worked out by hand."""
    import duckdb

    from hbh_demo.cbs_export import write_statline
    from hbh_monitor.contracts import load_contracts
    from hbh_monitor.ingest import ingest_dataset
    from hbh_monitor.models import build, sql_models

    header = ["ID", "Geslacht", "KenmerkenVanPersonen", "TypeMaatwerkvoorziening", "RegioS", "Perioden",
              "WmoClienten_1", "WmoClientenPer1000Inwoners_2"]
    bands = ["Huishoudinkomen: Minder dan 10 000 euro", "Huishoudinkomen: 10 000 tot 20 000 euro",
             "Huishoudinkomen: 20 000 tot 30 000 euro", "Huishoudinkomen: 30 000 tot 40 000 euro",
             "Huishoudinkomen: 40 000 tot 50 000 euro", "Huishoudinkomen: 50 000 euro of meer",
             "Huishoudinkomen: onbekend", "Totaal personen"]
    counts = {"Totaal mannen en vrouwen": [100, 200, 150, 80, 40, 30, 10, 610],
              "Mannen": [30, 60, 50, 25, 15, 10, None, 195], "Vrouwen": [70, 140, 100, 55, 25, 20, None, 415]}
    rows = [[sex, band, "Hulp bij het huishouden", "GM9901    ", "2023JJ00", None if v is None else str(v), None]
            for sex, values in counts.items() for band, v in zip(bands, values)]
    landing = tmp_path / "landing"
    write_statline(landing / "cbs_wmo_kenmerken" / "85896NED_UntypedDataSet_03122026_101500.csv", header, rows)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    (r,) = ingest_dataset(con, load_contracts()["cbs_wmo_kenmerken"], landing, b"")
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("geladen", len(rows), 0)
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    build(con, {m.table: m for m in sql_models()}["staging.cbs_wmo_income"])
    got = {k: v for k, v in con.execute("SELECT income_class, cbs_clients FROM staging.cbs_wmo_income").fetchall()}
    # both sexes together: laag 100 + 200 + 150, midden 80, hoog 40 + 30
    assert got == {"laag": 450, "midden": 80, "hoog": 70}


def test_scenario_default_on_the_demo_is_the_clients_income_distribution_times_the_observed_response(pipeline_run,
                                                                                                    warehouse):
    """The demo's client registration names an income class per client: the distribution of the last year and the
    response per class (its growth since the baseline beyond laag's, as a share of its growth), both from the
    planted counts of the manifest (rows without planted defects), give the default."""
    planted = pipeline_run.manifest["money"]["income"]
    counts = planted["clients_per_class_valid_rows"]["region"]
    base, last = str(planted["baseline_year"]), max(counts, key=int)
    n, b = counts[last], counts[base]
    total = n["laag"] + n["midden"] + n["hoog"]
    growth = {k: n[k] / b[k] - 1 for k in ("laag", "midden", "hoog")}
    response = {"laag": 0.0, **{k: min(max((growth[k] - growth["laag"]) / growth[k], 0.0), 1.0)
                                for k in ("midden", "hoog")}}
    want = sum(n[k] / total * response[k] for k in ("laag", "midden", "hoog"))
    scen = {r["parameter"]: r for r in _rows(warehouse, "SELECT * FROM marts.forecast_scenarios").iter_rows(named=True)}
    assert scen["excess_removed_share"]["default_value"] == pytest.approx(want, abs=1e-9)
    assert "cliëntregistratie" in scen["excess_removed_share"]["basis"]
    assert "verschil-in-verschillen" in scen["excess_removed_share"]["basis"]
    # and the forecast's default columns use it
    fc = _rows(warehouse, "SELECT year, eigen_bijdrage_year, sum(clients_expected) AS e, sum(clients_excess) AS x, "
                          "sum(forecast_clients) AS f FROM marts.forecast "
                          "JOIN (SELECT default_value AS eigen_bijdrage_year FROM marts.forecast_scenarios "
                          "WHERE parameter = 'eigen_bijdrage_year') ON true GROUP BY ALL")
    for r in fc.iter_rows(named=True):
        removed = want if r["year"] >= r["eigen_bijdrage_year"] else 0.0
        assert r["f"] == pytest.approx(r["e"] + r["x"] * (1 - removed), rel=1e-9)


# --------------------------------------------------------------------------------------------------
# Herindicatie simulation
# --------------------------------------------------------------------------------------------------


def test_herindicatie_simulation_equals_a_hand_computation_on_a_small_case(tmp_path):
    """Three clients on 31-12-2025 and one whose care ended; the demo's mapping (01A01 → 120, 01A02 → 60 (every
    other week, per week), 01A03 → 45 minutes per week; 3, 3, 0 transition months). The expected figures are
    worked out by hand below."""
    import duckdb

    from hbh_monitor.models import build, sql_models

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE TABLE staging.data_period AS SELECT DATE '2016-01-01' AS data_from, DATE '2025-12-31' AS data_to")
    con.execute("CREATE TABLE staging.indicaties (client_id VARCHAR, gemeente_code VARCHAR, product_code VARCHAR, "
                "hours_per_week DOUBLE, start_date DATE, end_date DATE)")
    con.execute("""INSERT INTO staging.indicaties VALUES
        ('a', 'GM9901', '01A01', 2.5, '2024-03-01', NULL),          -- 150 min/week
        ('b', 'GM9901', '01A02', 1.0, '2023-01-01', '2026-06-30'),  -- 120 min per two weeks = 60 per week
        ('c', 'GM9901', '01A01', 1.5, '2025-01-01', NULL),          -- 90 min/week
        ('c', 'GM9901', '01A03', 0.5, '2025-01-01', NULL),          -- 30 min/week wasverzorging
        ('d', 'GM9901', '01A01', 3.0, '2020-01-01', '2025-06-30')   -- ended: not in the round""")
    _demo_mapping_and_tariff_table(con)
    con.execute("""INSERT INTO staging.producten VALUES ('GM9901', '01A01', 2025, 35.0), ('GM9901', '01A01', 2026, 40.0),
        ('GM9901', '01A02', 2026, 40.0), ('GM9901', '01A03', 2026, 41.6)""")
    con.execute("CREATE TABLE staging.client_years (client_id VARCHAR, year INTEGER, wijk_code VARCHAR, age_band VARCHAR)")
    con.execute("""INSERT INTO staging.client_years VALUES ('a', 2025, 'WK990101', '75-84'), ('b', 2025, 'WK990101', '75-84'),
        ('c', 2025, 'WK990101', '85+'), ('d', 2025, 'WK990101', '85+')""")
    con.execute("CREATE TABLE staging.wijken AS SELECT 'GM9901' AS gemeente_code, 'Demostad' AS gemeente_name, "
                "'WK990101' AS wijk_code, 'Centrum' AS wijk_name")
    build(con, {m.table: m for m in sql_models()}["marts.herindicatie_simulation"])
    got = {r["age_band"]: r for r in con.sql("SELECT * FROM marts.herindicatie_simulation").pl().iter_rows(named=True)}
    assert set(got) == {"75-84", "85+"}
    # 75-84: a goes down 150 → 120; b stays 60 → 60.
    #   transition: a keeps 30 more minutes for 3 months = 0.5 h × 3 × 52 / 12 weeks × € 40 = € 260
    #   yearly: a −0.5 h × 52 × € 40 = −€ 1.040; b 0
    r = got["75-84"]
    assert (r["year"], r["clients"], r["clients_down"], r["clients_same"], r["clients_up"]) == (2026, 2, 1, 1, 0)
    assert (r["minutes_per_week_before"], r["minutes_per_week_after"]) == pytest.approx((210, 180))
    assert (r["mean_minutes_per_week_before"], r["mean_minutes_per_week_after"]) == pytest.approx((105, 90))
    assert r["transition_cost_eur"] == pytest.approx(260.0)
    assert r["yearly_cost_effect_eur"] == pytest.approx(-1040.0)
    # 85+: c goes up 90 + 30 = 120 → 120 + 45 = 165 (d ended before the round)
    #   yearly: +0.5 h × 52 × € 40 (01A01's 2026 tariff; 01B01 has none) + 0.25 h × 52 × € 41,60 = € 1.040 + € 540,80
    r = got["85+"]
    assert (r["clients"], r["clients_down"], r["clients_same"], r["clients_up"]) == (1, 0, 0, 1)
    assert (r["minutes_per_week_before"], r["minutes_per_week_after"]) == pytest.approx((120, 165))
    assert r["transition_cost_eur"] == pytest.approx(0.0)
    assert r["yearly_cost_effect_eur"] == pytest.approx(1580.8)


def _demo_mapping_and_tariff_table(con) -> None:
    """staging.productmapping as in the demo (01A01 → 120, 01A02 → 60, 01A03 → 45 minutes per week, from 2026)
    and an empty staging.producten, for the small herindicatie cases."""
    con.execute("CREATE TABLE staging.productmapping (gemeente_code VARCHAR, old_product_code VARCHAR, "
                "new_product_code VARCHAR, new_product_name VARCHAR, minutes_per_week INTEGER, "
                "transition_months INTEGER, start_year INTEGER)")
    con.execute("""INSERT INTO staging.productmapping VALUES ('GM9901', '01A01', '01B01', NULL, 120, 3, 2026),
        ('GM9901', '01A02', '01B02', NULL, 60, 3, 2026), ('GM9901', '01A03', '01B03', NULL, 45, 0, 2026)""")
    con.execute("CREATE TABLE staging.producten (gemeente_code VARCHAR, product_code VARCHAR, year INTEGER, "
                "tariff_per_hour DOUBLE)")


def test_herindicatie_after_the_round_observed_beside_simulated_equals_a_hand_computation(tmp_path):
    """The data run to the end of 2026, the round's first year (mapping as in the demo: 01A01 → 120, 01A02 → 60,
    01A03 → 45 minutes per week). The round's clients are those with a mapped indicatie on 31-12-2025; what they
    have on 31-12-2026 is observed, the mapping is simulated. Worked out by hand below."""
    import duckdb

    from hbh_monitor.models import build, sql_models

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE TABLE staging.data_period AS SELECT DATE '2016-01-01' AS data_from, DATE '2026-12-31' AS data_to")
    con.execute("CREATE TABLE staging.indicaties (client_id VARCHAR, gemeente_code VARCHAR, product_code VARCHAR, "
                "hours_per_week DOUBLE, start_date DATE, end_date DATE)")
    con.execute("""INSERT INTO staging.indicaties VALUES
        ('a', 'GM9901', '01A01', 2.5, '2024-03-01', '2026-03-31'),  -- 150 min/week, re-indicated:
        ('a', 'GM9901', '01B01', 2.0, '2026-04-01', NULL),          --   the new product, 120
        ('b', 'GM9901', '01A02', 1.0, '2023-01-01', NULL),          -- 60 per week (every other week), unchanged
        ('c', 'GM9901', '01A01', 1.5, '2025-01-01', '2026-05-31'),  -- 90, raised to
        ('c', 'GM9901', '01A01', 1.75, '2026-06-01', NULL),         --   105 (same product)
        ('c', 'GM9901', '01A03', 0.5, '2025-01-01', NULL),          -- 30 wasverzorging, unchanged
        ('d', 'GM9901', '01A01', 3.0, '2020-01-01', '2026-02-28'),  -- 180, left care during the round
        ('e', 'GM9901', '01A01', 2.0, '2026-02-01', NULL),          -- new in 2026: not in the round
        ('f', 'GM9901', '01A01', 2.25, '2022-01-01', NULL)          -- 135, not (yet) re-indicated""")
    _demo_mapping_and_tariff_table(con)
    con.execute("INSERT INTO staging.producten VALUES ('GM9901', '01A01', 2026, 40.0), ('GM9901', '01A03', 2026, 40.0), "
                "('GM9901', '01A02', 2026, 40.0)")
    con.execute("CREATE TABLE staging.client_years (client_id VARCHAR, year INTEGER, wijk_code VARCHAR, age_band VARCHAR)")
    con.execute("""INSERT INTO staging.client_years VALUES ('a', 2025, 'WK990101', '75-84'), ('b', 2025, 'WK990101', '75-84'),
        ('c', 2025, 'WK990101', '85+'), ('d', 2025, 'WK990101', '85+'), ('f', 2025, 'WK990101', '85+'),
        ('a', 2026, 'WK990101', '75-84'), ('b', 2026, 'WK990101', '75-84'), ('c', 2026, 'WK990101', '85+'),
        ('e', 2026, 'WK990101', '75-84'), ('f', 2026, 'WK990101', '85+')""")
    con.execute("CREATE TABLE staging.wijken AS SELECT 'GM9901' AS gemeente_code, 'Demostad' AS gemeente_name, "
                "'WK990101' AS wijk_code, 'Centrum' AS wijk_name")
    models = {m.table: m for m in sql_models()}
    build(con, models["marts.herindicatie_simulation"])
    build(con, models["marts.herindicatie_comparison"])
    # the simulation stays the one made before the round: the clients of 31-12-2025 (a, b | c, d, f), not e
    sim = {r[0]: r[1:] for r in con.execute("SELECT age_band, clients, minutes_per_week_before "
                                            "FROM marts.herindicatie_simulation").fetchall()}
    assert sim == {"75-84": (2, 210.0), "85+": (3, 120.0 + 180.0 + 135.0)}
    got = {r["age_band"]: r for r in con.sql("SELECT * FROM marts.herindicatie_comparison").pl().iter_rows(named=True)}
    assert set(got) == {"75-84", "85+"}
    # 75-84: a 150 → observed 120 (down), simulated 120 (down); b 60 → 60 observed and simulated (same)
    r = got["75-84"]
    assert (r["year"], r["clients"], r["clients_ended"]) == (2026, 2, 0)
    assert (r["clients_down_observed"], r["clients_same_observed"], r["clients_up_observed"]) == (1, 1, 0)
    assert (r["clients_down_simulated"], r["clients_same_simulated"], r["clients_up_simulated"]) == (1, 1, 0)
    assert (r["minutes_per_week_before"], r["minutes_per_week_after_observed"],
            r["minutes_per_week_after_simulated"]) == pytest.approx((210, 180, 180))
    assert (r["mean_minutes_per_week_before"], r["mean_minutes_per_week_after_observed"],
            r["mean_minutes_per_week_after_simulated"]) == pytest.approx((105, 90, 90))
    # 85+: d left care (ended, out of the figures); c 90 + 30 = 120 → observed 105 + 30 = 135 (up), simulated
    #   120 + 45 = 165 (up); f 135 → observed 135 (same), simulated 120 (down)
    r = got["85+"]
    assert (r["clients"], r["clients_ended"]) == (2, 1)
    assert (r["clients_down_observed"], r["clients_same_observed"], r["clients_up_observed"]) == (0, 1, 1)
    assert (r["clients_down_simulated"], r["clients_same_simulated"], r["clients_up_simulated"]) == (1, 0, 1)
    assert (r["minutes_per_week_before"], r["minutes_per_week_after_observed"],
            r["minutes_per_week_after_simulated"]) == pytest.approx((255, 270, 285))
    assert (r["mean_minutes_per_week_before"], r["mean_minutes_per_week_after_observed"],
            r["mean_minutes_per_week_after_simulated"]) == pytest.approx((127.5, 135, 142.5))
    # before the round's first year there is nothing observed yet
    con.execute("CREATE OR REPLACE TABLE staging.data_period AS SELECT DATE '2016-01-01' AS data_from, "
                "DATE '2025-12-31' AS data_to")
    con.execute("DROP TABLE marts.herindicatie_comparison")
    build(con, models["marts.herindicatie_comparison"])
    assert con.execute("SELECT count(*) FROM marts.herindicatie_comparison").fetchall()[0][0] == 0


def test_the_planted_herindicatie_round_is_observed_beside_the_simulation_on_the_demo(pipeline_run, warehouse):
    """The demo's herindicatie round lies in its last data year (the mapping's ingangsjaar): the comparison after the
    round holds, per gemeente, exactly the planted outcome of the manifest (computed by the generator from its own
    indicaties, the rows without a planted defect): the round's clients still in care and those who left, down /
    same / up observed and simulated, the minutes per week before and after (Σ and per client)."""
    mapping = pipeline_run.manifest["money"]["herindicatie_mapping"]
    planted = mapping["after_the_round"]
    last = pipeline_run.manifest["parameters"]["last_year"]
    assert planted is not None and planted["year"] == mapping["start_year"] == last
    rnd = pipeline_run.manifest["delivery"]["herindicatie_round"]
    assert rnd["year"] == last and rnd["herindicaties"] > 0
    comp = _rows(warehouse, "SELECT * FROM marts.herindicatie_comparison")
    assert comp.height > 0 and (comp["year"] == last).all()
    counts = ["clients", "clients_ended", *(f"clients_{d}_{k}" for k in ("observed", "simulated")
                                           for d in ("down", "same", "up"))]
    minutes = ["minutes_per_week_before", "minutes_per_week_after_observed", "minutes_per_week_after_simulated"]
    got = {r["gemeente_code"]: r for r in comp.group_by("gemeente_code").agg(
        pl.col(c).sum() for c in counts + minutes).iter_rows(named=True)}
    assert set(got) == set(planted["per_gemeente"])
    for code, want in planted["per_gemeente"].items():
        r = got[code]
        print(code, {c: r[c] for c in counts + minutes})
        assert {c: r[c] for c in counts} == {c: want[c] for c in counts}, code
        for c in minutes:
            assert r[c] == pytest.approx(want[c], abs=1e-6), (code, c)
        # per client: minutes per week before → after, observed and simulated
        mean = {c: r[c] / r["clients"] for c in minutes}
        assert mean == pytest.approx({c: want[c] / want["clients"] for c in minutes}), code
    # the round lowers: observed after < before; not every client has had the decision yet, so observed ≠ simulated
    tot = {c: sum(r[c] for r in got.values()) for c in counts + minutes}
    assert tot["minutes_per_week_after_observed"] < tot["minutes_per_week_before"]
    assert tot["clients_down_observed"] > 0 and tot["clients_down_observed"] != tot["clients_down_simulated"]
    # the same clients as the simulation made before the round (those of the day before the round year)
    sim = _rows(warehouse, "SELECT sum(clients) AS n, sum(minutes_per_week_before) AS m FROM marts.herindicatie_simulation")
    assert sim["n"][0] == tot["clients"] + tot["clients_ended"]


def test_herindicatie_simulation_on_the_demo_region(pipeline_run, warehouse):
    """Every client with a mapped indicatie on the last day is in exactly one direction; the totals follow the
    mapping of the manifest (after = the mapped minutes)."""
    sim = _rows(warehouse, "SELECT * FROM marts.herindicatie_simulation")
    mapping = pipeline_run.manifest["money"]["herindicatie_mapping"]
    assert (sim["year"] == mapping["start_year"]).all()
    assert (sim["clients"] == sim["clients_down"] + sim["clients_same"] + sim["clients_up"]).all()
    # the demo's mapping lowers weekly help above 120 minutes: most clients go down, the cost falls
    assert sim["clients_down"].sum() > sim["clients_up"].sum()
    assert sim["yearly_cost_effect_eur"].sum() < 0 < sim["transition_cost_eur"].sum()


# --------------------------------------------------------------------------------------------------
# Council snapshot: protected aggregates only
# --------------------------------------------------------------------------------------------------


def test_money_tables_in_the_council_snapshot_hide_small_counts_and_what_rests_on_them(pipeline_run):
    """The declarations of hbh_monitor.money_disclosure at work in the published council snapshot: no shown person
    count below the threshold; minutes, euros and growth figures hidden with the counts they rest on; no row of the
    herindicatie simulation with exactly one hidden part (down / same / up) next to a shown total."""
    import duckdb

    from hbh_monitor import money_disclosure as M

    council = pipeline_run.serving.with_name("hbh_serving_council.duckdb")
    with duckdb.connect(str(council), read_only=True) as con:
        tables = {t for (t,) in con.sql("SELECT table_schema || '.' || table_name FROM information_schema.tables").fetchall()}
        for table, counts in M.PERSON_COUNTS.items():
            assert table in tables, table
            df = con.sql(f"SELECT * FROM {table}").pl()
            for col in counts:
                shown = df[col].drop_nulls()
                assert (shown >= 10).all(), (table, col)  # the default threshold (10); 0 counts are hidden too
                assert f"{col}_suppressed" in df.columns
            for derived, sources in M.DERIVED.items():
                if derived in df.columns and all(s in df.columns for s in sources):
                    hidden = pl.any_horizontal([pl.col(s).is_null() & pl.col(f"{s}_suppressed") for s in sources])
                    assert df.filter(hidden)[derived].null_count() == df.filter(hidden).height, (table, derived)
        sim = con.sql("SELECT * FROM marts.herindicatie_simulation").pl()
        parts = sim.select(pl.sum_horizontal([pl.col(f"clients_{k}_suppressed").cast(pl.Int32)
                                              for k in ("down", "same", "up")]).alias("n"), "clients_suppressed")
        assert parts.filter((pl.col("n") == 1) & ~pl.col("clients_suppressed")).height == 0
        assert sim["clients_suppressed"].any()  # small wijk × age cells exist in the demo, and are hidden
        assert sim.filter(pl.col("clients").is_null())["transition_cost_eur"].null_count() == sim["clients"].null_count()


# --------------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------------

APP = ROOT / "dashboards" / "app.py"


def _app(serving_db, monkeypatch, page):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("HBH_SERVING", str(serving_db))
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_kosten_page_shows_the_tariff_step_and_the_cost_bridge(serving_db, monkeypatch):
    at = _app(serving_db, monkeypatch, "views/kosten.py")
    assert [t.value for t in at.title] == ["Tarieven en kosten"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Waarvan tariefstap"].startswith("+12,")
    assert len(at.get("plotly_chart")) == 2 and len(at.get("download_button")) == 4
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "aantal cliënten" in text and "tarieven (prijs)" in text and "Shapley" in text


def test_prognose_page_budget_view_follows_the_scenario_and_returns_to_the_standard(serving_db, monkeypatch):
    import duckdb

    at = _app(serving_db, monkeypatch, "views/prognose.py")
    with duckdb.connect(str(serving_db), read_only=True) as con:
        row = con.sql("SELECT extra_budget_eur, extra_budget_low_eur, extra_budget_high_eur FROM marts.budget_scenario "
                      "WHERE level = 'regio' AND year = 2026").fetchall()[0]
    from dashboards import formatting

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Extra budget nodig in 2026"] == formatting.fmt_eur(row[0])
    assert metrics["Bandbreedte (80%)"] == f"{formatting.fmt_eur(row[1])} – {formatting.fmt_eur(row[2])}"
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "Het standaardscenario gaat uit van" in text and "gecontracteerd" in text
    # where the eigen bijdrage share comes from: the clients' income distribution × the response per class
    assert "inkomensverdeling van de cliënten (cliëntregistratie" in text and "verschil-in-verschillen" in text
    reset = next(b for b in at.button if b.label == "Terug naar het standaardscenario")
    assert reset.disabled
    names = [d.proto.label for d in at.get("download_button")]
    assert names
    # another scenario: no tariff step → a lower extra budget; the reset brings the standard back
    at.slider(key="prognose_tariefstap").set_value(0).run()
    assert not at.exception
    changed = {m.label: m.value for m in at.metric}["Extra budget nodig in 2026"]
    assert changed != metrics["Extra budget nodig in 2026"]
    assert "eigen scenario" in "\n".join(str(m.value) for m in at.caption)
    next(b for b in at.button if b.label == "Terug naar het standaardscenario").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Extra budget nodig in 2026"] == metrics["Extra budget nodig in 2026"]
    with duckdb.connect(str(serving_db), read_only=True) as con:
        step = con.sql("SELECT default_value FROM marts.forecast_scenarios WHERE parameter = 'tariff_step'").fetchall()[0][0]
    assert at.slider(key="prognose_tariefstap").value == int(round(step * 100))


def test_eigen_bijdrage_page_shows_the_response_and_its_sources(serving_db, monkeypatch):
    at = _app(serving_db, monkeypatch, "views/eigen_bijdrage.py")
    metrics = {m.label: m.value for m in at.metric}
    did = next(v for k, v in metrics.items() if k.startswith("Verschil in groei hoog − laag"))
    assert did.startswith("+") and did.endswith("procentpunt")
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "Waar de uitgangspunten vandaan komen" in text and "Significant" in text and "185%" in text
    # the Prognose's standard share removed, with where its parameters come from
    import duckdb

    with duckdb.connect(str(serving_db), read_only=True) as con:
        default = con.sql("SELECT default_value FROM marts.forecast_scenarios "
                          "WHERE parameter = 'excess_removed_share'").fetchall()[0][0]
    from dashboards import formatting

    assert metrics["Standaard in de Prognose: deel van de extra groei dat verdwijnt (vanaf 2027)"] == formatting.fmt_pct(default, 1)
    assert "eigen cliëntregistratie" in text and "verschil-in-verschillen" in text
    assert "85043NED" in text  # the CBS source, for a registration without income classes


def test_herindicatie_page_shows_the_simulation(serving_db, monkeypatch):
    at = _app(serving_db, monkeypatch, "views/herindicatie.py")
    labels = [m.label for m in at.metric]
    assert "Cliënten in de ronde" in labels and any(l.startswith("Kosteneffect per jaar") for l in labels)
    assert len(at.get("plotly_chart")) == 1 and len(at.get("download_button")) == 2
    # the demo's round lies in its data: after the round, observed beside simulated, from the published comparison
    import duckdb

    with duckdb.connect(str(serving_db), read_only=True) as con:
        n, down_o, down_s = con.sql("SELECT sum(clients), sum(clients_down_observed), sum(clients_down_simulated) "
                                    "FROM marts.herindicatie_comparison").fetchall()[0]
    from dashboards import formatting

    metrics = {m.label: m.value for m in at.metric}
    assert n and metrics["Cliënten van de ronde nog in zorg"] == formatting.fmt_count(n)
    deltas = {m.label: m.delta for m in at.metric}
    assert metrics["Omlaag: werkelijk"] == formatting.fmt_count(down_o)
    assert deltas["Omlaag: werkelijk"] == f"gesimuleerd {formatting.fmt_count(down_s)}"
    assert {"Gelijk: werkelijk", "Omhoog: werkelijk"} <= set(metrics)
    assert "werkelijk na **" in "\n".join(str(m.value) for m in at.markdown)
    # counts hidden to protect small cells (down / up of a wijk × age band) leave the sums short: the page says so
    with duckdb.connect(str(serving_db), read_only=True) as con:
        hidden = con.sql("SELECT count(*) FILTER (WHERE clients IS NULL OR clients_down_observed IS NULL "
                         "OR clients_same_observed IS NULL OR clients_up_observed IS NULL OR clients_down_simulated IS NULL "
                         "OR clients_same_simulated IS NULL OR clients_up_simulated IS NULL) "
                         "FROM marts.herindicatie_comparison").fetchall()[0][0]
    assert hidden > 0  # the demo's small region: many cells hide a part
    captions = "\n".join(str(m.value) for m in at.caption)
    assert f"Na de ronde: {hidden} cellen" in captions and "ondergrens" in captions, captions


def test_pages_with_cbs_incomes_only_and_after_the_round(serving_db, tmp_path, monkeypatch):
    """A copy of the published snapshot as another municipality would have it: no income class per client (the
    distribution from CBS 85043NED, the national responses) and a herindicatie round already in the data (the
    comparison filled from the simulation's rows, observed = simulated). Both pages show it without error."""
    import shutil

    import duckdb

    copy = tmp_path / "hbh_serving.duckdb"
    shutil.copy(serving_db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("DELETE FROM marts.income_response")
        con.execute("UPDATE marts.eigen_bijdrage_scenario SET distribution_source = 'CBS', cbs_table_id = '85043NED', "
                    "response_source = 'landelijke monitor', response_from_year = NULL, response_to_year = NULL")
        con.execute("DELETE FROM marts.herindicatie_comparison")  # the demo's own round: replaced by observed = simulated
        con.execute("""INSERT INTO marts.herindicatie_comparison BY NAME
            SELECT gemeente_code, gemeente_name, wijk_code, wijk_name, age_band, year, clients, clients_suppressed,
                   0::BIGINT AS clients_ended, false AS clients_ended_suppressed,
                   clients_down AS clients_down_observed, clients_same AS clients_same_observed,
                   clients_up AS clients_up_observed, clients_down AS clients_down_simulated,
                   clients_same AS clients_same_simulated, clients_up AS clients_up_simulated,
                   minutes_per_week_before, minutes_per_week_after AS minutes_per_week_after_observed,
                   minutes_per_week_after AS minutes_per_week_after_simulated,
                   mean_minutes_per_week_before, mean_minutes_per_week_after AS mean_minutes_per_week_after_observed,
                   mean_minutes_per_week_after AS mean_minutes_per_week_after_simulated
            FROM marts.herindicatie_simulation""")
        default = con.sql("SELECT default_value FROM marts.forecast_scenarios "
                          "WHERE parameter = 'excess_removed_share'").fetchall()[0][0]
        sim = con.sql("SELECT sum(clients), sum(minutes_per_week_before) / sum(clients), "
                      "sum(minutes_per_week_after) / sum(clients) FROM marts.herindicatie_simulation").fetchall()[0]
    from dashboards import formatting

    at = _app(copy, monkeypatch, "views/eigen_bijdrage.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Standaard in de Prognose: deel van de extra groei dat verdwijnt (vanaf 2027)"] == formatting.fmt_pct(default, 1)
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "CBS-tabel 85043NED" in text and "landelijke monitor" in text
    at = _app(copy, monkeypatch, "views/herindicatie.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cliënten van de ronde nog in zorg"] == formatting.fmt_count(sim[0])
    text = "\n".join(str(m.value) for m in at.markdown)
    assert (f"werkelijk na **{formatting.fmt_number(sim[2])}**" in text
            and f"vóór **{formatting.fmt_number(sim[1])}**" in text), text


def test_budget_downloads_carry_the_scenario_in_chromium(serving_db, tmp_path_factory):
    """The real app in headless Chromium: the Prognose page shows the budget view; its Excel download is
    named after the scenario and has a sheet 'Scenario' with every setting; the Prognose chart downloads
    carry the scenario in their file name; the Tarieven en kosten page renders."""
    import e2e

    if not e2e.chromium_available():
        pytest.skip(f"{e2e.CHROMIUM} not found")
    from playwright.sync_api import sync_playwright

    with e2e.streamlit_server(serving_db, log_dir=tmp_path_factory.mktemp("streamlit_money")) as server, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=e2e.CHROMIUM, headless=True)
        try:
            page, guard, errors = e2e.new_page(browser, server)

            def goto(url_path: str) -> None:  # as e2e.goto, with room for a loaded machine
                page.goto(f"{server.url}/{url_path}")
                page.wait_for_selector(f'h1:has-text("{e2e.PAGES[url_path][0]}")', timeout=90_000)
                page.wait_for_selector(e2e.READY, timeout=90_000)

            goto("prognose")
            page.get_by_text("Extra budget nodig in 2026").first.wait_for(state="visible", timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.get_by_text("Het standaardscenario gaat uit van").count() >= 1
            with page.expect_download(timeout=60_000) as dl:
                page.locator(".st-key-prognose_budget_xlsx button").first.click()
            download = dl.value
            assert "standaardscenario" in download.suggested_filename
            path = tmp_path_factory.mktemp("dl") / download.suggested_filename
            download.save_as(path)
            wb = openpyxl.load_workbook(path)
            assert wb.sheetnames == ["Gegevens", "Toelichting", "Scenario"]
            settings = {r[0]: r[1] for r in wb["Scenario"].iter_rows(min_row=2, values_only=True)}
            assert settings["Scenario"] == "standaardscenario"
            assert "gecontracteerd" in settings["Eenmalige tariefstap"]
            with page.expect_download(timeout=60_000) as dl:
                page.locator(".st-key-prognose_kosten_csv button").first.click()
            assert "standaardscenario" in dl.value.suggested_filename
            goto("kosten")
            page.get_by_text("Waarvan tariefstap").first.wait_for(state="visible", timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            goto("eigen-bijdrage")
            page.get_by_text("procentpunt").first.wait_for(state="visible", timeout=60_000)
            goto("herindicatie")
            page.get_by_text("Cliënten in de ronde").first.wait_for(state="visible", timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert not guard.blocked, guard.blocked
            assert not errors, errors
        finally:
            browser.close()
