"""Tests of the Streamlit dashboards (dashboards/app.py + views/), with Streamlit's AppTest.

The published snapshot comes from the ``serving_db`` fixture (tests/conftest.py: a real pipeline run
on small demo data). The page tests only assume the schema, not particular gemeenten or numbers.
"""

from __future__ import annotations

import io
import json
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
from hbh_monitor import settings
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboards" / "app.py"

from dashboards import exports, formatting, protection, snapshot

TIMEOUT = 60
OVERZICHT, WIJKEN, LEEFTIJD = "views/overzicht.py", "views/wijken.py", "views/leeftijd.py"
AANBIEDERS, DATAKWALITEIT = "views/aanbieders.py", "views/datakwaliteit.py"
COUNCIL_PAGES = {OVERZICHT: "Overzicht", WIJKEN: "Wijken", LEEFTIJD: "Leeftijd"}
PAGES = {**COUNCIL_PAGES, AANBIEDERS: "Aanbieders & declaraties", DATAKWALITEIT: "Datakwaliteit"}
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
    assert shown == ("≥ " if hidden else "") + formatting.fmt_number(total)
    assert DUTCH_INT.match(shown.removeprefix("≥ "))
    assert at.metric[5].value.startswith("€ ")
    assert "," in at.metric[1].value  # 12,3

    # a single gemeente, an older year, another measure: all rerun without error
    gem = at.selectbox(key="overzicht_gemeente")
    assert gem.value == formatting.REGIO
    gem.select_index(1).run()
    _ok(at)
    assert at.selectbox(key="overzicht_gemeente").value != formatting.REGIO
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

    at.radio(key="wijken_maatstaf").set_value("Per 1.000 inwoners 75+").run()
    _ok(at)
    radio = at.radio(key="wijken_maatstaf")
    radio.set_value(radio.options[2]).run()  # growth vs baseline
    _ok(at)
    at.selectbox(key="wijken_jaar").select_index(1).run()
    _ok(at)
    assert len(at.dataframe) >= 1


