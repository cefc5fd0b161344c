"""What a council member reads first, and what a download holds: page summaries checked against the marts
(with SQL written here, not the dashboards' code), default filters, downloads (Dutch formats, integers,
formula injection), colours that stay apart, and the small things of the sidebar and Datakwaliteit.

Uses Streamlit's AppTest on the snapshot of the session's pipeline run (``serving_db``).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import openpyxl
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboards" / "app.py"
sys.path.insert(0, str(ROOT / "dashboards"))

import common  # noqa: E402


def nl(x: float, decimals: int = 0) -> str:
    """Dutch number text, written here independently of the dashboards: 1234.5 -> 1.234,5."""
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "_").replace(".", ",").replace("_", ".")


@pytest.fixture
def snapshot(serving_db, monkeypatch):
    monkeypatch.setenv("HBH_SERVING", str(serving_db))
    monkeypatch.delenv("HBH_DASHBOARD_MODE", raising=False)
    common.st.cache_data.clear()
    con = duckdb.connect(str(serving_db), read_only=True)
    yield con
    con.close()


def _open(page: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120).run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception[0].value
    return at


def _summary(at) -> str:
    texts = [m.value for m in at.markdown if m.value.startswith("**Samengevat.**")]
    assert texts, "the page has no summary"
    return texts[0]


def _one(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchall()[0]


# --- Summaries against the marts --------------------------------------------------------------------------------


def test_overzicht_opens_with_the_regio_and_latest_year_in_figures(snapshot):
    con = snapshot
    year = _one(con, "select year(data_to) - (month(data_to) < 12 or day(data_to) < 31)::int from meta.refresh")[0]
    n, cost, hidden = _one(con, "select sum(clients), sum(cost_eur), count(*) - count(clients) from marts.gemeente_year "
                                "where year = ?", year)
    n_prev, cost_prev = _one(con, "select sum(clients), sum(cost_eur) from marts.gemeente_year where year = ?", year - 1)
    text = _summary(_open())
    assert f"In {year} kregen" in text and "de regio" in text
    assert nl(n) in text
    assert nl(round(cost)) in text
    if hidden == 0:
        assert nl(abs(n / n_prev - 1) * 100, 1) + "%" in text
    assert nl((cost / cost_prev - 1) * 100, 1) + "%" in text


def test_levering_opens_with_alle_gemeenten_and_summarises_one_gemeente(snapshot):
    con = snapshot
    at = _open("levering")
    assert at.selectbox(key="levering_gemeente").value == common.REGIO
    year = at.selectbox(key="levering_jaar").value
    budget, cost = _one(con, "select sum(budget_eur), sum(cost_eur) from marts.budget_risk where year = ?", year)
    text = _summary(at)
    assert nl(round(budget)) in text and nl(round(cost)) in text and ("boven" if cost > budget else "onder") in text
    # one gemeente: delivered share, budget and the median wait this year and last year
    code, name = _one(con, "select gemeente_code, gemeente_name from marts.budget_risk order by gemeente_name limit 1")
    at.selectbox(key="levering_gemeente").set_value(code).run()
    assert not at.exception
    text = _summary(at)
    share = _one(con, "select share_delivered from marts.delivery_year where gemeente_code = ? and year = ? and "
                      "wijk_code = 'alle' and aanbieder_agb = 'alle'", code, year)[0]
    med, med_prev = (_one(con, "select median_days_to_start from marts.time_to_start_year where gemeente_code = ? "
                               "and year = ? and urgentie = 'alle' and aanbieder_agb = 'alle'", code, y)[0]
                     for y in (year, year - 1))
    b, k = (float(x) for x in _one(con, "select budget_eur, cost_eur from marts.budget_risk where gemeente_code = ? "
                                      "and year = ?", code, year))  # cost_eur is an exact DECIMAL in the mart
    assert name in text
    assert nl(share * 100, 1) + "%" in text
    assert nl(round(b)) in text and nl(round(k)) in text and nl(round(abs(k - b))) in text

    def days(x):
        return nl(x, 0 if float(x).is_integer() else 1)

    assert f"mediaan {days(med)} dagen" in text and f"({days(med_prev)} in {year - 1})" in text


def test_abonnementstarief_opens_on_the_latest_year_with_its_growth(snapshot):
    con = snapshot
    at = _open("abonnementstarief")
    last = _one(con, "select max(year) from marts.suction_decomposition")[0]
    assert at.selectbox(key="abon_jaar").value == last  # was 2020 while the data ran to 2025
    total, demo, extra = _one(con, "select total_growth, demographic_growth, excess_growth from "
                                   "marts.suction_decomposition where level = 'regio' and year = ?", last)
    text = _summary(at)
    for v in (total, demo, extra):
        assert ("+" if v > 0 else "") + nl(v * 100, 1) + "%" in text, (v, text)
    metric = next(m for m in at.metric if m.label.startswith("Totale groei"))
    assert metric.value in text  # the headline figure and the summary say the same


def test_leeftijd_wijken_prognose_summaries_hold_their_figures(snapshot):
    con = snapshot
    year = _one(con, "select max(year) from marts.age_year")[0]
    old, total = _one(con, "select sum(clients) filter (where age_band in ('75-84', '85+')), sum(clients) "
                           "from marts.age_year where year = ?", year)
    text = _summary(_open("leeftijd"))
    assert nl(old / total * 100, 1) + "%" in text and nl(old) in text and nl(total) in text

    clients, inh = _one(con, "select sum(clients), sum(inhabitants) from marts.gemeente_year where year = ?", year)
    text = _summary(_open("wijken"))
    assert nl(clients / inh * 1000, 1) in text
    top = _one(con, "select wijk_name, clients_per_1000 from marts.wijk_year where year = ? and clients is not null "
                    "order by clients_per_1000 desc limit 1", year)
    assert top[0] in text and nl(top[1], 1) in text

    text = _summary(_open("prognose"))
    share, eb_year = _one(con, "select max(default_value) filter (where parameter = 'excess_removed_share'), "
                               "max(default_value) filter (where parameter = 'eigen_bijdrage_year') "
                               "from marts.forecast_scenarios")
    assert "standaardscenario" in text and f"{nl(share * 100)}% van de extra groei" in text and str(int(eb_year)) in text
    first, last = _one(con, "select min(year), max(year) from marts.forecast where year > fit_year")
    assert f"in {first}" in text and f"in {last}" in text


def test_regio_row_has_growth_like_a_gemeente(snapshot):
    con = snapshot
    gy = common.query("select * from marts.gemeente_year")
    regio = common.for_gemeente(gy, common.REGIO).filter(pl.col("_hidden").list.len() == 0)
    assert regio.height, "no regio year without hidden gemeenten in the demo"
    base = _one(con, "select max(baseline_year) from marts.gemeente_year")[0]
    n_base = _one(con, "select sum(clients) from marts.gemeente_year where year = ?", base)[0]
    for r in regio.iter_rows(named=True):
        n_prev = _one(con, "select sum(clients) from marts.gemeente_year where year = ?", r["year"] - 1)[0]
        assert r["growth_vs_baseline"] == pytest.approx(r["clients"] / n_base - 1)
        if n_prev:
            assert r["growth_vs_previous"] == pytest.approx(r["clients"] / n_prev - 1)


# --- Sidebar, Datakwaliteit ---------------------------------------------------------------------------------------


def test_sidebar_shows_no_run_id_and_gebouwd_is_dutch_time(snapshot):
    con = snapshot
    run_id = _one(con, "select run_id from meta.refresh")[0]
    at = _open()
    sidebar = " ".join([m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption])
    assert run_id[:8] not in sidebar
    assert "Gepubliceerd" in sidebar and "white-space:nowrap" in sidebar
    at = _open("datakwaliteit")
    builds = next(d.value for d in at.dataframe if "Gebouwd" in d.value.columns)
    model, built = _one(con, "select model, built_at from meta.model_builds order by model limit 1")
    local = built.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%d-%m-%Y %H:%M")
    assert builds.loc[builds["Model"] == model, "Gebouwd"].iloc[0] == local


# --- Downloads ---------------------------------------------------------------------------------------------------


def test_downloads_match_the_screen_and_are_safe():
    df = pl.DataFrame({
        "Gemeente": ['=HYPERLINK("http://x","klik")', "+31 6", "-2", "@SUM(A1)", "Demostad"],
        "Jaar": [2021, 2022, 2023, 2024, 2025],
        "Cliënten": [100, None, 57238, 12, 40],
        "Geïndiceerde uren": [57238.0, 302456.0, 1.0, None, 2.0],  # whole numbers in a float column
        "Geleverd (%)": [84.7, 90.1, 70.0, 1.5, None],  # a column the dashboards have no kind for
        "Bedrag (€)": [1.25, 2.5, 3.0, 4.0, 5.0],
    })
    csv = common.to_csv_bytes(df).decode("utf-8-sig").splitlines()
    assert csv[1].split(";")[0].strip('"').startswith("'=")  # formula neutralised
    assert [line.split(";")[0] for line in csv[2:5]] == ["'+31 6", "'-2", "'@SUM(A1)"]
    assert csv[1].split(";")[3] == "57238" and ",0" not in csv[3].split(";")[2]  # integers as integers
    assert csv[2].split(";")[2] == common.HIDDEN_CELL  # a hidden count says so, as in the tables
    assert csv[4].split(";")[3] == ""  # an empty figure in a row whose count is shown is missing, not hidden
    assert csv[1].split(";")[4] == "84,7" and csv[3].split(";")[4] == "70,0"  # decimal comma, same decimals

    wb = openpyxl.load_workbook(io.BytesIO(common.to_excel_bytes(df, title="t", filters="=cmd|' /C calc'!A0")))
    ws = wb["Gegevens"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", f"formula stored in {cell.coordinate}: {cell.value!r}"
            if isinstance(cell.value, str) and cell.value != common.HIDDEN_CELL:
                assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
            if isinstance(cell.value, (int, float)) and cell.column > 1:
                assert cell.number_format != "General", f"{ws.cell(1, cell.column).value}: no number format"
    assert ws["D2"].value == 57238 and isinstance(ws["D2"].value, int)
    assert ws["C3"].value == common.HIDDEN_CELL
    assert all(c.data_type != "f" for row in wb["Toelichting"].iter_rows() for c in row)


# --- Colours --------------------------------------------------------------------------------------------------------


def _contrast(a: str, b: str) -> float:
    def lum(h: str) -> float:
        r, g, b_ = (int(h.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
        f = lambda c: c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4  # noqa: E731
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b_)

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_colours_stay_apart_and_readable():
    # age bands: neighbours apart in lightness (what survives any colour blindness), each visible on white
    ages = common.AGE_COLORS
    assert all(_contrast(c, "#ffffff") >= 3 for c in ages), ages
    assert all(_contrast(ages[i], ages[i + 1]) >= 1.6 for i in range(len(ages) - 1)), ages
    assert all(_contrast(c, "#ffffff") >= 3 for c in common.GEMEENTE_PALETTE)
    import a11y

    assert _contrast(a11y.NOTE_COLOR, "#ffffff") >= 4.5 and _contrast(common.TEXT_COLOR, "#ffffff") >= 4.5
