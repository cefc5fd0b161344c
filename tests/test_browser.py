"""Real-browser end-to-end tests of the dashboards: `streamlit run` + Debian Chromium via Playwright.

The app reads the snapshot of the session's pipeline run (``serving_db``). Every request that does not
go to the local Streamlit server is aborted and recorded: the dashboards must work offline (no map
tiles, fonts or CDNs). Needs /usr/bin/chromium (``make test`` installs it as root); without it these
tests are skipped with a loud message.
"""

from __future__ import annotations

import sys
import time

import pytest

import e2e  # tests/e2e.py

if not e2e.chromium_available():
    msg = (
        f"\n{'!' * 78}\n!! BROWSER TESTS SKIPPED: {e2e.CHROMIUM} not found. Install Debian's chromium "
        f"(apt-get install -y chromium)\n!! or run `make test` as root, which installs it.\n{'!' * 78}\n"
    )
    sys.stderr.write(msg)
    pytest.skip(msg, allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

EXCEPTION = '[data-testid="stException"]'


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=e2e.CHROMIUM, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(serving_db, tmp_path_factory):
    with e2e.streamlit_server(serving_db, log_dir=tmp_path_factory.mktemp("streamlit")) as s:
        yield s


def _no_exception(page, where: str) -> None:
    n = page.locator(EXCEPTION).count()
    assert n == 0, f"{where}: {page.locator(EXCEPTION).first.inner_text()[:2000]}"


def test_every_page_renders_offline_and_filters_work(browser, server):
    t0 = time.monotonic()
    page, guard, errors = e2e.new_page(browser, server)
    pages = e2e.available_pages()
    timings = {}
    for url_path, (title, _) in pages.items():
        t = time.monotonic()
        e2e.goto(page, server, url_path)
        timings[title] = round(time.monotonic() - t, 2)
        _no_exception(page, title)
        # sidebar navigation lists the page, and the snapshot's publication time is shown
        assert page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).count() >= 1
        assert page.get_by_text("Gepubliceerd").count() >= 1
    # the Wijken map: a WebGL canvas with the choropleth, next to the sortable table
    e2e.goto(page, server, "wijken")
    # the table renders after the map; on a loaded machine give it time instead of counting at once
    page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible", timeout=30_000)
    assert page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').count() >= 2
    assert page.locator('[data-testid="stPlotlyChart"] canvas').count() >= 1
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    assert page.locator('[data-testid="stDataFrame"] canvas, [data-testid="stDataFrame"] [role="grid"]').count() >= 1
    # clicking a wijk on the map opens its profile
    profile = page.locator('h3:has-text("Profiel")').first
    before = profile.inner_text()
    box = page.locator('[data-testid="stPlotlyChart"]').first.bounding_box()
    for fx, fy in ((0.1, 0.15), (0.45, 0.3), (0.2, 0.7)):
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        page.wait_for_timeout(300)
        e2e.wait_ready(page, '[data-testid="stPlotlyChart"] canvas')
        if profile.inner_text() != before:
            break
    assert profile.inner_text() != before, "a click on the map did not select another wijk"
    _no_exception(page, "Wijken na klik op de kaart")
    # change filters: the gemeente, then the map measure; page re-renders without error
    page.get_by_test_id("stSelectbox").filter(has_text="Gemeente").first.click()
    page.get_by_role("option").nth(1).click()
    e2e.wait_ready(page, '[data-testid="stPlotlyChart"] canvas')
    page.wait_for_timeout(300)
    e2e.wait_ready(page, '[data-testid="stPlotlyChart"] canvas')
    _no_exception(page, "Wijken na gemeentefilter")
    assert "Alle gemeenten" not in page.get_by_test_id("stSelectbox").filter(has_text="Gemeente").first.inner_text()
    page.get_by_text("Per 1.000 inwoners 75+", exact=True).first.click()
    page.wait_for_timeout(300)
    e2e.wait_ready(page, '[data-testid="stPlotlyChart"] canvas')
    _no_exception(page, "Wijken na maatstaf")
    # Overzicht: change the year
    e2e.goto(page, server, "")
    page.get_by_test_id("stSelectbox").filter(has_text="Jaar").first.click()
    page.get_by_role("option").nth(1).click()
    page.wait_for_timeout(300)
    e2e.wait_ready(page, '[data-testid="stMetric"]')
    _no_exception(page, "Overzicht na jaarfilter")

    assert guard.blocked == [], f"external requests were needed: {guard.blocked[:10]}"
    assert not errors, errors
    print("page render (s, browser wall clock):", timings, "total", round(time.monotonic() - t0, 1))