def test_wijken_map_summary_matches_the_marts(published):
    """Beside the map: the gemeente's own rate, and its highest and lowest wijken, as published."""
    at = _open(WIJKEN)
    at.selectbox(key="wijken_gemeente").select_index(1).run()
    _ok(at)
    code = at.selectbox(key="wijken_gemeente").value
    year = at.selectbox(key="wijken_jaar").value
    (rate,) = _sql(published, f"select clients_per_1000 from marts.gemeente_year "
                              f"where gemeente_code = '{code}' and year = {year}")[0]
    summary = next(m for m in at.metric if m.label.endswith("als geheel"))
    assert summary.value == formatting.fmt_rate(rate)
    ranked = _sql(published, f"select wijk_name, clients_per_1000 from marts.wijk_year where gemeente_code = '{code}' "
                             f"and year = {year} and clients_per_1000 is not null order by clients_per_1000 desc")
    k = min(5, len(ranked) // 2)
    text = _texts(at.markdown)
    top = text[text.index(f"Hoogste {k}"):text.index(f"Laagste {k}")]
    low = text[text.index(f"Laagste {k}"):]
    for wijk, value in ranked[:k]:
        assert f"{wijk}: **{formatting.fmt_rate(value)}**" in top
    for wijk, value in ranked[-k:]:
        assert f"{wijk}: **{formatting.fmt_rate(value)}**" in low


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
    # the sidebar shows the publication time (a council member has no use for the run id)
    assert "06-05-2031" not in _texts(at.sidebar.markdown)

    new = tmp_path / "serving.new.duckdb"
    shutil.copyfile(serving_db, new)
    with duckdb.connect(str(new)) as con:
        con.execute("update meta.refresh set published_at = TIMESTAMP '2031-05-06 07:08:00'")
    os.replace(new, live)
    at.run()
    _ok(at)
    assert "06-05-2031" in _texts(at.sidebar.markdown)


# --- helpers (no snapshot needed) -------------------------------------------------------------------------


def test_dutch_number_formats():
    assert formatting.fmt_number(5123) == "5.123"
    assert formatting.fmt_number(1234567.4) == "1.234.567"
    assert formatting.fmt_rate(12.345) == "12,3"
    assert formatting.fmt_rate(-0.04) == "0,0"
    assert formatting.fmt_eur(1234567.4) == "€ 1.234.567"
    assert formatting.fmt_pct(0.162) == "16,2%"
    assert formatting.fmt_pct(0.162, signed=True) == "+16,2%"
    assert formatting.fmt_pct(-0.05, signed=True) == "-5,0%"
    assert formatting.fmt_count(None) == formatting.HIDDEN_CELL
    assert formatting.fmt_count(0) == "0"
    assert formatting.fmt_number(None) == "–"
    assert formatting.change(116, 100) == pytest.approx(0.16)
    assert formatting.change(None, 100) is None and formatting.change(5, 0) is None
    assert formatting.fmt_years([2016, 2017, 2018, 2020]) == "2016–2018, 2020"


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
    out = protection.region_total(_gemeente_rows()).sort("year")
    y18, y19 = out.row(0, named=True), out.row(1, named=True)
    assert y18["clients"] == 150 and y18["inhabitants"] == 15_000
    assert y18["clients_per_1000"] == pytest.approx(10.0)  # 150 / 15.000 × 1.000
    assert y18["clients_per_1000_75plus"] == pytest.approx(150 / 1_400 * 1000)
    assert y18["_hidden"] == []
    # 2019: B is suppressed -> left out (lower bound), rate over A only, flagged; its cost too: the catalogue
    # (sql/marts/gemeente_year.sql, "-- disclosure: hidden ... cost_eur with clients") hides it with the count
    assert y19["clients"] == 120 and y19["cost_eur"] == 3.0
    assert y19["clients_per_1000"] == pytest.approx(12.0)
    assert y19["_hidden"] == ["B"]
    assert "B" in protection.hidden_note(out)


def test_protect_hides_rates_of_suppressed_counts():
    out = protection.protect(_gemeente_rows())
    assert out["clients_per_1000"].to_list() == [10.0, 10.0, 12.0, None]
    assert out["clients_per_1000_75plus"][3] is None
    assert out["cost_eur"].to_list() == [1.0, 2.0, 3.0, None]  # hidden with its row's count


def test_protect_reads_the_one_catalogue(published):
    """What protect hides is the snapshot's catalogue (meta.disclosure), the same the SQL headers declare:
    no list of the dashboards' own."""
    from hbh_monitor import disclosure

    declared = {c for d in disclosure.catalogue().values() for c in (*d.derived, *d.hidden)}
    (n,) = _sql(published, "select count(*) from meta.disclosure where role in ('derived', 'hidden')")[0]
    assert n and protection.derived_columns() == declared
    assert {"clients_per_1000", "clients_per_1000_75plus", "share_of_clients", "growth_vs_baseline",
            "growth_vs_previous", "cost_eur"} <= declared


def test_downloads_contain_exactly_the_data_with_suppressed_as_label():
    df = formatting.display_frame(
        protection.protect(_gemeente_rows()), ["gemeente_name", "year", "clients", "clients_per_1000"]
    )
    lab = formatting.HIDDEN_CELL  # the word the tables show for a hidden cell
    csv = exports.to_csv_bytes(df).decode("utf-8-sig")
    lines = csv.strip().splitlines()
    assert lines[0] == "Gemeente;Jaar;Cliënten;Cliënten per 1.000 inwoners"
    assert lines[1] == "A;2018;100;10,0"
    assert lab == "afgeschermd"  # never "<10": a cell can be hidden to protect another one
    assert lines[4] == f"B;2019;{lab};{lab}"  # hidden count and the rate of that row say so, as on screen; never 0

    wb = openpyxl.load_workbook(io.BytesIO(exports.to_excel_bytes(df, title="t", filters="f")))
    ws = wb["Gegevens"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Gemeente", "Jaar", "Cliënten", "Cliënten per 1.000 inwoners")
    assert rows[1] == ("A", 2018, 100, 10.0)
    assert rows[4][2] == lab and rows[4][3] == lab
    assert len(rows) == df.height + 1
    assert "Toelichting" in wb.sheetnames


def test_hidden_cells_say_afgeschermd_and_an_all_hidden_table_is_one_sentence():
    df = formatting.display_frame(protection.protect(_gemeente_rows()), ["gemeente_name", "year", "clients"])
    assert not protection.all_hidden(df)
    hidden = df.filter(pl.col("Cliënten").is_null())
    assert hidden.height and protection.all_hidden(hidden)
    assert "afgeschermd" in protection.ALL_HIDDEN_SENTENCE.lower()
    assert formatting.fmt_count(None) == "afgeschermd" and "<" not in protection.hidden_cells_caption()


def test_dashboards_import_no_dagster_or_pipeline_code():
    """The dashboards' shared modules load only hbh_monitor.settings (fast start, no pipeline coupling);
    the catalogue (hbh_monitor.disclosure) is read only when a snapshot has none."""
    import subprocess

    modules = sorted(p.stem for p in (ROOT / "dashboards").glob("*.py") if p.stem not in ("app", "__init__",
                                                                                          "scenario_budget"))
    assert {"formatting", "snapshot", "protection", "layout", "charts", "exports", "tables", "access"} <= set(modules)
    code = (
        "import importlib, sys; [importlib.import_module('dashboards.' + m) for m in sys.argv[1:]]; "
        "bad = sorted(m for m in sys.modules if m.startswith('dagster') or "
        "(m.startswith('hbh_monitor') and m not in ('hbh_monitor', 'hbh_monitor.settings'))); print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *modules], capture_output=True, text=True, check=True, timeout=120, cwd="/",
    )
    assert out.stdout.strip() == "[]"


# --- Wijken map and profile ---------------------------------------------------------------------------------


def test_wijken_map_is_offline_choropleth_with_every_wijk(published):
    at = _open(WIJKEN)
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    maps = [s for s in specs if '"choropleth"' in s]
    assert len(maps) == 1
    spec = maps[0]
    # an SVG geo map without base layers: no tile server, style URL or WebGL map (MapLibre/Mapbox)
    assert json.loads(spec)["layout"]["geo"]["visible"] is False
    assert not any(w in spec for w in ("mapbox", "choroplethmap", "scattermap", "white-bg", "http"))
    year = at.selectbox(key="wijken_jaar").value
    codes = [r[0] for r in _sql(published, f"select wijk_code from marts.wijk_year where year = {year}")]
    geo = {r[0] for r in _sql(published, "select wijk_code from meta.wijk_geometry")}
    assert set(codes) <= geo, "every wijk of the demo has an outline"
    assert all(code in spec for code in codes)


def test_wijken_profile_follows_selectbox_and_map_click(published):
    at = _open(WIJKEN)
    options = at.selectbox(key="wijken_wijk").options
    assert len(options) >= 2
    at.selectbox(key="wijken_wijk").select_index(1).run()
    _ok(at)
    assert any("Profiel · " + options[1] in str(h.value) for h in at.subheader)
    # a click on the map arrives as a selection event in the chart's session state
    code = _sql(published, "select wijk_code from marts.wijk_year order by wijk_code desc limit 1")[0][0]
    at.session_state["wijken_kaart"] = {"selection": {"points": [{"location": code}]}}
    at.run()
    _ok(at)
    assert at.selectbox(key="wijken_wijk").value == code


def test_wijken_without_geometry_degrades(serving_db, tmp_path, monkeypatch):
    db = tmp_path / "serving.duckdb"
    shutil.copyfile(serving_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("drop table if exists meta.wijk_geometry")
    monkeypatch.setenv("HBH_SERVING", str(db))
    at = _open(WIJKEN)
    assert any("wijk- en buurtkaart" in str(i.value) for i in at.info)
    assert not any('"choropleth"' in c.proto.spec for c in at.get("plotly_chart"))
    assert len(at.dataframe) >= 1


# --- analyst pages, modes and login ---------------------------------------------------------------------------


def test_datakwaliteit_ledger_quarantine_and_links(published, monkeypatch):
    monkeypatch.setenv("HBH_DAGSTER_URL", "http://dagster.intern:3000")
    at = _open(DATAKWALITEIT)
    n_files, quarantined = _sql(published, "select count(*), sum(rows_quarantined) from meta.ingestion_ledger")[0]
    ledger = at.dataframe[0].value  # the ledger is the first table
    assert len(ledger) == n_files
    assert {"Regels in", "Geladen", "Quarantaine", "Status", "Melding"} <= set(ledger.columns)
    assert int(ledger["Quarantaine"].sum()) == quarantined
    (run_id,) = _sql(published, "select run_id from meta.refresh")[0]
    md = _texts(at.markdown)
    assert f"http://dagster.intern:3000/runs/{run_id}" in md
    if quarantined:
        assert len(at.get("plotly_chart")) == 1
    # how each model was last brought up to date (meta.model_builds): one row per model
    builds = next(d.value for d in at.dataframe if "Laatste opbouw" in d.value.columns)
    n_models = _sql(published, "select count(*) from meta.model_builds")[0][0]
    assert len(builds) == n_models == len(_sql(published, "select * from meta.model_docs"))
    decl = builds[builds["Model"] == "staging.declaraties"].iloc[0]
    assert decl["Laatste opbouw"] == "volledig opnieuw" and decl["Reden volledige opbouw"] == "eerste opbouw"
    at.multiselect(key="dq_status").set_value(["geladen"]).run()
    _ok(at)


def test_aanbieders_totals_match_the_mart(published):
    if not _sql(published, "select count(*) from information_schema.tables where table_name = 'reconciliation_findings'")[0][0]:
        pytest.skip("marts.reconciliation_findings not in this snapshot")
    at = _open(AANBIEDERS)
    lines, amount = _sql(published, "select sum(lines), sum(amount_eur) from marts.reconciliation_findings")[0]
    assert at.metric[0].value == formatting.fmt_number(lines)
    assert at.metric[2].value == formatting.fmt_eur(amount)
    year = at.selectbox(key="aanb_jaar").options[1]
    at.selectbox(key="aanb_jaar").set_value(int(year)).run()
    _ok(at)
    (lines_y,) = _sql(published, f"select sum(lines) from marts.reconciliation_findings where year = {year}")[0]
    assert at.metric[0].value == formatting.fmt_number(lines_y)
    at.radio(key="aanb_maatstaf").set_value("Regels").run()
    _ok(at)


def test_aanbieders_without_reconciliation_mart_degrades(serving_db, tmp_path, monkeypatch):
    db = tmp_path / "serving.duckdb"
    shutil.copyfile(serving_db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("drop table if exists marts.reconciliation_findings")
        con.execute("drop table if exists marts.reconciliation_summary")
    monkeypatch.setenv("HBH_SERVING", str(db))
    at = _open(AANBIEDERS)
    assert any("reconciliation_findings" in str(i.value) for i in at.info)


def test_council_mode_has_no_analyst_pages(published, monkeypatch):
    monkeypatch.setenv("HBH_DASHBOARD_MODE", "council")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    _ok(at)
    for page in (AANBIEDERS, DATAKWALITEIT):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    at.switch_page(WIJKEN).run()
    _ok(at)


def test_council_snapshot_is_the_published_one_without_the_analyst_tables(published, monkeypatch):
    """The council snapshot (hbh_serving_council.duckdb) holds every published table except the analyst
    ones, each exactly as published, from the same run; a council-mode app reads it and nothing else."""
    from hbh_monitor import publish as pub, settings

    council = settings.council_path(published)
    assert council.is_file() and council != published
    tables = lambda db: {f"{s}.{t}" for s, t in _sql(db, "select table_schema, table_name from information_schema.tables")}
    full, kept = tables(published), tables(council)
    assert kept == full - set(pub.ANALYST_ONLY)
    assert {"marts.reconciliation_findings", "marts.waiting_list", "meta.ingestion_ledger"} <= full - kept
    with duckdb.connect(str(council), read_only=True) as con:
        con.execute(f"ATTACH '{published}' AS pub (READ_ONLY)")
        for t in sorted(kept - {"meta.model_docs"}):
            for a, b in ((t, f"pub.{t}"), (f"pub.{t}", t)):
                (n,) = con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})").fetchall()[0]
                assert n == 0, (t, a, b)
        docs = {r[0] for r in con.execute("SELECT table_name FROM meta.model_docs").fetchall()}
    assert not docs & set(pub.ANALYST_ONLY) and "marts.wijk_year" in docs
    monkeypatch.setenv("HBH_DASHBOARD_MODE", "council")
    assert snapshot.serving_path() == council
    monkeypatch.setenv("HBH_SERVING", str(council))  # a council server given only the council file
    assert snapshot.serving_path() == council


@pytest.mark.parametrize("page", [AANBIEDERS, DATAKWALITEIT])
def test_analyst_pages_need_login_when_auth_is_configured(published, page):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-secret",
        "client_id": "x",
        "client_secret": "y",
        "server_metadata_url": "http://localhost/.well-known/openid-configuration",
    }
    at.run()
    at.switch_page(page).run()
    _ok(at)
    assert [b.label for b in at.button] == ["Inloggen"]
    assert not at.dataframe and not at.get("plotly_chart")
    # council pages stay open
    at.switch_page(WIJKEN).run()
    _ok(at)
    assert at.dataframe


# --- small-cell suppression ------------------------------------------------------------------------------------

from hbh_monitor import publish  # noqa: E402


def _count_columns(con, table: str) -> list[str]:
    schema, name = table.split(".")
    rows = con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return [c for c, t in rows if publish._is_count(c, t)]


def _marts(con) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_schema || '.' || table_name from information_schema.tables where table_schema = 'marts' order by 1"
    ).fetchall()]


