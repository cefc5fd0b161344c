"""Delivery analytics: the planted staff shortage, times to start, stops, the 2026
herindicatie round and the budget, recovered from the marts of a real Dagster run.

A small region of its own (2 gemeenten, scale 0.1) whose data period includes 2026, so that the
herindicatie round of the normenkader 2025 is in it. Every mart figure is checked against a number
computed here, independently, from the raw landing files (csv module), and against the planted truth
in the generator's manifest (section "delivery") within a stated tolerance.
"""

from __future__ import annotations

from decimal import Decimal

import json
from collections import Counter, defaultdict
from datetime import date, timedelta

import duckdb
import numpy as np
import pytest

from support import clean_rows, parse_date, parse_num, region_run

ARGS = ["--seed", "11", "--scale", "0.1", "--gemeenten", "2", "--last-year", "2026"]
MY_ASSETS = ("zorgstarts", "zorgstops", "budget", "toewijzingen", "unmet_demand", "budget_risk", "time_to_start",
             "waiting_list", "care_stops", "indication_durations", "herindicaties", "product_adoption")


class Run:
    pass


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("hbh_delivery")
    # The region runs to the end of 2026; its deliveries are judged as on a day after that, so the
    # contracts' "not in the future" bounds do not depend on the day the test runs.
    env, _, proc = region_run(data_dir, ARGS, extra_env={"HBH_TODAY": "2027-06-30"}, check=False)
    out = proc.stdout + proc.stderr
    # steps of the delivery models and their checks must succeed (a failure elsewhere holds back
    # publication but is not what this module tests)
    failed = [l for l in out.splitlines() if "STEP_FAILURE" in l and any(a in l for a in MY_ASSETS)]
    assert not failed, "\n".join(failed)
    r = Run()
    r.landing = data_dir / "landing"
    r.warehouse = data_dir / "warehouse" / "hbh.duckdb"
    r.data_dir = data_dir
    r.manifest = json.loads((r.landing / "demo_manifest.json").read_text())
    r.stdout = out
    assert r.warehouse.exists(), out[-4000:]
    return r


@pytest.fixture(scope="module")
def db(run):
    con = duckdb.connect(str(run.warehouse), read_only=True)
    yield con
    con.close()


def q(con, sql):
    """Rows of ``sql``; exact DECIMAL euro amounts as float, for arithmetic with the float truths."""
    return [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in con.sql(sql).fetchall()]


# --- independent reading of the raw files ----------------------------------------------------------


@pytest.fixture(scope="module")
def raw(run):
    """Indicaties (clean rows), their herindicatie links, starts and stops, from the landing files."""
    ind = {}
    for r in clean_rows(run, "indicaties"):
        r = dict(r)
        r["start"], r["end"] = parse_date(r["ingangsdatum"]), parse_date(r["einddatum"])
        r["toew"] = parse_date(r["toewijzingsdatum"])
        r["hpw"] = int(r["volume"]) / 60 / (2 if r["product_code"] == "01A02" else 1)
        ind[(r["gemeente_code"], int(r["toewijzing_nummer"]))] = r
    by_client = defaultdict(list)
    for k, r in ind.items():
        by_client[(r["bsn"], r["gemeente_code"], r["product_code"])].append(k)
    replaces = {}
    for keys in by_client.values():
        for k in keys:
            s = ind[k]["start"]
            prev = [p for p in keys if p != k and ind[p]["end"] and s - timedelta(7) <= ind[p]["end"] <= s - timedelta(1)]
            if prev:
                replaces[k] = max(prev, key=lambda p: ind[p]["end"])
    starts = {(r["gemeente_code"], int(r["toewijzing_nummer"])): parse_date(r["begindatum"])
              for r in clean_rows(run, "zorgstarts")}
    stops = {(r["gemeente_code"], int(r["toewijzing_nummer"])): (parse_date(r["einddatum"]), r["reden_beeindiging"])
             for r in clean_rows(run, "zorgstops")}
    decl = clean_rows(run, "declaraties")
    tariff = {(r["gemeente_code"], r["product_code"], int(r["jaar"])): parse_num(r["tarief_per_uur"])
              for r in clean_rows(run, "producten")}
    budget = {(r["gemeente_code"], int(r["jaar"])): parse_num(r["budget_eur"]) for r in clean_rows(run, "budget")}
    last = max(parse_date(r["einddatum"]) for r in decl)
    first = min(parse_date(r["begindatum"]) for r in decl)
    return dict(ind=ind, replaces=replaces, starts=starts, stops=stops, decl=decl, tariff=tariff, budget=budget,
                first=first, last=last)


