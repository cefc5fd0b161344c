"""Tests of the Streamlit dashboards (dashboards/app.py + views/), with Streamlit's AppTest.

The published snapshot comes from the ``serving_db`` fixture (tests/conftest.py: a real pipeline run
on small demo data). The page tests only assume the schema, not particular gemeenten or numbers.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboards" / "app.py"
sys.path.insert(0, str(ROOT / "dashboards"))

import common  # noqa: E402  (dashboards/common.py)

TIMEOUT = 60
OVERZICHT, WIJKEN, LEEFTIJD = "views/overzicht.py", "views/wijken.py", "views/leeftijd.py"
PAGES = {OVERZICHT: "Overzicht", WIJKEN: "Wijken", LEEFTIJD: "Leeftijd"}
DUTCH_INT = re.compile(r"^\d{1,3}(\.\d{3})*$")  # 5.123


def _sql(db: Path, q: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(q).fetchall()


def _open(page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    if page != OVERZICHT:
        at.switch_page(page).run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


@pytest.fixture
def published(serving_db, monkeypatch) -> Path:
    monkeypatch.setenv("HBH_SERVING", str(serving_db))
    return Path(serving_db)


# --- pages on the published snapshot -----------------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_with_title_charts_downloads_and_explanation(published, page):
    at = _open(page)
    assert [t.value for t in at.title] == [PAGES[page]]
    assert len(at.get("plotly_chart")) >= 1
    # every chart has a CSV and an Excel download and a "Hoe berekend?" expander
    assert len(at.get("download_button")) >= 2 * len(at.get("plotly_chart"))
    assert sum(e.label == "Hoe berekend?" for e in at.expander) >= len(at.get("plotly_chart"))
    # sidebar: publication time and data period
    sidebar = _texts(at.sidebar.markdown)
    assert "Gepubliceerd" in sidebar and "Gegevens over" in sidebar


@pytest.mark.parametrize("page", list(PAGES))
def test_demo_marker_on_every_page(published, page):
    (is_demo,) = _sql(published, "select is_demo from meta.refresh")[0]
    at = _open(page)
    has_banner = any("DEMO" in str(w.value) for w in at.warning)
    assert has_banner == bool(is_demo)


def test_overzicht_key_figures_regio_total_and_filters(published):
    at = _open(OVERZICHT)
    labels = [m.label for m in at.metric]
    assert labels == [
        "Cliënten",
        "Per 1.000 inwoners",
        "Per 1.000 inwoners 75+",
        "Geïndiceerde uren",
        "Gedeclareerde uren",
        "Kosten",
    ]
    # default = regio total of the latest year: the sum over the gemeenten (Dutch thousands dots)
    total, hidden = _sql(
        published,
        "select sum(clients), count(*) - count(clients) from marts.gemeente_year "
        "where year = (select max(year) from marts.gemeente_year)",
    )[0]
    shown = at.metric[0].value
    assert shown == ("≥ " if hidden else "") + common.fmt_number(total)
    assert DUTCH_INT.match(shown.removeprefix("≥ "))
    assert at.metric[5].value.startswith("€ ")
    assert "," in at.metric[1].value  # 12,3

    # a single gemeente, an older year, another measure: all rerun without error
    gem = at.selectbox(key="overzicht_gemeente")
    assert gem.value == common.REGIO
    gem.select_index(1).run()
    _ok(at)
    assert at.selectbox(key="overzicht_gemeente").value != common.REGIO
    at.selectbox(key="overzicht_jaar").select_index(1).run()
    _ok(at)
    at.radio(key="overzicht_maatstaf").set_value("Per 1.000 inwoners 75+").run()
    _ok(at)
    assert len(at.get("plotly_chart")) == 1


def test_wijken_table_filters_and_toggle(published):
    at = _open(WIJKEN)
    year = at.selectbox(key="wijken_jaar").value
    n_wijken, = _sql(published, f"select count(*) from marts.wijk_year where year = {year}")[0]
    table = at.dataframe[0].value
    assert len(table) == n_wijken
    assert {"Wijk", "Cliënten", "Cliënten per 1.000 inwoners"} <= set(table.columns)

    at.selectbox(key="wijken_gemeente").select_index(1).run()
    _ok(at)
    code = at.selectbox(key="wijken_gemeente").value
    n_gem, = _sql(
        published, f"select count(*) from marts.wijk_year where year = {year} and gemeente_code = '{code}'"
    )[0]
    assert len(at.dataframe[0].value) == n_gem

    at.toggle(key="wijken_75plus").set_value(True).run()
    _ok(at)
    at.selectbox(key="wijken_jaar").select_index(1).run()
    _ok(at)
    assert len(at.dataframe) == 1


def test_wijken_suppressed_counts_are_never_zero(published):
    """A NULL (suppressed) count must stay empty in the table (shown as '<10'), never become 0."""
    at = _open(WIJKEN)
    # the year with the most suppressed wijken (if the snapshot has any), else the default year
    (year,) = _sql(
        published,
        "select year from marts.wijk_year group by year order by count(*) - count(clients) desc, year desc limit 1",
    )[0]
    at.selectbox(key="wijken_jaar").set_value(int(year)).run()
    _ok(at)
    db = dict(_sql(published, f"select wijk_code, clients from marts.wijk_year where year = {year}"))
    table = at.dataframe[0].value
    for code, clients in zip(table["Wijkcode"], table["Cliënten"]):
        if db[code] is None:
            assert pd.isna(clients)
        else:
            assert clients == db[code]


def test_leeftijd_filter(published):
    at = _open(LEEFTIJD)
    assert len(at.get("plotly_chart")) == 2
    at.selectbox(key="leeftijd_gemeente").select_index(1).run()
    _ok(at)
    assert len(at.get("plotly_chart")) == 2


# --- no data / new data ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES))
def test_friendly_message_without_published_data(tmp_path, monkeypatch, page):
    monkeypatch.setenv("HBH_SERVING", str(tmp_path / "missing.duckdb"))
    at = _open(page)
    assert [t.value for t in at.title] == [PAGES[page]]
    assert any("Nog geen gepubliceerde gegevens" in str(i.value) for i in at.info)
    assert "make demo" in _texts(at.info)
    assert not at.get("plotly_chart")
    assert not at.dataframe


def test_new_snapshot_is_picked_up_after_atomic_swap(serving_db, tmp_path, monkeypatch):
    """The cache is keyed on the file, so a publish (os.replace) shows on the next rerun."""
    live = tmp_path / "serving.duckdb"
    shutil.copyfile(serving_db, live)
    monkeypatch.setenv("HBH_SERVING", str(live))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    _ok(at)
    assert "run-nieuw-123" not in _texts(at.sidebar.caption)

    new = tmp_path / "serving.new.duckdb"
    shutil.copyfile(serving_db, new)
    with duckdb.connect(str(new)) as con:
        con.execute("update meta.refresh set run_id = 'run-nieuw-123'")
    os.replace(new, live)
    at.run()
    _ok(at)
    assert "run-nieuw-123" in _texts(at.sidebar.caption)


# --- helpers (no snapshot needed) -------------------------------------------------------------------------


def test_dutch_number_formats():
    assert common.fmt_number(5123) == "5.123"
    assert common.fmt_number(1234567.4) == "1.234.567"
    assert common.fmt_rate(12.345) == "12,3"
    assert common.fmt_rate(-0.04) == "0,0"
    assert common.fmt_eur(1234567.4) == "€ 1.234.567"
    assert common.fmt_pct(0.162) == "16,2%"
    assert common.fmt_pct(0.162, signed=True) == "+16,2%"
    assert common.fmt_pct(-0.05, signed=True) == "-5,0%"
    assert common.fmt_count(None) == common.suppressed_label()
    assert common.fmt_count(0) == "0"
    assert common.fmt_number(None) == "–"
    assert common.change(116, 100) == pytest.approx(0.16)
    assert common.change(None, 100) is None and common.change(5, 0) is None
    assert common.fmt_years([2016, 2017, 2018, 2020]) == "2016–2018, 2020"


def _gemeente_rows() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "gemeente_code": ["GM1", "GM2", "GM1", "GM2"],
            "gemeente_name": ["A", "B", "A", "B"],
            "year": [2018, 2018, 2019, 2019],
            "clients": [100, 50, 120, None],  # B 2019 suppressed
            "inhabitants": [10_000, 5_000, 10_000, 5_000],
            "inhabitants_75plus": [1_000, 400, 1_000, 400],
            "clients_per_1000": [10.0, 10.0, 12.0, 1.4],  # 1.4 must be hidden (derived from a hidden count)
            "clients_per_1000_75plus": [100.0, 125.0, 120.0, 17.5],
            "cost_eur": [1.0, 2.0, 3.0, 4.0],
        }
    )


def test_region_total_sums_then_recomputes_rates():
    out = common.region_total(_gemeente_rows()).sort("year")
    y18, y19 = out.row(0, named=True), out.row(1, named=True)
    assert y18["clients"] == 150 and y18["inhabitants"] == 15_000
    assert y18["clients_per_1000"] == pytest.approx(10.0)  # 150 / 15.000 × 1.000
    assert y18["clients_per_1000_75plus"] == pytest.approx(150 / 1_400 * 1000)
    assert y18["_hidden"] == []
    # 2019: B is suppressed -> left out (lower bound), rate over A only, flagged
    assert y19["clients"] == 120 and y19["cost_eur"] == 7.0
    assert y19["clients_per_1000"] == pytest.approx(12.0)
    assert y19["_hidden"] == ["B"]
    assert "B" in common.hidden_note(out)


def test_protect_hides_rates_of_suppressed_counts():
    out = common.protect(_gemeente_rows())
    assert out["clients_per_1000"].to_list() == [10.0, 10.0, 12.0, None]
    assert out["clients_per_1000_75plus"][3] is None


def test_downloads_contain_exactly_the_data_with_suppressed_as_label():
    df = common.display_frame(
        common.protect(_gemeente_rows()), ["gemeente_name", "year", "clients", "clients_per_1000"]
    )
    lab = common.suppressed_label()
    csv = common.to_csv_bytes(df).decode("utf-8-sig")
    lines = csv.strip().splitlines()
    assert lines[0] == "Gemeente;Jaar;Cliënten;Cliënten per 1.000 inwoners"
    assert lines[1] == "A;2018;100;10,0"
    assert lines[4] == f"B;2019;{lab};"  # hidden count as '<10', hidden rate empty, never 0

    wb = openpyxl.load_workbook(io.BytesIO(common.to_excel_bytes(df, title="t", filters="f")))
    ws = wb["Gegevens"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Gemeente", "Jaar", "Cliënten", "Cliënten per 1.000 inwoners")
    assert rows[1] == ("A", 2018, 100, 10.0)
    assert rows[4][2] == lab and rows[4][3] is None
    assert len(rows) == df.height + 1
    assert "Toelichting" in wb.sheetnames


def test_dashboards_import_no_dagster_or_pipeline_code():
    """The dashboards may only use hbh_monitor.settings (fast start, no pipeline coupling)."""
    import subprocess

    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import common; "
        "bad = sorted(m for m in sys.modules if m.startswith('dagster') or "
        "(m.startswith('hbh_monitor') and m not in ('hbh_monitor', 'hbh_monitor.settings'))); print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "dashboards"), str(ROOT / "pipelines")],
        capture_output=True, text=True, check=True, timeout=120,
    )
    assert out.stdout.strip() == "[]"