def _assert_snapshot_safe(db: Path, threshold: int) -> dict:
    """No published count below the threshold; flags match the hidden cells; no hidden cell of a
    wijk or age band equals its gemeente's total minus the shown cells (≥ 2 hidden or none)."""
    seen = {"hidden": 0}
    with duckdb.connect(str(db), read_only=True) as con:
        assert not set(publish.NOT_PUBLISHED) & set(_marts(con))  # too fine to publish, without a client count
        for table in _marts(con):
            for col in _count_columns(con, table):
                (low,) = con.execute(f"select count(*) from {table} where {col} < {threshold}").fetchall()[0]
                assert low == 0, f"{table}.{col}: {low} cells below {threshold}"
                flag = f"{col}_suppressed"
                cols = [r[0] for r in con.execute(f"describe {table}").fetchall()]
                assert flag in cols, f"{table} lacks {flag}"
                (bad,) = con.execute(f"select count(*) from {table} where {flag} and {col} is not null").fetchall()[0]
                assert bad == 0
                seen["hidden"] += con.execute(f"select count(*) from {table} where {flag}").fetchall()[0][0]
            # hours and euros of a row never outlive its hidden client count
            types = dict(con.execute(f"select column_name, column_type from (describe {table})").fetchall())
            if "clients" in types:
                for col in [c for c, t in types.items() if publish._is_amount(c, t)]:
                    (bad,) = con.execute(f"select count(*) from {table} where clients_suppressed and {col} is not null").fetchall()[0]
                    assert bad == 0, f"{table}.{col}: {bad} amounts shown next to a hidden client count"
                    seen["amount_columns"] = seen.get("amount_columns", 0) + 1
        for table, part in (("marts.wijk_year", "wijk_code"), ("marts.age_year", "age_band")):
            cols = [r[0] for r in con.execute(f"describe {table}").fetchall()]
            for col in [c for c in ("clients", "new_clients") if c in cols]:
                # per gemeente × year: the published total, the shown parts and the hidden parts
                rows = con.execute(f"""
                    select p.gemeente_code, p.year, count_if(p.{col}_suppressed) as n_hidden, g.{col} as total,
                           g.{col}_suppressed as total_hidden
                    from {table} p join marts.gemeente_year g using (gemeente_code, year)
                    group by all having count_if(p.{col}_suppressed) > 0
                """).fetchall()
                for gem, year, n_hidden, total, total_hidden in rows:
                    assert n_hidden >= 2 or total_hidden or total is None, (
                        f"{table}.{col} {gem} {year}: one hidden {part} could be recomputed from the total"
                    )
        # derived figures never outlive their count
        for table in ("marts.wijk_year", "marts.gemeente_year", "marts.age_year"):
            (bad,) = con.execute(
                f"select count(*) from {table} where clients_suppressed and clients_per_1000 is not null"
            ).fetchall()[0]
            assert bad == 0
        for table, entity in (("marts.wijk_year", "wijk_code"), ("marts.gemeente_year", "gemeente_code")):
            (bad,) = con.execute(f"""
                select count(*) from (
                  select growth_vs_previous, lag(clients_suppressed) over (partition by {entity} order by year) as prev_hidden
                  from {table}) where prev_hidden and growth_vs_previous is not null
            """).fetchall()[0]
            assert bad == 0
            (bad,) = con.execute(f"""
                select count(*) from {table} t join {table} b on b.{entity} = t.{entity} and b.year = t.baseline_year
                where b.clients_suppressed and (t.clients_baseline is not null or t.growth_vs_baseline is not null)
            """).fetchall()[0]
            assert bad == 0
    return seen