def _overlap(s, e, y0, y1):
    e = e or date(9999, 12, 31)
    return max(0, (min(e, y1) - max(s, y0)).days + 1)


# --- 1. staff shortage: delivered share -------------------------------------------------------------


def test_shortage_recovered_from_unmet_demand(run, db):
    truth = run.manifest["delivery"]["shortage"]
    wijken, aanb = truth["short_wijken"], truth["short_aanbieders"]
    rows = q(db, f"""
        SELECT year >= {truth['from_year']} AS after,
               wijk_code IN ({', '.join(f"'{w}'" for w in wijken)}) OR aanbieder_agb IN ({', '.join(f"'{a}'" for a in aanb)}) AS short,
               sum(delivered_hours) / sum(indicated_hours)
        FROM marts.unmet_demand GROUP BY ALL""")
    share = {(a, s): v for a, s, v in rows}
    print("delivered share", {f"{'from' if a else 'before'} {truth['from_year']}, {'short' if s else 'other'}": round(v, 4)
                              for (a, s), v in sorted(share.items())})
    tol = 0.015  # rounding to whole minutes, the clip of the normal delivery factor, credit corrections
    assert share[(True, True)] == pytest.approx(truth["delivered_share_short"], abs=tol)
    assert share[(True, False)] == pytest.approx(truth["delivered_share_normal"], abs=tol)
    assert share[(False, True)] == pytest.approx(truth["delivered_share_normal"], abs=tol)
    assert share[(False, False)] == pytest.approx(truth["delivered_share_normal"], abs=tol)


def test_unmet_demand_and_gap_cost_match_raw_files(raw, db):
    """Indicated and delivered hours per gemeente-year, and the cost of the gap, from the raw files."""
    ind, years = raw["ind"], range(raw["first"].year, raw["last"].year + 1)
    indicated, delivered = defaultdict(float), defaultdict(float)
    for r in ind.values():
        if r["leveringsvorm"] != "ZIN":
            continue
        for y in years:
            d = _overlap(r["start"], r["end"], date(y, 1, 1), date(y, 12, 31))
            if d:
                indicated[(r["gemeente_code"], r["product_code"], y)] += r["hpw"] * d / 7
    for r in raw["decl"]:
        if (r["gemeente_code"], int(r["toewijzing_nummer"])) not in ind:
            continue
        sign = -1 if r["debet_credit"] == "C" else 1
        delivered[(r["gemeente_code"], r["product_code"], parse_date(r["begindatum"]).year)] += sign * int(r["geleverd_volume"]) / 60
    keys = set(indicated) | set(delivered)
    exp = defaultdict(lambda: [0.0, 0.0, 0.0])
    for g, p, y in keys:
        e = exp[(g, y)]
        e[0] += indicated[(g, p, y)]
        e[1] += delivered[(g, p, y)]
        e[2] += (indicated[(g, p, y)] - delivered[(g, p, y)]) * raw["tariff"][(g, p, y)]
    got = {(g, y): (i, d) for g, y, i, d in q(db, "SELECT gemeente_code, year, sum(indicated_hours), sum(delivered_hours) FROM marts.unmet_demand GROUP BY ALL")}
    risk = {(g, y): (b, gap) for g, y, b, gap in q(db, "SELECT gemeente_code, year, budget_eur, gap_cost_eur FROM marts.budget_risk WHERE bron = 'waarneming'")}
    for k, (i, d, gap) in exp.items():
        assert got[k][0] == pytest.approx(i, abs=0.01), k
        assert got[k][1] == pytest.approx(d, abs=0.01), k
        assert risk[k][1] == pytest.approx(gap, abs=0.05), k
        assert risk[k][0] == pytest.approx(raw["budget"][k]), k
    # marts.delivery_year (the Levering page): the gemeente rows hold the same hours, and the persons behind them
    clients = defaultdict(set)
    for r in ind.values():
        for y in years:
            if r["leveringsvorm"] == "ZIN" and _overlap(r["start"], r["end"], max(date(y, 1, 1), raw["first"]),
                                                         min(date(y, 12, 31), raw["last"])):
                clients[(r["gemeente_code"], y)].add(r["bsn"])
    total = {(g, y): (n, i, d, gap) for g, y, n, i, d, gap in q(db, "SELECT gemeente_code, year, clients, indicated_hours, "
             "delivered_hours, gap_cost_eur FROM marts.delivery_year WHERE wijk_code = 'alle' AND aanbieder_agb = 'alle'")}
    for k, (i, d, gap) in exp.items():
        assert total[k][0] == len(clients[k]), k
        assert total[k][1:] == pytest.approx((i, d, gap), abs=0.05), k
    # its wijk rows, aanbieder rows and wijk × aanbieder rows each add up to the gemeente row
    assert not q(db, """SELECT gemeente_code, year FROM (
        SELECT gemeente_code, year, wijk_code = 'alle', aanbieder_agb = 'alle', sum(delivered_hours) AS h
        FROM marts.delivery_year GROUP BY ALL) GROUP BY ALL HAVING count(*) <> 4 OR max(h) - min(h) > 0.01""")


