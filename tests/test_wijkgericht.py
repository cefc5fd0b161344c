"""Wijkgericht werken: marts.wijk_concentration against an independent computation from the raw landing
files (Python's csv module, never the pipeline's SQL), its suppression in the council snapshot, and the
council page (dashboards/views/wijkgericht.py) with Streamlit's AppTest."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from support import clean_rows, parse_date

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboards" / "app.py"
END = date(9999, 12, 31)


def independent_switches(indicaties, years):
    """(wijk, year) -> ZIN clients, and clients whose new ZIN indication (by ingangsdatum, then number) is at
    another aanbieder than their previous one. ``indicaties``: dicts with the landing file's columns."""
    zin = defaultdict(set)
    by_client = defaultdict(list)
    for r in indicaties:
        if r["leveringsvorm"] != "ZIN" or not r["aanbieder_agb"]:
            continue
        start, end = parse_date(r["ingangsdatum"]), parse_date(r["einddatum"] or "") or END
        by_client[r["bsn"]].append((start, int(r["toewijzing_nummer"]), r["aanbieder_agb"], r["wijk_code"]))
        for y in years:
            if start <= date(y, 12, 31) and end >= date(y, 1, 1):
                zin[(r["wijk_code"], y)].add(r["bsn"])
    switched = defaultdict(set)
    for bsn, rows in by_client.items():
        rows.sort()
        for prev, cur in zip(rows, rows[1:]):
            if cur[2] != prev[2] and cur[0].year in years:
                switched[(cur[3], cur[0].year)].add(bsn)
    return {"zin": {k: len(v) for k, v in zin.items()}, "switched": {k: len(v) for k, v in switched.items()}}


@pytest.fixture(scope="module")
def raw(pipeline_run):
    """Per wijk × aanbieder × year the ZIN clients and declared hours, from the landing files."""
    ind = {}
    for r in clean_rows(pipeline_run, "indicaties"):
        ind[(r["gemeente_code"], int(r["toewijzing_nummer"]))] = r  # a later delivery replaces an earlier one
    decl = {}
    for r in clean_rows(pipeline_run, "declaraties"):
        decl[(r["aanbieder_agb"], r["referentie_nummer"])] = r
    d_from = min(parse_date(r["begindatum"]) for r in decl.values())
    d_to = max(parse_date(r["einddatum"]) for r in decl.values())
    years = list(range(d_from.year, d_to.year + 1))
    aanb_clients = defaultdict(set)
    for r in ind.values():
        start, end = parse_date(r["ingangsdatum"]), parse_date(r["einddatum"]) or END
        if r["leveringsvorm"] != "ZIN" or not r["aanbieder_agb"]:
            continue
        for y in years:
            if start <= date(y, 12, 31) and end >= date(y, 1, 1):
                aanb_clients[(r["wijk_code"], r["aanbieder_agb"], y)].add(r["bsn"])
    aanb_hours = defaultdict(float)
    for r in decl.values():
        i = ind.get((r["gemeente_code"], int(r["toewijzing_nummer"])))
        if i is None:
            continue
        sign = -1 if r["debet_credit"] == "C" else 1
        hours = sign * int(r["geleverd_volume"]) * (60 if r["eenheid"] == "04" else 1) / 60
        aanb_hours[(i["wijk_code"], r["aanbieder_agb"], parse_date(r["begindatum"]).year)] += hours
    return {"years": years, "indicaties": list(ind.values()), "aanb_clients": aanb_clients, "aanb_hours": aanb_hours}


@pytest.fixture(scope="module")
def switches(raw):
    return independent_switches(raw["indicaties"], raw["years"])