def test_published_snapshot_has_no_small_or_recomputable_counts(published):
    (threshold,) = _sql(published, "select suppression_threshold from meta.refresh")[0]
    _assert_snapshot_safe(published, threshold)
    # not-applicable NULLs (new_clients in the first year) are not flagged as suppressed
    (first,) = _sql(published, "select min(year) from marts.wijk_year")[0]
    (flagged,) = _sql(published, f"select count_if(new_clients_suppressed) from marts.wijk_year where year = {first}")[0]
    assert flagged == 0


@pytest.fixture(scope="module")
def strict_snapshot(pipeline_run, tmp_path_factory) -> tuple[Path, int]:
    """The run's warehouse republished with a high threshold, so suppression really bites."""
    tmp = tmp_path_factory.mktemp("strict")
    wh = tmp / "hbh.duckdb"
    shutil.copyfile(pipeline_run.warehouse, wh)
    with duckdb.connect(str(wh), read_only=True) as con:
        clients = sorted(r[0] for r in con.execute("select clients from marts.wijk_year").fetchall())
    threshold = int(clients[len(clients) // 4]) + 1  # about a quarter of the wijk-years below it
    target = tmp / "serving.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HBH_SUPPRESSION_THRESHOLD", str(threshold))
        mp.setenv("HBH_STATUS", str(tmp / "status.json"))
        mp.setenv("HBH_SERVING", str(target))
        with duckdb.connect(str(wh)) as con:
            con.execute(f"set variable baseline_year = {settings.baseline_year()}")
            publish.publish_snapshot(con, "strict-run", True, target=target)
    return target, threshold


def test_strict_threshold_snapshot_is_safe(strict_snapshot):
    db, threshold = strict_snapshot
    seen = _assert_snapshot_safe(db, threshold)
    assert seen["hidden"] > 0
    assert seen["amount_columns"] >= 10  # wijk_year, wijk_month, aanbieder_wijk_year, delivery_year, …
    # secondary suppression really happened: some hidden wijk has a count at or above the threshold
    with duckdb.connect(str(db), read_only=True) as con:
        (n_groups,) = con.execute(
            "select count(*) from (select gemeente_code, year from marts.wijk_year group by all "
            "having count_if(clients_suppressed) >= 2)"
        ).fetchall()[0]
    assert n_groups > 0


def test_secondary_suppression_rules_on_a_small_table():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("""create table marts.wijk_year as select * from (values
        ('GM1','W1',2018,3,NULL,2018,3,1.0,NULL,NULL),('GM1','W2',2018,50,NULL,2018,50,1.0,NULL,NULL),
        ('GM1','W3',2018,40,NULL,2018,40,1.0,NULL,NULL),
        ('GM1','W1',2019,20,5,2018,3,2.0,5.6,5.6),('GM1','W2',2019,12,3,2018,50,1.0,-0.76,-0.76),
        ('GM1','W3',2019,40,20,2018,40,1.0,0.0,0.0)
        ) t(gemeente_code, wijk_code, year, clients, new_clients, baseline_year, clients_baseline,
            clients_per_1000, growth_vs_baseline, growth_vs_previous)""")
    rows = {
        (r[0], r[1]): r
        for r in con.execute(
            "select wijk_code, year, clients, clients_suppressed, new_clients, new_clients_suppressed, "
            "clients_baseline, clients_per_1000, growth_vs_baseline, growth_vs_previous from ("
            + publish._suppressed_select(con, "marts.wijk_year", 10) + ")"
        ).fetchall()
    }
    assert rows[("W1", 2018)][2:4] == (None, True)  # primary
    assert rows[("W3", 2018)][2:4] == (None, True)  # secondary: next-smallest of GM1 2018
    assert rows[("W2", 2018)][2:4] == (50, False)
    assert rows[("W1", 2019)][6] is None and rows[("W1", 2019)][8] is None  # baseline hidden → growth hidden
    assert rows[("W1", 2019)][9] is None  # previous year hidden → growth_vs_previous hidden
    assert float(rows[("W2", 2019)][9]) == pytest.approx(-0.76)
    assert rows[("W1", 2019)][4:6] == (None, True) and rows[("W2", 2019)][4:6] == (None, True)
    assert rows[("W3", 2019)][4:6] == (20, False)
    assert rows[("W1", 2018)][4:6] == (None, False)  # not applicable: NULL, not suppressed


def test_secondary_suppression_covers_total_rows_and_parts_of_a_row():
    """A total published as a row of its own ('alle') and counts that are parts of another count of the
    same row: no hidden cell can be recovered as total minus what is shown."""
    con = duckdb.connect()
    con.execute("create schema marts")
    # time_to_start_year: the urgenties of a gemeente-year and their 'alle' row
    con.execute("""create table marts.time_to_start_year as select * from (values
        ('GM1', 2025, 'spoed', 'alle', 4, 3.0), ('GM1', 2025, 'normaal', 'alle', 96, 9.0),
        ('GM1', 2025, 'alle', 'alle', 100, 8.0), ('GM1', 2025, 'alle', '98000001', 60, 8.0),
        ('GM1', 2025, 'alle', '98000002', 40, 8.0)
        ) t(gemeente_code, year, urgentie, aanbieder_agb, starts, median_days_to_start)""")
    rows = {(r[0], r[1]): r[2] for r in con.execute(
        "select urgentie, aanbieder_agb, starts from (" + publish._suppressed_select(con, "marts.time_to_start_year", 10) + ")"
    ).fetchall()}
    assert rows[("spoed", "alle")] is None  # primary
    assert rows[("normaal", "alle")] is None or rows[("alle", "alle")] is None  # so spoed != alle - normaal
    # wijk_year_detail: pgb is a part of clients (with zin)
    con.execute("""create table marts.wijk_year_detail as select * from (values
        ('GM1', 'W1', 2025, 120, 116, 4, 100, 15, 12, 300.0, 7.5), ('GM1', 'W2', 2025, 80, 60, 20, 70, 10, 10, 200.0, 40.0)
        ) t(gemeente_code, wijk_code, year, clients, clients_zin, clients_pgb, clients_weekly, clients_biweekly,
            clients_maatwerk, indicated_hours, indicated_hours_pgb)""")
    rows = {r[0]: r[1:] for r in con.execute(
        "select wijk_code, clients, clients_zin, clients_pgb, clients_weekly, indicated_hours, indicated_hours_pgb from ("
        + publish._suppressed_select(con, "marts.wijk_year_detail", 10) + ")").fetchall()}
    assert rows["W1"][4:] == (300.0, None)  # the hours of the hidden part go with it; the row's stay
    rows = {w: r[:4] for w, r in rows.items()}
    assert rows["W1"][0] == 120 and rows["W1"][2] is None  # pgb hidden (4) ...
    assert rows["W1"][1] is None  # ... so zin too: 120 - 116 would give it away
    # W2's pgb is the second hidden cell of the wijken of GM1 (4 + 20 = the gemeente's 24), and then its
    # zin follows by the row rule; its clients and other parts stay visible
    assert rows["W2"] == (80, None, None, 70)


def test_council_pages_tables_and_downloads_hold_no_small_counts(strict_snapshot, monkeypatch):
    """Every table and CSV/Excel download on the council pages, on a snapshot with a high threshold."""
    db, threshold = strict_snapshot
    monkeypatch.setenv("HBH_SERVING", str(db))
    exported: list[pl.DataFrame] = []
    real_csv = exports.to_csv_bytes
    monkeypatch.setattr(exports, "to_csv_bytes", lambda df: exported.append(df) or real_csv(df))
    count_labels = [formatting.LABELS[c] for c, k in formatting.KINDS.items() if k == "count"]
    shown = 0
    for page in COUNCIL_PAGES:
        at = _open(page)
        frames = [d.value for d in at.dataframe]
        for key in ("wijken_gemeente", "overzicht_gemeente", "leeftijd_gemeente"):
            try:
                at.selectbox(key=key).select_index(1).run()
            except (KeyError, IndexError):
                continue
            _ok(at)
            frames += [d.value for d in at.dataframe]
        for df in frames:
            for col in [c for c in df.columns if c in count_labels]:
                vals = pd.to_numeric(df[col], errors="coerce").dropna()
                shown += len(vals)
                assert (vals >= threshold).all(), f"{page} table {col}: {sorted(vals)[:5]}"
    assert exported, "no downloads were built"
    for df in exported:
        for col in [c for c in df.columns if c in count_labels]:
            vals = [v for v in df[col].to_list() if v is not None]
            shown += len(vals)
            assert all(v >= threshold for v in vals), f"download {col}: {sorted(vals)[:5]}"
    assert shown > 0


# --- wijk geometry (reference data) ------------------------------------------------------------------------------

from support import needs_shared  # noqa: E402

CBS_NIJMEGEN = ROOT.parent / "shared" / "reference" / "cbs" / "wijken_2024_GM0268_nijmegen.cartomap-subset.geojson"


@needs_shared(CBS_NIJMEGEN, "the CBS wijk outlines of Nijmegen")  # fails under CI when missing
def test_wijk_geometry_matches_cbs_outlines_by_statcode(tmp_path):
    import json

    from hbh_monitor.defs.publishing.geometry import load_wijk_geometry

    geo = tmp_path / "geo"
    geo.mkdir()
    shutil.copyfile(CBS_NIJMEGEN, geo / "wijken.geojson")  # a copy in a temp folder, not in the repo
    cbs = json.loads(CBS_NIJMEGEN.read_text())["features"]
    codes = [f["properties"]["statcode"] for f in cbs]
    con = duckdb.connect()
    con.execute("create schema staging")
    con.execute("create table staging.wijken (gemeente_code varchar, gemeente_name varchar, wijk_code varchar, wijk_name varchar)")
    # in scope: all but one Nijmegen wijk, plus one wijk without an outline
    scope = codes[:-1] + ["WK099999"]
    con.executemany("insert into staging.wijken values ('GM0268', 'Nijmegen', ?, ?)", [(c, f"wijk {c}") for c in scope])
    info = load_wijk_geometry(con, geo)
    assert info["matched"] == len(codes) - 1 and info["missing"] == ["WK099999"]
    rows = con.execute("select wijk_code, wijk_name, gemeente_code, source_name, geojson from meta.wijk_geometry").fetchall()
    by_code = {f["properties"]["statcode"]: f for f in cbs}
    for code, name, gem, source_name, text in rows:
        f = json.loads(text)
        assert f["id"] == code and gem == "GM0268" and name == f"wijk {code}"
        assert source_name == by_code[code]["properties"]["statnaam"]
        assert f["geometry"] == by_code[code]["geometry"]


def test_datakwaliteit_says_which_snapshot_is_live_and_why_a_newer_one_was_held_back(published, monkeypatch, tmp_path):
    from hbh_monitor.status import record_held_back

    status = tmp_path / "status.json"
    monkeypatch.setenv("HBH_STATUS", str(status))
    at = _open(DATAKWALITEIT)
    assert any("niets tegengehouden" in s.value for s in at.success)
    record_held_back("run-blocked-1", "Blokkerende controle niet geslaagd.", ["marts/wijk_year: rates_plausible"], path=status)
    at = _open(DATAKWALITEIT)
    text = " ".join(e.value for e in at.error)
    (live,) = _sql(published, "select run_id from meta.refresh")[0]
    assert "run-blocked-1" in text and "rates_plausible" in text and live in text