def test_budget_falls_behind_and_gap_adds_to_risk(run, db):
    truth = run.manifest["delivery"]["budget"]
    rows = q(db, "SELECT gemeente_code, year, budget_eur, cost_eur, gap_cost_eur, headroom_eur, headroom_without_gap_eur FROM marts.budget_risk WHERE bron = 'waarneming' ORDER BY ALL")
    for g, y, b, cost, gap, h, h2 in rows:
        assert b == pytest.approx(truth["per_gemeente"][g][str(y)])
        assert h == pytest.approx(b - cost) and h2 == pytest.approx(b - cost - gap)
        if y >= 2022:  # the shortage leaves help undelivered: the gap is a real budget risk
            assert gap > 0.05 * cost
    # budget indexed by 2% a year only
    g0 = rows[0][0]
    b = {y: bb for g, y, bb, *_ in rows if g == g0}
    assert b[2025] / b[2016] == pytest.approx((1 + truth["index_per_year"]) ** 9, rel=0.001)


def test_budget_risk_uses_the_forecast(db):
    """Forecast years: cost = Σ marts.forecast cost; the gap keeps the fit year's share of cost."""
    fc = {(g, y): c for g, y, c in q(db, "SELECT gemeente_code, year, sum(forecast_cost_eur) FROM marts.forecast GROUP BY ALL")}
    fit = q(db, "SELECT max(fit_year) FROM marts.forecast")[0][0]
    obs = {g: gap / cost for g, cost, gap in q(db, f"SELECT gemeente_code, cost_eur, gap_cost_eur FROM marts.budget_risk WHERE bron = 'waarneming' AND year = {fit}")}
    rows = q(db, "SELECT gemeente_code, year, cost_eur, gap_cost_eur, budget_eur FROM marts.budget_risk WHERE bron = 'prognose'")
    assert rows and {y for _, y, *_ in rows} == {y for _, y in fc if y > fit}
    for g, y, cost, gap, budget in rows:
        assert cost == pytest.approx(fc[(g, y)]) and gap == pytest.approx(cost * obs[g])
    assert any(b is not None for *_, b in rows)  # the budget of the year after the data is known


# --- 2. time to start, waiting list, stops -----------------------------------------------------------


def _new_requests(raw):
    return {k: r for k, r in raw["ind"].items() if r["leveringsvorm"] == "ZIN" and k not in raw["replaces"]}