def test_hhi_and_shares_add_up_against_the_raw_files(raw, switches, warehouse):
    mart = warehouse.sql("SELECT * FROM marts.wijk_concentration").pl()
    aw = warehouse.sql("SELECT * FROM marts.aanbieder_wijk_year").pl()
    assert mart.height > 0
    # the independent index: Σ (hours of the aanbieder / hours of the wijk)² and the same by clients
    hours, clients = defaultdict(dict), defaultdict(dict)
    for (wijk, agb, y), h in raw["aanb_hours"].items():
        hours[(wijk, y)][agb] = h
    for (wijk, agb, y), s in raw["aanb_clients"].items():
        clients[(wijk, y)][agb] = len(s)
    keys = set(hours) | set(clients)
    assert {(r["wijk_code"], r["year"]) for r in mart.iter_rows(named=True)} == keys
    checked = 0
    for r in mart.iter_rows(named=True):
        k = (r["wijk_code"], r["year"])
        h = hours.get(k, {})
        total_h = sum(h.values())
        if total_h:
            assert r["hhi"] == pytest.approx(sum((v / total_h) ** 2 for v in h.values()), abs=1e-9), k
            top = max(h.values()) / total_h
            assert r["main_market_share"] == pytest.approx(top, abs=1e-9), k
            checked += 1
        cl = clients.get(k, {})
        total_c = sum(cl.values())
        if total_c:
            assert r["hhi_clients"] == pytest.approx(sum((v / total_c) ** 2 for v in cl.values()), abs=1e-9), k
        assert r["aanbieders_in_wijk"] == len(set(h) | set(cl)), k
        assert r["zin_clients"] == switches["zin"].get(k, 0), k
        assert r["switched_clients"] == switches["switched"].get(k, 0), k
        assert 1 / r["aanbieders_in_wijk"] - 1e-9 <= (r["hhi"] if r["hhi"] is not None else 1) <= 1 + 1e-9
    assert checked > 20
    # the shares the page shows add up to 1 per wijk and year, over the aanbieders of marts.aanbieder_wijk_year
    sums = aw.group_by("wijk_code", "year").agg(pl.col("market_share").sum(), pl.col("clients_share").sum(),
                                                pl.col("declared_hours").sum())
    sums = sums.filter(pl.col("declared_hours") > 0)
    assert (sums["market_share"] - 1).abs().max() < 1e-9
    assert (sums["clients_share"] - 1).abs().max() < 1e-9
    # the demo plants one main aanbieder per wijk (a small share of clients changes aanbieder at a herindicatie,
    # see tests/test_switches.py): the care stays concentrated
    assert mart.filter(pl.col("year") == max(raw["years"]))["hhi"].median() > 0.3


