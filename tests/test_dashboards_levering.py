"""The "Levering en wachttijd" page (dashboards/views/levering.py) with Streamlit's AppTest, on the
published snapshot of the session's pipeline run (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboards" / "app.py"
PAGE = "views/levering.py"


@pytest.fixture
def published(serving_db, monkeypatch) -> Path:
    monkeypatch.setenv("HBH_SERVING", str(serving_db))
    return Path(serving_db)


def _open(mode: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("HBH_DASHBOARD_MODE", mode)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_page_renders_for_analysts_with_waiting_list(published, monkeypatch):
    at = _open("all", monkeypatch)
    assert [t.value for t in at.title] == ["Levering en wachttijd"]
    at.selectbox(key="levering_gemeente").select_index(1).run()  # one gemeente: every section
    heads = [s.value for s in at.subheader]
    for h in ("Geleverd deel van de geïndiceerde uren", "Budgetrisico: kosten tegenover budget",
              "Wachttijd tot start van de zorg", "Beëindigde zorg naar reden", "Wachtlijst (analisten)"):
        assert h in heads, heads
    charts = len(at.get("plotly_chart"))
    assert charts >= 5
    assert len(at.get("download_button")) >= 2 * charts
    assert sum(e.label == "Hoe berekend?" for e in at.expander) >= charts


def test_council_view_has_no_waiting_list(published, monkeypatch):
    at = _open("council", monkeypatch)
    heads = [s.value for s in at.subheader]
    assert "Geleverd deel van de geïndiceerde uren" in heads
    assert not any("Wachtlijst" in h for h in heads)


def test_figures_shown_match_the_snapshot(published, monkeypatch):
    at = _open("all", monkeypatch)
    assert at.selectbox(key="levering_gemeente").value == "__regio__"  # opens on all gemeenten
    at.selectbox(key="levering_gemeente").select_index(1).run()  # then one gemeente
    code = at.selectbox(key="levering_gemeente").value
    year = at.selectbox(key="levering_jaar").value
    with duckdb.connect(str(published), read_only=True) as con:
        per_wijk = dict(con.execute(
            "SELECT wijk_name, round(100 * share_delivered, 1) FROM marts.delivery_year "
            "WHERE gemeente_code = ? AND year = ? AND wijk_code <> 'alle' AND aanbieder_agb = 'alle'", [code, year]).fetchall())
        budget = con.execute("SELECT budget_eur FROM marts.budget_risk WHERE gemeente_code = ? AND year = ?",
                             [code, year]).fetchall()[0][0]
    shown = dict(zip(at.dataframe[0].value["Wijk"], at.dataframe[0].value["Geleverd (%)"]))
    assert shown.keys() == per_wijk.keys()
    assert {w: v for w, v in shown.items() if v == v and v is not None} == pytest.approx(
        {w: v for w, v in per_wijk.items() if v is not None})
    metric = next(m for m in at.metric if m.label == f"Budget {year}")
    digits = "".join(ch for ch in metric.value if ch.isdigit())
    assert int(digits) == pytest.approx(round(budget), abs=1)
