"""What a council member reads first, and what a download holds: page summaries checked against the marts
(with SQL written here, not the dashboards' code), default filters, downloads (Dutch formats, integers,
formula injection), colours that stay apart, and the small things of the sidebar and Datakwaliteit.

Uses Streamlit's AppTest on the snapshot of the session's pipeline run (``serving_db``).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import openpyxl
import polars as pl
import pytest
import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboards" / "app.py"

from dashboards import charts, exports, formatting, protection
from dashboards import snapshot as published_snapshot


def nl(x: float, decimals: int = 0) -> str:
    """Dutch number text, written here independently of the dashboards: 1234.5 -> 1.234,5."""
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "_").replace(".", ",").replace("_", ".")


@pytest.fixture
def snapshot(serving_db, monkeypatch):
    monkeypatch.setenv("HBH_SERVING", str(serving_db))
    monkeypatch.delenv("HBH_DASHBOARD_MODE", raising=False)
    st.cache_data.clear()
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
    assert at.selectbox(key="levering_gemeente").value == formatting.REGIO
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
    gy = published_snapshot.query("select * from marts.gemeente_year")
    regio = protection.for_gemeente(gy, formatting.REGIO).filter(pl.col("_hidden").list.len() == 0)
    assert regio.height, "no regio year without hidden gemeenten in the demo"
    base = _one(con, "select max(baseline_year) from marts.gemeente_year")[0]
    n_base = _one(con, "select sum(clients) from marts.gemeente_year where year = ?", base)[0]
    for r in regio.iter_rows(named=True):
        n_prev = _one(con, "select sum(clients) from marts.gemeente_year where year = ?", r["year"] - 1)[0]
        assert r["growth_vs_baseline"] == pytest.approx(r["clients"] / n_base - 1)
        if n_prev:
            assert r["growth_vs_previous"] == pytest.approx(r["clients"] / n_prev - 1)


def _latest_complete(con) -> int:
    return _one(con, "select year(data_to) - (month(data_to) < 12 or day(data_to) < 31)::int from meta.refresh")[0]


def _open_on_regio_and_latest_year(con, page: str, gemeente_key: str, year_key: str):
    """The page, opened as a new reader meets it: "Alle gemeenten" and the latest complete year selected."""
    at = _open(page)
    year = _latest_complete(con)
    assert at.selectbox(key=gemeente_key).value == formatting.REGIO
    assert at.selectbox(key=year_key).value == year
    return at, year


def _signed(fraction: float, decimals: int = 1) -> str:
    return ("+" if round(fraction * 100, decimals) > 0 else "") + nl(fraction * 100, decimals) + "%"


def _eur(x) -> str:
    return "€ " + nl(round(float(x)))


def test_kosten_opens_with_the_regio_cost_change_its_largest_cause_and_the_tariffs(snapshot):
    con = snapshot
    at, year = _open_on_regio_and_latest_year(con, "kosten", "kosten_gemeente", "kosten_brugjaar")
    before, cost, *effects = _one(con, "select cost_before_eur, cost_eur, clients_effect_eur, volume_effect_eur, "
                                       "mix_effect_eur, price_effect_eur from marts.cost_bridge where level = 'regio' "
                                       "and year = ?", year)
    text = _summary(at)
    assert f"{_eur(before)} in {year - 1}" in text and f"{_eur(cost)} in {year}" in text, text
    assert ("+" if cost > before else "-") + _eur(abs(cost - before)) in text
    assert _signed(cost / before - 1) in text
    largest = max(effects, key=abs)
    words = ["het aantal cliënten", "de uren per cliënt", "de productmix", "de tarieven"][effects.index(largest)]
    assert f"De grootste oorzaak: {words} ({'+' if largest > 0 else '-'}{_eur(abs(largest))})" in text, text
    tariff, change = _one(con, "select tariff_per_hour, change from marts.tariffs where level = 'regio' and "
                               "product_code = 'alle' and year = ?", year)
    assert f"€ {nl(tariff, 2)} ({_signed(change)})" in text, text
    nxt, t_next, c_next, step = _one(con, "select year, tariff_per_hour, change, step from marts.tariffs where level = "
                                          "'regio' and product_code = 'alle' and bron = 'gecontracteerd' and step is "
                                          "not null order by year limit 1")
    assert f"Voor {nxt} is al € {nl(t_next, 2)} per uur gecontracteerd ({_signed(c_next)}, waarvan {_signed(step)}" in text


def test_eigen_bijdrage_opens_on_the_latest_year_with_growth_per_income_class(snapshot):
    con = snapshot
    at, year = _open_on_regio_and_latest_year(con, "eigen_bijdrage", "eb_gemeente", "eb_jaar")
    base, hoog, laag, points, ll, mm, hh, oo, oo_hidden = _one(
        con, "select baseline_year, growth_hoog, growth_laag, growth_difference_points, clients_laag, clients_midden, "
             "clients_hoog, clients_onbekend, clients_onbekend_suppressed from marts.income_response "
             "where level = 'regio' and year = ?", year)
    text = _summary(at)
    assert f"Van {base} tot {year}" in text
    assert f"hoog inkomen met {_signed(hoog)}" in text and f"laag inkomen met {_signed(laag)}" in text, text
    assert f"{nl(abs(points), 1)} procentpunt {'meer' if points >= 0 else 'minder'}" in text
    # a hidden count is not taken as 0 (NULL without its flag: every client has a class)
    known = " met een bekende inkomensklasse" if oo_hidden else ""
    total = ll + mm + hh + (oo or 0)
    assert f"{nl((mm + hh) / total * 100)}% van de cliënten{known} een midden- of hoog inkomen" in text, text
    assert f"({nl(mm + hh)} van {nl(total)})" in text


def test_eigen_bijdrage_without_income_classes_opens_with_the_scenario(snapshot, serving_db, tmp_path, monkeypatch):
    con = snapshot
    row = con.execute("select year, distribution_source, clients_laag, clients_midden, clients_hoog, "
                      "excess_removed_share from marts.eigen_bijdrage_scenario where level = 'regio'").fetchall()
    assert row, "no regio row in marts.eigen_bijdrage_scenario"
    year, source, ll, mm, hh, share = row[0]
    _copy_with(serving_db, tmp_path, monkeypatch, "delete from marts.income_response")  # CBS incomes only
    text = _summary(_open("eigen_bijdrage"))
    if None not in (ll, mm, hh):
        assert f"in {year} {nl((mm + hh) / (ll + mm + hh) * 100)}% van de cliënten van de regio" in text, text
        assert f"({nl(mm + hh)} van {nl(ll + mm + hh)})" in text
    else:
        assert "afgeschermd of onbekend" in text
    if share is not None:
        assert f"standaard met {nl(share * 100, 1)}% minder extra groei" in text, text


def test_herindicatie_opens_with_the_regio_round_and_its_lower_bounds(snapshot):
    con = snapshot
    at = _open("herindicatie")
    assert at.selectbox(key="herind_gemeente").value == formatting.REGIO
    year, clients, hidden, cells, before, after, effect, transition, hidden_t = _one(
        con, "select max(year), sum(clients), count(*) - count(clients), count(*), sum(minutes_per_week_before), "
             "sum(minutes_per_week_after), sum(yearly_cost_effect_eur), sum(transition_cost_eur), "
             "count(*) - count(transition_cost_eur) from marts.herindicatie_simulation")
    text = _summary(at)
    lower = "ten minste " if hidden else ""
    assert f"(vanaf {year}) raakt in de regio {lower}{nl(clients)} cliënten" in text, text
    assert f"van {nl(before / clients)} naar {nl(after / clients)} minuten" in text
    assert f"{lower}{_eur(abs(effect))} {'lager' if effect < 0 else 'hoger'}" in text
    assert f"overgangsperiode kost {'ten minste ' if hidden_t else ''}{_eur(transition)}" in text
    if hidden:
        assert f"({hidden} van de {cells} groepen" in text


def test_cbs_opens_with_our_count_next_to_cbs_for_the_first_gemeente(snapshot):
    con = snapshot
    at = _open("cbs")
    code, name = _one(con, "select gemeente_code, gemeente_name from marts.cbs_comparison order by gemeente_name limit 1")
    year = max(y for (y,) in con.execute("select distinct year from marts.cbs_comparison where gemeente_code = ?",
                                         [code]).fetchall() if y <= _latest_complete(con))
    assert at.selectbox(key="cbs_gemeente").value == code and at.selectbox(key="cbs_jaar").value == year
    ours, theirs, period, diff, reason = _one(
        con, "select clients, cbs_clients, cbs_period, cbs_difference, cbs_gap_reason from marts.cbs_comparison "
             "where gemeente_code = ? and year = ? and wijk_code = 'alle'", code, year)
    rate, sentence = _one(con, "select cbs_clients_per_1000, cbs_sentence from marts.cbs_benchmark where level = "
                               "'gemeente' and region_code = ? and year = ?", code, year)
    text = _summary(at)
    assert f"In {year} telden wij in {name} {nl(ours)} cliënten" in text, text
    kind = {"JJ00": "heel", "HJ01": "eerste halfjaar", "HJ02": "tweede halfjaar"}[period[4:]]
    assert f"het CBS {nl(theirs)} ({kind} {period[:4]})" in text and f"{nl(abs(diff))} {'meer' if diff >= 0 else 'minder'}" in text
    assert reason in text and f"{nl(rate, 1)} per 1.000 inwoners" in text and sentence in text


def test_wijkgericht_opens_with_the_regio_wijken_and_their_largest_aanbieder(snapshot):
    con = snapshot
    at, year = _open_on_regio_and_latest_year(con, "wijkgericht", "wg_gemeente", "wg_jaar")
    clients, hidden, wijken, med = _one(
        con, "select sum(zin_clients), count(*) - count(zin_clients), count(*), median(main_market_share) filter "
             "(where zin_clients is not null) from marts.wijk_concentration where year = ?", year)
    top_wijk, top_name, top_share = _one(
        con, "select wijk_name, main_aanbieder_name, main_market_share from marts.wijk_concentration where year = ? "
             "and zin_clients is not null order by main_market_share desc limit 1", year)
    hhi, n_hhi, switched, shown_sw = _one(
        con, "select median(hhi), count(hhi), sum(switched_clients), count(switched_clients) from "
             "marts.wijk_concentration where year = ? and zin_clients is not null", year)
    text = _summary(at)
    assert f"{'ten minste ' if hidden else ''}{nl(clients)} cliënten zorg in natura, verdeeld over {wijken} wijken" in text
    assert f"mediaan {nl(med * 100, 1)}% van de uren" in text, text
    assert f"{top_wijk}: {top_name} met {nl(top_share * 100, 1)}%" in text
    if n_hhi:
        assert f"mediaan {nl(hhi, 2)} over {n_hhi} {'wijk' if n_hhi == 1 else 'wijken'}" in text
    if shown_sw:
        assert f"{nl(switched)} cliënten kregen een nieuwe aanbieder" in text
    else:
        assert "nieuwe aanbieder is afgeschermd" in text  # a hidden count never becomes a number


def test_prognoseband_opens_with_the_band_of_the_regio(snapshot):
    con = snapshot
    at = _open("prognoseband")
    assert at.selectbox(key="band_gemeente").value == formatting.REGIO
    last, f, lo, hi, cov = _one(con, "select year, forecast, lower, upper, coverage from marts.forecast_bands where "
                                     "level = 'regio' and measure = 'clients' order by year desc limit 1")
    first, cf, clo, chi, budget = _one(con, "select year, forecast, lower, upper, budget_eur from marts.forecast_bands "
                                            "where level = 'regio' and measure = 'cost_eur' order by year limit 1")
    text = _summary(at)
    assert f"in {last} {nl(f)} cliënten; met {nl(cov * 100)}% kans tussen {nl(lo)} en {nl(hi)}" in text, text
    assert f"De kosten in {first}: {_eur(cf)} (band {_eur(clo)} tot {_eur(chi)})" in text
    if budget is not None:
        assert f"het budget van {_eur(budget)}" in text
        assert ("de hele band ligt boven" if clo > budget else "de hele band ligt onder" if chi < budget
                else "de prognose ligt boven" if cf > budget else "de prognose ligt onder") in text


def test_a_hidden_count_never_becomes_a_number_in_a_summary():
    import re

    from dashboards import summaries

    digits = re.compile(r"\d+ cliënten")  # a count where the count is hidden
    rows = [{"wijk_name": "A", "zin_clients": None, "main_market_share": None, "hhi": None, "switched_clients": None,
             "main_aanbieder_name": None}]
    text = summaries.wijkgericht(rows, "Demostad", 2025)
    assert "afgeschermd" in text and not digits.search(text), text
    rows = [{"clients": None, "clients_down": None, "clients_same": None, "clients_up": None,
             "minutes_per_week_before": None, "minutes_per_week_after": None, "transition_cost_eur": None,
             "yearly_cost_effect_eur": None}]
    text = summaries.herindicatie(rows, "Demostad", 2026)
    assert "afgeschermd" in text and not digits.search(text), text
    text = summaries.cbs({"clients": None, "cbs_clients": 40, "cbs_difference": None}, None, "Demostad", 2024)
    assert "afgeschermd" in text and "40" not in text, text
    r = {"year": 2025, "growth_hoog": None, "growth_laag": 0.1, "growth_difference_points": None,
         "clients_laag": 20, "clients_midden": None, "clients_hoog": None, "clients_onbekend": 0}
    text = summaries.eigen_bijdrage(r, "Demostad", 2018)
    assert "afgeschermd" in text and "20" not in text.replace("2018", "").replace("2025", ""), text
    text = summaries.kosten({"cost_eur": None, "cost_before_eur": 100.0}, None, None, "Demostad", 2025)
    assert "afgeschermd" in text and "100" not in text, text


# --- Clients without hours, declared and accepted ------------------------------------------------------------------


def _copy_with(serving_db, tmp_path, monkeypatch, *sql: str):
    """A copy of the snapshot with ``sql`` applied (the session's snapshot is never written), served to the app."""
    import shutil

    copy = tmp_path / "serving.duckdb"
    shutil.copy(serving_db, copy)
    with duckdb.connect(str(copy)) as con:
        for q in sql:
            con.execute(q)
    monkeypatch.setenv("HBH_SERVING", str(copy))
    st.cache_data.clear()
    return copy


def _without_hours_text(at) -> str:
    texts = [t.value for t in at.caption if "toewijzing zonder uren" in t.value]
    assert len(texts) == 1, [t.value for t in at.caption]
    return texts[0]


def test_clients_without_hours_sit_next_to_the_hour_figures(snapshot, serving_db, tmp_path, monkeypatch):
    con = snapshot
    year = _latest_complete(con)
    shown, n = _one(con, "select count(clients_without_hours), sum(clients_without_hours) from marts.gemeente_year "
                         "where year = ?", year)
    for page in (None, "levering"):
        text = _without_hours_text(_open(page))
        assert "de uren laten" in text and str(year) in text  # the definition: hour figures leave them out
        if shown == 0:  # every count hidden: no number, not even 0
            assert "afgeschermd" in text and "ten minste" not in text, text
        else:
            assert nl(n) + " cliënten van de regio" in text, text
    # one gemeente shown, the others hidden: the gemeente's number, and the regio as a lower bound
    code, name = _one(con, "select gemeente_code, gemeente_name from marts.gemeente_year order by gemeente_name limit 1")
    _copy_with(serving_db, tmp_path, monkeypatch,
               f"update marts.gemeente_year set clients_without_hours = NULL where year = {year}",
               f"update marts.gemeente_year set clients_without_hours = 15 where year = {year} and gemeente_code = '{code}'")
    at = _open()
    assert f"In {year} hadden ten minste 15 cliënten van de regio een toewijzing zonder uren" in _without_hours_text(at)
    at.selectbox(key="overzicht_gemeente").set_value(code).run()
    assert f"In {year} hadden 15 cliënten van {name} een toewijzing zonder uren" in _without_hours_text(at)


def _declared_table(at):
    return next(d.value for d in at.dataframe if "Aanbieder" in d.value.columns and
                ("Gedeclareerd (€)" in d.value.columns or "Toegekend (€)" in d.value.columns))


def test_aanbieders_show_declared_and_accepted_with_unknown_left_empty(snapshot, serving_db, tmp_path, monkeypatch):
    con = snapshot
    at = _open("aanbieders")
    table = _declared_table(at)
    truth = dict(con.execute("select aanbieder_agb, sum(declared_eur) from marts.declared_accepted group by 1").fetchall())
    assert {r["AGB-code"]: round(r["Gedeclareerd (€)"], 2) for _, r in table.iterrows()} == \
        {k: round(float(v), 2) for k, v in truth.items()}
    answered = dict(con.execute("select aanbieder_agb, sum(accepted_eur) from marts.declared_accepted "
                                "where answers_loaded group by 1").fetchall())
    for _, r in table.iterrows():  # an aanbieder without any answer in the data: accepted is unknown, never 0
        if r["AGB-code"] in answered:
            assert round(r["Toegekend (€)"], 2) == round(float(answered[r["AGB-code"]]), 2)
        else:
            assert r["Toegekend (€)"] != r["Toegekend (€)"], r.to_dict()  # NaN: empty
    text = next(m.value for m in at.markdown if m.value.startswith("Gedeclareerd:"))
    assert _eur(sum(truth.values())) in text
    if not answered:
        assert "geen declaratie-antwoorden" in text
    # a copy where the gemeente answered the first aanbieder (rejecting € 100 a year): the sentence counts only the
    # answered rows, the other aanbieders stay empty, and "Toegekend" alone drops the declared columns
    agb = min(truth)
    _copy_with(serving_db, tmp_path, monkeypatch,
               "update marts.declared_accepted set answers_loaded = false, rejected_lines = NULL, rejected_eur = NULL, "
               "accepted_lines = NULL, accepted_eur = NULL",
               "update marts.declared_accepted set answers_loaded = true, rejected_lines = 1, rejected_eur = 100, "
               f"accepted_lines = declared_lines - 1, accepted_eur = declared_eur - 100 where aanbieder_agb = '{agb}'")
    rows, declared = _one(con, "select count(*), sum(declared_eur) from marts.declared_accepted where aanbieder_agb = ?", agb)
    at = _open("aanbieders")
    text = next(m.value for m in at.markdown if m.value.startswith("Gedeclareerd:"))
    accepted = float(declared) - 100 * rows
    assert f"Daarvan **{_eur(declared)}** in declaraties met een antwoord" in text, text
    assert f"wees **{_eur(100 * rows)}** af ({nl(rows)} regels) en kende **{_eur(accepted)}** toe" in text
    assert f"({nl(accepted / float(declared) * 100, 1)}%)" in text
    at.radio(key="aanb_bedragen").set_value("Toegekend").run()
    table = _declared_table(at)
    assert "Gedeclareerd (€)" not in table.columns
    got = {r["AGB-code"]: r["Toegekend (€)"] for _, r in table.iterrows()}
    assert round(got.pop(agb), 2) == round(accepted, 2) and all(v != v for v in got.values()), got


def test_without_hours_sentence_never_turns_a_hidden_count_into_a_number():
    from dashboards import summaries

    assert "afgeschermd" in summaries.without_hours([None, None], "Regio totaal", 2025)
    assert "ten minste 12 cliënten van de regio" in summaries.without_hours([12, None], "Regio totaal", 2025)
    assert "hadden 12 cliënten van Demostad" in summaries.without_hours([12], "Demostad", 2025)


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
    csv = exports.to_csv_bytes(df).decode("utf-8-sig").splitlines()
    assert csv[1].split(";")[0].strip('"').startswith("'=")  # formula neutralised
    assert [line.split(";")[0] for line in csv[2:5]] == ["'+31 6", "'-2", "'@SUM(A1)"]
    assert csv[1].split(";")[3] == "57238" and ",0" not in csv[3].split(";")[2]  # integers as integers
    assert csv[2].split(";")[2] == formatting.HIDDEN_CELL  # a hidden count says so, as in the tables
    assert csv[4].split(";")[3] == ""  # an empty figure in a row whose count is shown is missing, not hidden
    assert csv[1].split(";")[4] == "84,7" and csv[3].split(";")[4] == "70,0"  # decimal comma, same decimals

    wb = openpyxl.load_workbook(io.BytesIO(exports.to_excel_bytes(df, title="t", filters="=cmd|' /C calc'!A0")))
    ws = wb["Gegevens"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", f"formula stored in {cell.coordinate}: {cell.value!r}"
            if isinstance(cell.value, str) and cell.value != formatting.HIDDEN_CELL:
                assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
            if isinstance(cell.value, (int, float)) and cell.column > 1:
                assert cell.number_format != "General", f"{ws.cell(1, cell.column).value}: no number format"
    assert ws["D2"].value == 57238 and isinstance(ws["D2"].value, int)
    assert ws["C3"].value == formatting.HIDDEN_CELL
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
    ages = charts.AGE_COLORS
    assert all(_contrast(c, "#ffffff") >= 3 for c in ages), ages
    assert all(_contrast(ages[i], ages[i + 1]) >= 1.6 for i in range(len(ages) - 1)), ages
    assert all(_contrast(c, "#ffffff") >= 3 for c in charts.GEMEENTE_PALETTE)
    from dashboards import a11y

    assert _contrast(a11y.NOTE_COLOR, "#ffffff") >= 4.5 and _contrast(charts.TEXT_COLOR, "#ffffff") >= 4.5