def test_switches_are_counted_as_an_independent_count_does(tmp_path):
    """The mart's SQL on a small registration with switches, against the same independent count."""
    from hbh_monitor.models import build, sql_models

    rows = [  # bsn, toewijzing, wijk, agb, ingangsdatum, einddatum, leveringsvorm
        ("A", 1, "WK990101", "98104521", "2022-01-01", "2022-12-31", "ZIN"),
        ("A", 2, "WK990101", "98117830", "2023-01-01", "", "ZIN"),          # switch in 2023
        ("B", 3, "WK990101", "98104521", "2021-03-01", "2023-05-31", "ZIN"),
        ("B", 4, "WK990101", "98104521", "2023-06-01", "", "ZIN"),          # same aanbieder: no switch
        ("C", 5, "WK990102", "98104521", "2022-02-01", "2022-06-30", "ZIN"),
        ("C", 6, "WK990102", "", "2022-07-01", "2023-01-31", "PGB"),        # pgb in between
        ("C", 7, "WK990102", "98122964", "2023-02-01", "", "ZIN"),          # switch in 2023, other wijk
        ("D", 8, "WK990101", "98117830", "2023-03-01", "", "ZIN"),          # first ZIN: no switch
        ("E", 9, "WK990101", "98117830", "2022-01-01", "2022-03-31", "ZIN"),
        ("E", 10, "WK990101", "98104521", "2022-04-01", "2022-08-31", "ZIN"),  # two switches in 2022
        ("E", 11, "WK990101", "98117830", "2022-09-01", "", "ZIN"),
    ]
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    for schema in ("staging", "marts"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute("CREATE TABLE staging.data_period AS SELECT DATE '2022-01-01' AS data_from, DATE '2023-12-31' AS data_to")
    con.execute("CREATE TABLE staging.indicaties (client_id VARCHAR, toewijzing_nummer BIGINT, wijk_code VARCHAR, "
                "aanbieder_agb VARCHAR, start_date DATE, end_date DATE, leveringsvorm VARCHAR)")
    con.executemany("INSERT INTO staging.indicaties VALUES (?, ?, ?, nullif(?, ''), ?::DATE, nullif(?, '')::DATE, ?)",
                    [list(r) for r in rows])
    con.execute("CREATE TABLE marts.aanbieder_wijk_year AS SELECT 'GM9901' AS gemeente_code, 'Demostad' AS gemeente_name, "
                "w AS wijk_code, w AS wijk_name, 'x' AS aanbieder_agb, 'x' AS aanbieder_name, y AS year, 1 AS clients, "
                "1.0 AS market_share, 1.0 AS clients_share, 1 AS aanbieders_in_wijk, 1.0 AS hhi "
                "FROM (VALUES ('WK990101'), ('WK990102')) a(w), (VALUES (2022), (2023)) b(y)")
    dicts = [dict(zip(("bsn", "toewijzing_nummer", "wijk_code", "aanbieder_agb", "ingangsdatum", "einddatum",
                       "leveringsvorm"), r)) for r in rows]
    want = independent_switches(dicts, [2022, 2023])
    # zin_clients is marts.delivery_year's count (all aanbieders): that table, with the independent count
    con.execute("CREATE TABLE marts.delivery_year (gemeente_code VARCHAR, wijk_code VARCHAR, aanbieder_agb VARCHAR, "
                "year INTEGER, clients BIGINT)")
    con.executemany("INSERT INTO marts.delivery_year VALUES ('GM9901', ?, 'alle', ?, ?)",
                    [[w, y, n] for (w, y), n in want["zin"].items()])
    model = next(m for m in sql_models() if m.table == "marts.wijk_concentration")
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    build(con, model)
    got = {(w, y): (z, s) for w, y, z, s in con.execute(
        "SELECT wijk_code, year, zin_clients, switched_clients FROM marts.wijk_concentration").fetchall()}
    assert got == {k: (want["zin"].get(k, 0), want["switched"].get(k, 0)) for k in got}
    assert got[("WK990101", 2023)][1] == 1 and got[("WK990102", 2023)][1] == 1 and got[("WK990101", 2022)][1] == 1


def test_council_snapshot_hides_small_counts_and_what_rests_on_them(pipeline_run):
    council = pipeline_run.serving.with_name("hbh_serving_council.duckdb")
    with duckdb.connect(str(council), read_only=True) as con:
        t = con.execute("SELECT suppression_threshold FROM meta.refresh").fetchall()[0][0]
        df = con.sql("SELECT * FROM marts.wijk_concentration").pl()
        doc = con.execute("SELECT description_nl FROM meta.model_docs WHERE table_name = 'marts.wijk_concentration'"
                          ).fetchall()[0][0]
    assert doc and "HHI" in doc
    for col in ("zin_clients", "switched_clients"):
        assert df.filter(pl.col(col) < t).is_empty(), col
    # few clients switch per wijk and year: most switched counts are below the threshold, and a hidden count
    # hides its share with it
    assert df["switched_clients_suppressed"].sum() > df.height / 2
    assert df.filter(pl.col("switched_clients_suppressed"))["share_switched"].is_null().all()
    assert df.filter(~pl.col("zin_clients_suppressed"))["hhi"].null_count() < df.height


def test_council_shares_are_of_all_aanbieders_never_of_the_shown_ones_only(pipeline_run):
    """A client share (and the HHI by clients) in the council snapshot is over every aanbieder of the wijk: where
    one aanbieder's count is hidden the wijk's shares are empty, instead of the shown counts' shares of each
    other (which made a wijk with six aanbieders read as "one aanbieder has all clients")."""
    council = pipeline_run.serving.with_name("hbh_serving_council.duckdb")
    with duckdb.connect(str(council), read_only=True) as con:
        aw = con.sql("SELECT wijk_code, year, clients, clients_share FROM marts.aanbieder_wijk_year").pl()
        conc = con.sql("SELECT wijk_code, year, hhi_clients FROM marts.wijk_concentration").pl()
    per_wijk = aw.group_by("wijk_code", "year").agg(hidden=pl.col("clients").is_null().any(), total=pl.col("clients").sum())
    assert per_wijk["hidden"].any(), "the demo has wijken where an aanbieder's count is hidden"
    rows = aw.join(per_wijk, on=["wijk_code", "year"])
    assert rows.filter(pl.col("hidden"))["clients_share"].is_null().all()
    shown = rows.filter(~pl.col("hidden") & (pl.col("total") > 0))
    assert ((shown["clients_share"] - shown["clients"] / shown["total"]).abs() < 1e-9).all()
    hidden_wijken = per_wijk.filter(pl.col("hidden")).join(conc, on=["wijk_code", "year"])
    assert hidden_wijken["hhi_clients"].is_null().all()


def test_a_small_wijk_hides_its_indices(tmp_path):
    """The publishing step hides the HHI and shares of a wijk whose ZIN client count is hidden."""
    from hbh_monitor.publish import _suppressed_select

    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.wijk_concentration AS SELECT * FROM (VALUES "
                "('GM9901', 'WK990101', 2024, 250::BIGINT, 0.61, 0.55, 0.70, 12::BIGINT, 0.048), "
                "('GM9901', 'WK990102', 2024, 7::BIGINT, 0.80, 0.75, 0.90, 0::BIGINT, 0.0), "
                "('GM9901', 'WK990103', 2024, 140::BIGINT, 0.52, 0.50, 0.66, 15::BIGINT, 0.107)) "
                "v(gemeente_code, wijk_code, year, zin_clients, hhi, hhi_clients, main_market_share, switched_clients, "
                "share_switched)")
    out = {r[0]: r for r in con.execute(
        "SELECT wijk_code, zin_clients, hhi, hhi_clients, main_market_share, switched_clients, share_switched FROM ("
        + _suppressed_select(con, "marts.wijk_concentration", 10) + ")").fetchall()}
    assert out["WK990102"][1:] == (None, None, None, None, None, None)
    # secondary: the next-smallest wijk is hidden too, so 7 cannot be recomputed from a total
    assert out["WK990103"][1] is None and out["WK990103"][2] is None
    assert (out["WK990101"][1], float(out["WK990101"][2])) == (250, 0.61)


@pytest.fixture
def published(serving_db, monkeypatch) -> Path:
    monkeypatch.setenv("HBH_SERVING", str(serving_db))
    return Path(serving_db)


def _frame(at, column):
    """The shown table that has ``column`` (st.dataframe keys are not exposed to AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_page_shows_concentration_aanbieders_and_switches(published, monkeypatch):
    monkeypatch.setenv("HBH_DASHBOARD_MODE", "council")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("views/wijkgericht.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Wijkgericht werken"]
    heads = [s.value for s in at.subheader]
    assert any(h.startswith("Concentratie per wijk") for h in heads), heads
    assert any(h.startswith("Vast gezicht") for h in heads) and any(h.startswith("Waar werkt") for h in heads)
    assert any(h.startswith("Aandeel van de uren per aanbieder") for h in heads)
    assert len(at.get("plotly_chart")) == 2  # HHI over the years, shares of the hours per wijk
    at.selectbox(key="wg_gemeente").set_value("GM9901").run()
    year = at.selectbox(key="wg_jaar").value
    council = Path(published).with_name("hbh_serving_council.duckdb")
    with duckdb.connect(str(council), read_only=True) as con:
        snap = dict(con.execute("SELECT wijk_name, round(hhi, 3) FROM marts.wijk_concentration "
                                "WHERE gemeente_code = 'GM9901' AND year = ?", [year]).fetchall())
        before = dict(con.execute("SELECT wijk_name, round(hhi, 3) FROM marts.wijk_concentration "
                                  "WHERE gemeente_code = 'GM9901' AND year = 2022").fetchall())
    table = _frame(at, "HHI (uren)")
    shown = dict(zip(table["Wijk"], table["HHI (uren)"]))
    assert shown.keys() == snap.keys()
    assert {w: v for w, v in shown.items() if v == v and v is not None} == pytest.approx(
        {w: v for w, v in snap.items() if v is not None})
    if year >= 2023:  # since the 2023 contract: the year before it is compared
        col = "HHI 2022 (vóór contract 2023)"
        assert col in table.columns
        got = {w: v for w, v in zip(table["Wijk"], table[col]) if v == v and v is not None}
        assert got == pytest.approx({w: before[w] for w in got})
    # aanbieders of one wijk and the wijken of one aanbieder
    assert _frame(at, "Aandeel uren (%)").shape[0] >= 1
    assert _frame(at, "Aandeel uren in de wijk (%)").shape[0] >= 1
