"""AppTest tests of the pages Abonnementstarief and Prognose on the published demo snapshot."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboards" / "app.py"

ABON, PROG = "views/abonnementstarief.py", "views/prognose.py"


@pytest.fixture
def published(serving_db, monkeypatch) -> Path:
    monkeypatch.setenv("HBH_SERVING", str(serving_db))
    return Path(serving_db)


def _open(page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _pct(text: str) -> float:
    return float(text.replace("%", "").replace("+", "").replace(".", "").replace(",", "."))


def _int(text: str) -> float:
    return float(text.replace("€", "").replace(".", "").replace(",", ".").strip())


def _downloads_ok(at: AppTest) -> None:
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("CSV") >= 3 and labels.count("Excel") >= 3, labels
    expanders = [e.proto.label for e in at.expander]
    assert expanders.count("Hoe berekend?") >= 3, expanders


def test_abonnementstarief_page_shows_the_decomposition(published):
    at = _open(ABON)
    assert at.title[0].value == "Abonnementstarief"
    assert len(at.get("plotly_chart")) == 3
    _downloads_ok(at)
    metrics = {m.label: m.value for m in at.metric}
    year = at.selectbox(key="abon_jaar").value  # opens on the latest year of the data
    total = _pct(metrics[f"Totale groei 2018–{year}"])
    demo, extra = _pct(metrics["Door demografie"]), _pct(metrics["Extra groei"])
    assert total == pytest.approx(demo + extra, abs=0.11)  # each rounded to 0,1
    with duckdb.connect(str(published), read_only=True) as con:
        excess = con.execute("SELECT excess_growth FROM marts.suction_decomposition WHERE level = 'regio' AND year = ?", [year]).fetchall()[0][0]
    assert extra == pytest.approx(100 * excess, abs=0.051)
    # the method is explained in plain Dutch, the description of the mart is published
    text = "\n".join(m.value for m in at.markdown)
    assert "verwachte" in text and "Onzekerheid" in text and "marts.suction_decomposition" in text
    # one gemeente: wijken and age bands
    code = at.selectbox(key="abon_gemeente").options[1]
    at.selectbox(key="abon_gemeente").select_index(1).run()
    assert not at.exception, code
    assert len(at.get("plotly_chart")) == 3


def test_prognose_page_recomputes_scenarios(published):
    at = _open(PROG)
    assert at.title[0].value == "Prognose"
    # clients, cost, hours, and the scenario's cost against the budget
    assert [c.key for c in at.get("plotly_chart")] == [
        "prognose_clienten", "prognose_kosten", "prognose_uren", "prognose_budget_chart"]
    _downloads_ok(at)
    m = {x.label: x for x in at.metric}
    clients_2030 = next(v for k, v in m.items() if k.startswith("Cliënten"))
    cost_2030 = next(v for k, v in m.items() if k.startswith("Kosten"))
    with duckdb.connect(str(published), read_only=True) as con:
        end, clients, cost = con.execute(
            "SELECT year, sum(forecast_clients), sum(forecast_cost_eur) FROM marts.forecast "
            "WHERE year = (SELECT max(year) FROM marts.forecast) GROUP BY year").fetchall()[0]
    assert end >= 2030
    assert _int(clients_2030.value) == pytest.approx(clients, abs=0.6)  # default scenario = the mart's defaults
    assert _int(cost_2030.value) == pytest.approx(cost, abs=0.6)
    # removing all excess lowers clients and cost; the delta is shown against the default
    at.slider(key="prognose_eb").set_value(100).run()
    assert not at.exception
    m2 = {x.label: x for x in at.metric}
    assert _int(next(v for k, v in m2.items() if k.startswith("Cliënten")).value) < _int(clients_2030.value)
    assert "t.o.v. standaard" in next(v for k, v in m2.items() if k.startswith("Kosten")).delta
    # more every-other-week help lowers the hours
    hours_before = _int(next(v for k, v in m2.items() if k.startswith("Uren")).value)
    at.slider(key="prognose_tweewekelijks").set_value(50).run()
    hours_after = _int(next(v for k, v in {x.label: x for x in at.metric}.items() if k.startswith("Uren")).value)
    assert hours_after < hours_before
    # the budget table comes first, then the backtest table; the Excel download of the backtest
    tables = [t.value for t in at.dataframe]
    assert "Extra budget nodig (€)" in tables[0].columns
    backtest = next(t for t in tables if "Fout cliënten (%)" in t.columns)
    wb = openpyxl.load_workbook(io.BytesIO(_excel_bytes(backtest)))
    assert wb["Gegevens"].max_row == backtest.shape[0] + 1


def _excel_bytes(table) -> bytes:
    from dashboards import exports
    import polars as pl

    df = pl.from_pandas(table)
    return exports.to_excel_bytes(df, title="t", filters="f")
