"""Forecast with its uncertainty: marts.forecast_bands recomputed here from the backtest rows (Python, not the
mart's SQL), and the bands' coverage of the held-back years of the backtest at their stated rate (each
gemeente judged by a band made from the other gemeenten' errors only)."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboards" / "app.py"
Z80 = 1.2815516  # the 0.9 quantile of the standard normal distribution: a central 80% band
PAIRS = {"clients": ("clients", "predicted_clients"), "hours": ("declared_hours", "predicted_hours"),
         "cost_eur": ("cost_eur", "predicted_cost_eur")}


def _errors(bt: pl.DataFrame) -> dict[str, list[tuple[str, int, float]]]:
    out = defaultdict(list)
    for r in bt.filter(pl.col("level") == "gemeente").iter_rows(named=True):
        for m, (obs, pred) in PAIRS.items():
            out[m].append((r["gemeente_code"], r["year"] - r["fit_year"], math.log(r[obs] / r[pred])))
    return out


def _sigma(errs) -> float:
    return math.sqrt(sum(e * e / h for _, h, e in errs) / len(errs))


def test_bands_match_the_backtest_and_cover_the_held_back_years(warehouse, capsys):
    bt = warehouse.sql("SELECT * FROM marts.forecast_backtest").pl()
    bands = warehouse.sql("SELECT * FROM marts.forecast_bands").pl()
    errors = _errors(bt)
    assert set(bands["measure"]) == set(PAIRS)
    lines = []
    for m, errs in errors.items():
        sigma = _sigma(errs)
        rows = bands.filter(pl.col("measure") == m)
        assert rows["sigma"].unique().to_list() == [pytest.approx(sigma)]
        for r in rows.iter_rows(named=True):
            w = Z80 * sigma * math.sqrt(r["horizon"])
            assert r["lower"] == pytest.approx(r["forecast"] * math.exp(-w))
            assert r["upper"] == pytest.approx(r["forecast"] * math.exp(w))
            assert r["lower"] < r["forecast"] < r["upper"]
        # wider the further ahead
        one = rows.filter((pl.col("level") == "regio")).sort("year")
        assert (one["upper"] / one["forecast"]).is_sorted()
        # coverage of the held-back years, each gemeente by the others' errors (leave one out)
        covered = 0
        for g, h, e in errs:
            s = _sigma([x for x in errs if x[0] != g])
            covered += abs(e) <= Z80 * s * math.sqrt(h)
        n = len(errs)
        assert rows["backtest_points"].unique().to_list() == [n]
        assert rows["backtest_covered"].unique().to_list() == [covered]
        # at the stated rate: not below what 80% gives by chance (two binomial standard deviations)
        assert covered >= 0.8 * n - 2 * math.sqrt(n * 0.8 * 0.2), (m, covered, n)
        # and the band is not uselessly wide: it does not hold every error at half its width
        assert any(abs(e) > 0.5 * Z80 * sigma * math.sqrt(h) for _, h, e in errs), m
        lines.append(f"  {m:<9} sigma {sigma:.4f}  held-back years inside the 80% band: {covered} of {n} "
                     f"({covered / n:.0%}); band at 1 year ahead ±{math.exp(Z80 * sigma) - 1:.1%}")
    with capsys.disabled():
        print("\nForecast bands (80%) against the backtest, leave one gemeente out:\n" + "\n".join(lines))
    budget = bands.filter((pl.col("measure") == "cost_eur") & pl.col("budget_eur").is_not_null())
    assert budget.height > 0


def test_page_draws_band_and_budget(serving_db, monkeypatch):
    monkeypatch.setenv("HBH_SERVING", str(serving_db))
    monkeypatch.setenv("HBH_DASHBOARD_MODE", "council")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("views/prognoseband.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Prognose met bandbreedte"]
    charts = at.get("plotly_chart")
    assert len(charts) == 3
    import json

    cost = json.loads(charts[2].proto.spec)
    names = [t.get("name") for t in cost["data"]]
    assert "Budget" in names and any("80%" in (n or "") for n in names)
    at.selectbox(key="band_gemeente").set_value("GM9901").run()
    clients = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert any((t.get("name") or "").startswith("VNG/ABF prognosemodel (demo): +41%") for t in clients["data"])
    text = " ".join(m.value for m in at.markdown)
    assert "terugtoets" in text and "binnen de band" in text


def test_published_growth_is_laid_over_our_count(warehouse):
    """The demo's VNG/ABF-like figure (+41% from 2018 to 2026 for the first gemeente), from our 2018 count."""
    ext = warehouse.sql("SELECT * FROM marts.external_growth ORDER BY year").pl()
    assert ext["gemeente_code"].unique().to_list() == ["GM9901"] and ext["year"].to_list() == list(range(2018, 2027))
    base = warehouse.execute("SELECT clients FROM marts.gemeente_year WHERE gemeente_code = 'GM9901' AND year = 2018"
                             ).fetchall()[0][0]
    for r in ext.iter_rows(named=True):
        assert r["clients_base"] == base
        assert r["external_clients"] == pytest.approx(base * 1.41 ** ((r["year"] - 2018) / 8))
    assert ext["external_clients"][-1] == pytest.approx(base * 1.41)