def test_time_to_start_matches_raw_and_planted_trend(run, raw, db):
    waits = defaultdict(list)
    waits_normaal = defaultdict(list)
    for k, r in _new_requests(raw).items():
        s = raw["starts"].get(k)
        if s and raw["first"] <= s <= raw["last"]:
            waits[(r["gemeente_code"], s.year)].append((s - r["toew"]).days)
            if r["urgentie"] == "normaal":
                waits_normaal[(r["gemeente_code"], s.year)].append((s - r["toew"]).days)
    got = {(g, y, u): (n, med, p90) for g, y, u, n, med, p90 in q(db, """
        SELECT gemeente_code, year, urgentie, starts, median_days_to_start, p90_days_to_start
        FROM marts.time_to_start_year WHERE aanbieder_agb = 'alle'""")}
    for (g, y), w in waits.items():
        n, med, p90 = got[(g, y, "alle")]
        assert n == len(w)
        assert med == pytest.approx(float(np.quantile(w, 0.5)))
        assert p90 == pytest.approx(float(np.quantile(w, 0.9)))
    # the monthly mart holds the same starts
    (total,) = q(db, "SELECT sum(starts) FROM marts.time_to_start")[0]
    assert total == sum(len(w) for w in waits.values())
    # planted: median of the normal-urgency waits follows WAIT_MEDIAN (7 days up to 2021, 21 from 2025)
    planted = run.manifest["delivery"]["time_to_start"]
    med = {y: got[("GM9901", y, "normaal")][1] for y in range(2016, 2027)}
    print("median days to start GM9901 (normaal) vs planted:",
          {y: (med[y], planted["per_year"][str(y)]["planted_median"]) for y in med})
    for y in range(2016, 2027):
        assert med[y] == pytest.approx(planted["per_year"][str(y)]["planted_median"], rel=0.25), y
    assert 2.0 <= np.mean([med[2025], med[2026]]) / np.mean([med[y] for y in range(2016, 2022)]) <= 4.0
    # realised (all urgencies, region) from the manifest, within what the planted defects can move
    for y in range(2016, 2027):
        w = sum((waits[(g, y)] for g in ("GM9901", "GM9902")), [])
        assert float(np.median(w)) == pytest.approx(planted["per_year"][str(y)]["realised_median"], abs=1.0)


def test_waiting_list_matches_raw(raw, db):
    n_days = q(db, "SELECT any_value(waiting_days) FROM marts.waiting_list")[0][0]
    assert n_days == 14
    new = _new_requests(raw)
    for month_end in (date(2019, 6, 30), date(2025, 12, 31), date(2026, 3, 31)):
        exp = Counter()
        for k, r in new.items():
            s = raw["starts"].get(k)
            if (raw["first"] <= r["toew"] <= month_end - timedelta(n_days) and (s is None or s > month_end)
                    and (r["end"] is None or r["end"] > month_end)):
                exp[(r["gemeente_code"], r["urgentie"] or "onbekend")] += 1
        got = {(g, u): n for g, u, n in q(db, f"""SELECT gemeente_code, urgentie, sum(waiting) FROM marts.waiting_list
                                                  WHERE month_end = DATE '{month_end}' GROUP BY ALL""")}
        assert got == dict(exp), month_end
    # the list grows with the times to start
    w = dict(q(db, "SELECT year, avg(w) FROM (SELECT year, month, sum(waiting) AS w FROM marts.waiting_list GROUP BY ALL) GROUP BY ALL"))
    assert w[2025] > 2 * w.get(2018, 0)


def test_care_stops_match_raw_and_manifest(run, raw, db):
    exp = Counter()
    for k, (end, reden) in raw["stops"].items():
        if k in raw["ind"] and raw["first"] <= end <= raw["last"]:
            exp[(end.year, reden)] += 1
    got = {(y, r): n for y, r, n in q(db, "SELECT year, reden, sum(stops) FROM marts.care_stops GROUP BY ALL")}
    assert got == dict(exp)
    planted = run.manifest["delivery"]["care_stops"]["per_year"]
    total_planted = sum(sum(v.values()) for v in planted.values())
    assert sum(got.values()) == pytest.approx(total_planted, rel=0.02)  # only planted defects differ
    for y, per in planted.items():
        for reden, n in per.items():
            assert got.get((int(y), reden), 0) == pytest.approx(n, abs=max(2, 0.05 * n)), (y, reden)
    assert got[(2026, "36")] > 0  # the herindicatie round ends toewijzingen on the gemeente's initiative


# --- 3. durations, herindicaties, product mix --------------------------------------------------------


