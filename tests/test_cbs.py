"""CBS open data beside our own: the StatLine importer on the real table layout (fixtures the project writes
with hbh_demo.cbs_export.write_statline), the benchmark percentile against a hand computation, the
cbsodata conversion (without network), and the published comparison and page on the demo."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from hbh_monitor.cbs_fetch import statline_rows
from hbh_monitor.contracts import load_contracts
from hbh_demo.cbs_export import write_statline
from hbh_monitor.ingest import ingest_dataset
from hbh_monitor.models import build, sql_models

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboards" / "app.py"

# The layout of 85639NED (Wmo-cliënten; type maatwerkvoorziening, wijken) as StatLine exports it.
WMO_HEADER = ["ID", "WijkenEnBuurten", "TypeMaatwerkarrangement", "Perioden", "Gemeentenaam_1", "SoortRegio_2",
              "Codering_3", "WmoClienten_4", "WmoClientenPer1000Inwoners_5"]
# The layout of a Kerncijfers wijken en buurten table (the number suffixes differ per year).
KWB_HEADER = ["ID", "WijkenEnBuurten", "Gemeentenaam_1", "SoortRegio_2", "Codering_3",
              "IndelingswijzigingWijkenEnBuurten_4", "AantalInwoners_5", "Mannen_6", "Vrouwen_7", "k_0Tot15Jaar_8",
              "k_15Tot25Jaar_9", "k_25Tot45Jaar_10", "k_45Tot65Jaar_11", "k_65JaarOfOuder_12",
              "MateVanStedelijkheid_116"]


def pad(code: str) -> str:
    return f"{code:<10}"


def wmo_row(code, kind, clients, rate, period="2023JJ00", typ="Hulp bij het huishouden", gemeente="Nijmegen"):
    return [pad(code), typ, period, f"{gemeente:<40}", f"{kind:<10}", pad(code), clients, rate]


def load(con, landing: Path, *datasets: str):
    contracts = load_contracts()
    return {d: ingest_dataset(con, contracts[d], landing, b"") for d in datasets}


def test_importer_reads_the_statline_layout(tmp_path, capsys):
    landing = tmp_path / "landing"
    rows = [
        wmo_row("NL01", "Land", "484010", "27.0", gemeente="Nederland"),
        wmo_row("GM0268", "Gemeente", "5215", "28.1"),
        wmo_row("WK026801", "Wijk", "  425", " 24.6"),
        wmo_row("WK026802", "Wijk", None, None),                       # "." secret: fewer than 10
        wmo_row("WK026803", "Wijk", "-", "-"),                          # "-" nil
        wmo_row("WK026804", "Wijk", "x", "x"),                          # "x" secret
        wmo_row("WK026801", "Wijk", "1450", "84.0", typ="Totaal Wmo-maatwerkvoorzieningen"),
        wmo_row("WK026801", "Wijk", "390", "22.6", period="2023HJ01"),
        wmo_row("WK026805", "Wijk", "120", "9.9", period="2023XX01"),   # not a StatLine period
    ]
    name = "85639NED_UntypedDataSet_03122026_104512.csv"
    write_statline(landing / "cbs_wmo" / name, WMO_HEADER, rows)
    write_statline(landing / "cbs_wmo" / "export_zonder_tabelnummer.csv", WMO_HEADER, rows[:2])
    con = duckdb.connect()
    res = {r.source_file: r for r in load(con, landing, "cbs_wmo")["cbs_wmo"]}
    ok = res[f"cbs_wmo/{name}"]
    assert (ok.status, ok.rows_in, ok.rows_loaded, ok.rows_quarantined) == ("geladen", 9, 8, 1)
    bad = res["cbs_wmo/export_zonder_tabelnummer.csv"]
    assert bad.status == "fout" and "export_zonder_tabelnummer.csv" in bad.message and "tabelnummer" in bad.message
    fmt = con.execute("SELECT file_format FROM meta.ingestion_ledger WHERE source_file = ?", [f"cbs_wmo/{name}"]).fetchall()
    assert fmt == [("statline",)]
    got = con.sql("SELECT source_line, table_id, period, year, region_code, region_kind, type_maatwerk, wmo_clients, "
                  "wmo_clients_per_1000, secret FROM raw.cbs_wmo ORDER BY source_line").pl()
    with capsys.disabled():
        print(f"\nStatLine export {name} read into raw.cbs_wmo:")
        print(got)
    assert got["table_id"].unique().to_list() == ["85639NED"]  # every row carries its table id and period
    assert got["period"].null_count() == 0
    by_line = {r["source_line"]: r for r in got.iter_rows(named=True)}
    assert by_line[4]["region_code"] == "WK026801" and by_line[4]["wmo_clients"] == 425
    assert by_line[4]["wmo_clients_per_1000"] == pytest.approx(24.6) and by_line[4]["secret"] == "nee"
    assert by_line[4]["year"] == 2023 and by_line[4]["region_kind"] == "Wijk"
    assert by_line[5]["wmo_clients"] is None and by_line[5]["secret"] == "ja"
    assert by_line[6]["wmo_clients"] == 0 and by_line[6]["secret"] == "nee"
    assert by_line[7]["wmo_clients"] is None and by_line[7]["secret"] == "ja"
    assert by_line[9]["period"] == "2023HJ01"
    rules, reason, line = con.execute("SELECT rules, reason, source_line FROM meta.quarantine").fetchall()[0]
    assert line == 10 and "pattern:period" in rules and "2023XX01" in reason
    # the year figure wins over the half year in staging, HbH only
    con.execute("CREATE SCHEMA staging")
    build(con, next(m for m in sql_models() if m.table == "staging.cbs_wmo"))
    st = dict(con.execute("SELECT region_code, cbs_clients FROM staging.cbs_wmo").fetchall())
    assert st == {"NL01": 484010, "GM0268": 5215, "WK026801": 425, "WK026802": None, "WK026803": 0, "WK026804": None}


def test_kwb_columns_are_matched_on_their_name_and_the_year_comes_from_the_table(tmp_path):
    landing = tmp_path / "landing"
    renumbered = [h if not h.startswith(("k_", "MateVan")) else h.rsplit("_", 1)[0] + "_" + str(int(h.rsplit("_", 1)[1]) + 3)
                  for h in KWB_HEADER]
    row = [pad("WK026801"), f"{'Nijmegen':<40}", "Wijk      ", pad("WK026801"), "1", "17255", "8400", "8855",
           "2160", "3990", "5130", "3310", "2665", "1"]
    write_statline(landing / "cbs_kwb" / "85618NED_UntypedDataSet_01122026_090000.csv", KWB_HEADER, [row])
    write_statline(landing / "cbs_kwb" / "85984NED_UntypedDataSet_01122026_090000.csv", renumbered,
                   [row[:-1] + [None]])
    con = duckdb.connect()
    res = load(con, landing, "cbs_kwb")["cbs_kwb"]
    assert [(r.status, r.rows_loaded) for r in res] == [("geladen", 1), ("geladen", 1)]
    got = con.execute("SELECT table_id, year, inhabitants, age_65plus, urbanity, secret FROM raw.cbs_kwb ORDER BY year").fetchall()
    assert got == [("85618NED", 2023, 17255, 2665, 1, "nee"), ("85984NED", 2024, 17255, 2665, None, "ja")]


def _benchmark_db(tmp_path, wmo_rows, kwb_rows, wijken):
    landing = tmp_path / "landing"
    write_statline(landing / "cbs_wmo" / "85639NED_UntypedDataSet_2023.csv", WMO_HEADER, wmo_rows)
    write_statline(landing / "cbs_kwb" / "85618NED_UntypedDataSet_2023.csv", KWB_HEADER, kwb_rows)
    (landing / "wijken").mkdir(parents=True)
    (landing / "wijken" / "wijken.csv").write_text(
        "gemeente_code;gemeente_naam;wijk_code;wijk_naam\n" + "".join(";".join(w) + "\n" for w in wijken), encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    load(con, landing, "wijken", "cbs_wmo", "cbs_kwb")
    models = {m.table: m for m in sql_models()}
    for t in ("staging.wijken", "staging.cbs_wmo", "staging.cbs_kwb", "marts.cbs_benchmark"):
        build(con, models[t])
    return con


def kwb_row(code, inhabitants, over65, urbanity, kind="Wijk"):
    return [pad(code), f"{'x':<40}", f"{kind:<10}", pad(code), "1", str(inhabitants), "0", "0", "0", "0", "0", "0",
            str(over65), str(urbanity)]


def test_benchmark_percentile_against_a_hand_computation(tmp_path):
    # our wijk: 30.0 per 1,000, urbanity 2, 22% aged 65+ (class 20-25%)
    peers = [10.0, 20.0, 30.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]  # same kind
    others = [5.0, 95.0]  # other kind: urbanity 3, or 65+ 31%
    wmo = [wmo_row("WK999901", "Wijk", "300", "30.0"), wmo_row("WK999902", "Wijk", "990", "99.0")]
    kwb = [kwb_row("WK999901", 10000, 2200, 2), kwb_row("WK999902", 10000, 2300, 2)]  # our second wijk, same kind
    for i, r in enumerate(peers):
        code = f"WK9998{i:02d}"
        wmo.append(wmo_row(code, "Wijk", str(int(r * 10)), f"{r:.1f}"))
        kwb.append(kwb_row(code, 10000, 2000 + 40 * i, 2))
    wmo += [wmo_row("WK999790", "Wijk", "50", "5.0"), wmo_row("WK999791", "Wijk", "950", "95.0"),
            wmo_row("WK999792", "Wijk", None, None)]  # a secret peer does not count
    kwb += [kwb_row("WK999790", 10000, 2200, 3), kwb_row("WK999791", 10000, 3100, 2), kwb_row("WK999792", 10000, 2200, 2)]
    # gemeenten: ours 42,000 inhabitants (class 20-50,000), peers 25k..48k with known rates, one of 60k
    gem_rates = {"GM9999": 31.0, "GM9980": 25.0, "GM9981": 35.0, "GM9982": 45.0, "GM9983": 20.0, "GM9984": 31.0,
                 "GM9985": 10.0}
    sizes = {"GM9999": 42000, "GM9980": 25000, "GM9981": 30000, "GM9982": 48000, "GM9983": 21000, "GM9984": 35000,
             "GM9985": 60000}
    for g, r in gem_rates.items():
        wmo.append(wmo_row(g, "Gemeente", str(int(r * sizes[g] / 1000) // 5 * 5), f"{r:.1f}"))
        kwb.append(kwb_row(g, sizes[g], sizes[g] // 5, 2, kind="Gemeente"))
    con = _benchmark_db(tmp_path, wmo, kwb, [("GM9999", "Testgemeente", "WK999901", "Testwijk"),
                                             ("GM9999", "Testgemeente", "WK999902", "Tweede wijk")])
    w = con.sql("SELECT * FROM marts.cbs_benchmark WHERE region_code = 'WK999901'").pl().row(0, named=True)
    # by hand: 11 peers (the 10 + our other wijk at 99); 2 lower (10, 20), 2 equal (30, 30):
    # (2 + 2/2) / 11 = 0.2727 → round(10 × 0.7273) = 7: lower than 7 of 10
    assert (w["peer_regions"], w["peers_lower"], w["peers_equal"]) == (11, 2, 2)
    assert w["cbs_percentile"] == pytest.approx(3 / 11)
    assert w["cbs_sentence"] == "lager dan 7 van de 10 vergelijkbare wijken"
    assert w["peer_group"] == "stedelijkheid 2, 65+ 20-25%"
    assert w["peer_median"] == pytest.approx(50.0)
    w2 = con.sql("SELECT * FROM marts.cbs_benchmark WHERE region_code = 'WK999902'").pl().row(0, named=True)
    # 99 is above all 11 peers: percentile 1 → the extreme wording
    assert (w2["peer_regions"], w2["peers_lower"], w2["cbs_percentile"]) == (11, 11, 1.0)
    assert w2["cbs_sentence"] == "hoger dan vrijwel alle vergelijkbare wijken"
    g = con.sql("SELECT * FROM marts.cbs_benchmark WHERE level = 'gemeente'").pl().row(0, named=True)
    # by hand: peers of 20-50,000: 25, 35, 45, 20, 31 → lower 25, 20 (2), equal 31 (1): (2 + 0.5) / 5 = 0.5
    assert g["peer_group"] == "20.000-50.000 inwoners"
    assert (g["peer_regions"], g["peers_lower"], g["peers_equal"]) == (5, 2, 1)
    assert g["cbs_percentile"] == pytest.approx(0.5)
    assert g["cbs_sentence"] == "hoger dan 5 van de 10 vergelijkbare gemeenten"


def test_cbsodata_rows_become_the_statline_layout(tmp_path):
    """The conversion `make cbs` applies to what cbsodata returns (no network: a table as cbsodata gives it)."""
    data = [
        {"ID": 0, "WijkenEnBuurten": "NL01      ", "TypeMaatwerkarrangement": "A045400", "Perioden": "2023JJ00",
         "Gemeentenaam_1": "Nederland", "SoortRegio_2": "Land      ", "Codering_3": "NL01      ",
         "WmoClienten_4": "484010", "WmoClientenPer1000Inwoners_5": "27.0"},
        {"ID": 1, "WijkenEnBuurten": "WK026801  ", "TypeMaatwerkarrangement": "A045400", "Perioden": "2023JJ00",
         "Gemeentenaam_1": "Nijmegen", "SoortRegio_2": "Wijk      ", "Codering_3": "WK026801  ",
         "WmoClienten_4": "       .", "WmoClientenPer1000Inwoners_5": None},
        {"ID": 2, "WijkenEnBuurten": "WK036301  ", "TypeMaatwerkarrangement": "A045400", "Perioden": "2023JJ00",
         "Gemeentenaam_1": "Amsterdam", "SoortRegio_2": "Wijk      ", "Codering_3": "WK036301  ",
         "WmoClienten_4": "900", "WmoClientenPer1000Inwoners_5": "30.2"},
    ]
    dims = {"TypeMaatwerkarrangement": {"A045400": "Hulp bij het huishouden"},
            "Perioden": {"2023JJ00": "2023"}, "WijkenEnBuurten": {"WK026801  ": "Wijk 01 Centrum"}}
    header, rows = statline_rows(data, dims, regions=["GM0268"])
    assert [r[1] for r in rows] == ["NL01      ", "WK026801  "]  # Nederland + the chosen gemeente
    assert rows[1][2] == "Hulp bij het huishouden" and rows[1][3] == "2023JJ00" and rows[1][-1] == "."
    write_statline(tmp_path / "cbs_wmo" / "85639NED_UntypedDataSet_20261203.csv", header, [r[1:] for r in rows])
    con = duckdb.connect()
    (res,) = load(con, tmp_path, "cbs_wmo")["cbs_wmo"]
    assert (res.status, res.rows_loaded, res.rows_quarantined) == ("geladen", 2, 0)
    assert con.execute("SELECT count(*) FROM raw.cbs_wmo WHERE secret = 'ja' AND wmo_clients IS NULL").fetchall()[0][0] == 1


# --------------------------------------------------------------------------------------------------
# The demo: CBS's count beside ours, the benchmark sentence, the page
# --------------------------------------------------------------------------------------------------


def test_demo_comparison_and_benchmark_are_published(pipeline_run, warehouse):
    comp = warehouse.sql("SELECT * FROM marts.cbs_comparison").pl()
    assert comp.height > 0
    wy = dict(((w, y), c) for w, y, c in warehouse.execute("SELECT wijk_code, year, clients FROM marts.wijk_year").fetchall())
    for r in comp.filter(pl.col("wijk_code") != "alle").iter_rows(named=True):
        assert r["clients"] == wy[(r["wijk_code"], r["year"])]  # one figure, one number
        if r["cbs_clients"] is not None:
            assert r["cbs_clients"] % 5 == 0 and r["cbs_clients"] >= 10
            assert r["cbs_difference"] == r["clients"] - r["cbs_clients"]
    reasons = set(comp["cbs_gap_reason"])
    assert any("halfjaar" in x for x in reasons) and "definitie en moment van tellen verschillen" in reasons
    bm = warehouse.sql("SELECT * FROM marts.cbs_benchmark").pl()
    assert bm.filter(pl.col("cbs_percentile").is_not_null()).height > 20
    assert bm.filter(pl.col("level") == "gemeente").height > 0
    with duckdb.connect(str(pipeline_run.serving.with_name("hbh_serving_council.duckdb")), read_only=True) as con:
        for t in ("cbs_comparison", "cbs_benchmark"):
            small = con.execute(f"SELECT count(*) FROM marts.{t} WHERE cbs_clients < 10").fetchall()[0][0]
            assert small == 0, t
        leak = con.execute("SELECT count(*) FROM marts.cbs_comparison WHERE clients IS NULL AND cbs_difference IS NOT NULL"
                           ).fetchall()[0][0]
        assert leak == 0


def _frame(at, column):
    """The shown table that has ``column`` (st.dataframe keys are not exposed to AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_page_shows_cbs_beside_ours_and_the_benchmark_sentence(serving_db, monkeypatch):
    monkeypatch.setenv("HBH_SERVING", str(serving_db))
    monkeypatch.setenv("HBH_DASHBOARD_MODE", "council")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("views/cbs.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Vergelijken met CBS"]
    text = " ".join(m.value for m in at.markdown) + " ".join(str(c.value) for c in at.caption)
    assert "vergelijkbare wijken" in text and "definitie" in text.lower()
    comp = _frame(at, "Reden van het verschil")
    assert {"Onze cliënten", "CBS-cliënten", "Verschil", "Reden van het verschil"} <= set(comp.columns)
    bench = _frame(at, "Vergeleken met vergelijkbare wijken")
    assert "Vergeleken met vergelijkbare wijken" in bench.columns