def test_indication_durations_match_raw(raw, db):
    exp = Counter()
    for r in raw["ind"].values():
        if raw["first"].year <= r["start"].year <= raw["last"].year:
            cls = "onbepaald" if r["end"] is None else ("kort" if (r["end"] - r["start"]).days + 1 < 365 else "lang")
            exp[(r["gemeente_code"], r["start"].year, cls)] += 1
    got = {(g, y, k): n for g, y, k, n in q(db, "SELECT gemeente_code, year, duration_class, indications FROM marts.indication_durations") if n}
    assert got == dict(exp)


def test_herindicatie_round_2026_recovered(run, raw, db):
    truth = run.manifest["delivery"]["herindicatie_round"]
    assert truth is not None
    rows = [(k, o) for k, o in raw["replaces"].items() if raw["ind"][o]["reden_wijziging"] == truth["reden_wijziging"]]
    before = sum(raw["ind"][o]["hpw"] for _, o in rows)
    after = sum(raw["ind"][k]["hpw"] for k, _ in rows)
    trans = {(raw["ind"][k]["start"] - raw["ind"][k]["toew"]).days for k, _ in rows}
    n, lowered, hb, ha, td = q(db, f"""
        SELECT sum(herindicaties), sum(lowered), sum(hours_per_week_before), sum(hours_per_week_after),
               sum(mean_transition_days * herindicaties) / sum(herindicaties)
        FROM marts.herindicaties WHERE reden_wijziging = '{truth['reden_wijziging']}'""")[0]
    print(f"herindicatie round: {n} herindicaties (planted {truth['herindicaties']}), hours/week {hb:.2f} -> {ha:.2f} "
          f"(planted {truth['hours_per_week_before']} -> {truth['hours_per_week_after']}), transition {td} days "
          f"(planted {truth['transition_days']})")
    assert n == len(rows) and lowered == n  # every one of them lowers hours
    assert hb == pytest.approx(before) and ha == pytest.approx(after)
    assert trans == {truth["transition_days"]} and td == pytest.approx(truth["transition_days"])
    # against the planted truth: only rows hit by a planted defect can be missing
    assert n == pytest.approx(truth["herindicaties"], rel=0.03)
    assert ha / hb == pytest.approx(truth["hours_per_week_after"] / truth["hours_per_week_before"], abs=0.01)
    assert q(db, f"SELECT DISTINCT year FROM marts.herindicaties WHERE reden_wijziging = '{truth['reden_wijziging']}'") == [(2026,)]


def test_product_adoption_biweekly_grows(db):
    s = dict(q(db, "SELECT year, share_of_clients_product FROM marts.product_adoption WHERE gemeente_code = 'GM9901' AND product_code = '01A02'"))
    assert s[2021] == 0 and s[2025] > s[2022] > 0


# --- suppression of the new count columns ------------------------------------------------------------


def test_published_delivery_marts_hide_small_counts(run, tmp_path):
    from hbh_monitor import publish

    import shutil

    env_threshold = 10  # HBH_SUPPRESSION_THRESHOLD default
    work = tmp_path / "work.duckdb"  # a copy: the module's read-only connection stays open
    shutil.copyfile(run.warehouse, work)
    con = duckdb.connect(str(work))
    try:
        publish.publish_snapshot(con, "test", True, target=tmp_path / "snap.duckdb")
    finally:
        con.close()
    with duckdb.connect(str(tmp_path / "snap.duckdb"), read_only=True) as snap:
        for table, count, derived in (("time_to_start", "starts", "median_days_to_start"),
                                      ("time_to_start_year", "starts", "p90_days_to_start"),
                                      ("waiting_list", "waiting", "median_days_waiting"),
                                      ("care_stops", "stops", None),
                                      ("herindicaties", "herindicaties", "hours_per_week_after"),
                                      ("indication_durations", "indications", "share_of_indications")):
            small = snap.sql(f"SELECT count(*) FROM marts.{table} WHERE {count} < {env_threshold}").fetchall()[0][0]
            assert small == 0, table
            if derived:
                leak = snap.sql(f"SELECT count(*) FROM marts.{table} WHERE {count} IS NULL AND {derived} IS NOT NULL").fetchall()[0][0]
                assert leak == 0, table
