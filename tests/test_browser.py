"""Real-browser end-to-end tests of the dashboards: `streamlit run` + Debian Chromium via Playwright.

The app reads the snapshot of the session's pipeline run (``serving_db``). Every request that does not
go to the local Streamlit server is aborted and recorded: the dashboards must work offline (no map
tiles, fonts or CDNs). Needs /usr/bin/chromium (``make test`` installs it as root); without it these
tests are skipped with a loud message.
"""

from __future__ import annotations

import sys
import time

import duckdb
import pytest

import e2e  # tests/e2e.py

if not e2e.chromium_available():
    msg = (
        f"\n{'!' * 78}\n!! BROWSER TESTS SKIPPED: {e2e.CHROMIUM} not found. Install Debian's chromium "
        f"(apt-get install -y chromium)\n!! or run `make test` as root, which installs it.\n{'!' * 78}\n"
    )
    sys.stderr.write(msg)
    pytest.skip(msg, allow_module_level=True)

from playwright.sync_api import TimeoutError as PlaywrightTimeout, sync_playwright  # noqa: E402

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


# The Wijken map (the page's first chart): an SVG geo map, each wijk a path bound to its wijk code
MAP_DRAWN = """() => { const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
    const geo = gd.querySelector('g.geo rect').getBoundingClientRect();
    return {canvas: gd.querySelectorAll('canvas').length, geo: [geo.left, geo.top, geo.right, geo.bottom],
            paths: [...gd.querySelectorAll('path.choroplethlocation')].map((p) => { const r = p.getBoundingClientRect();
              return [p.__data__ && p.__data__.loc, r.left, r.top, r.right, r.bottom, getComputedStyle(p).fill]; })}; }"""
MAP_READY = e2e.PAGES["wijken"][1]
GREY = "rgb(217, 217, 217)"  # afgeschermd or no inhabitants


def _map_drawn(page, codes: set[str]) -> dict:
    """The map is SVG (no WebGL canvas), every wijk of ``codes`` is one path inside the map, none fills it."""
    drawn = page.evaluate(MAP_DRAWN)
    assert drawn["canvas"] == 0, "the map is a WebGL canvas, not SVG"
    locs = [p[0] for p in drawn["paths"]]
    assert sorted(locs) == sorted(codes), set(locs) ^ set(codes)
    gl, gt, gr, gb = drawn["geo"]
    for code, left, top, right, bottom, fill in drawn["paths"]:
        assert 0 < (right - left) * (bottom - top) < 0.25 * (gr - gl) * (gb - gt), (code, "drawn inside out?")
        assert left >= gl - 1 and right <= gr + 1 and top >= gt - 1 and bottom <= gb + 1, (code, "outside the map")
    assert any(p[5] != GREY for p in drawn["paths"]), "no wijk with data coloured"
    return drawn


def test_the_map_and_filters_work_offline(browser, server, serving_db):
    """Clicks and filters on Wijken and Overzicht, with every request off this machine blocked (every page's first
    render, offline and without an error, is checked by the axe test below, which visits them all)."""
    t0 = time.monotonic()
    page, guard, errors = e2e.new_page(browser, server)
    # the Wijken map: an SVG map with every wijk of the year as a path (no WebGL canvas), next to the table
    e2e.goto(page, server, "wijken")
    # the table renders after the map; on a loaded machine give it time instead of counting at once
    page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible", timeout=30_000)
    assert page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').count() >= 2
    year = int(page.locator('h3:has-text("Cijfers per wijk")').first.inner_text().rsplit("·", 1)[1])
    with duckdb.connect(str(serving_db), read_only=True) as con:
        codes = {r[0] for r in con.execute("SELECT wijk_code FROM marts.wijk_year WHERE year = ?", [year]).fetchall()}
    _map_drawn(page, codes)
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    assert page.locator('[data-testid="stDataFrame"] canvas, [data-testid="stDataFrame"] [role="grid"]').count() >= 1
    # clicking a wijk on the map opens its profile
    profile = page.locator('h3:has-text("Profiel")').first
    before = profile.inner_text()
    page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
    for code, left, top, right, bottom, _ in page.evaluate(MAP_DRAWN)["paths"][:3]:  # the middle of a wijk
        page.mouse.click((left + right) / 2, (top + bottom) / 2)
        page.wait_for_timeout(300)
        e2e.wait_ready(page, MAP_READY)
        if profile.inner_text() != before:
            break
    assert profile.inner_text() != before, "a click on the map did not select another wijk"
    _no_exception(page, "Wijken na klik op de kaart")
    # change filters: the gemeente, then the map measure; page re-renders without error
    page.get_by_test_id("stSelectbox").filter(has_text="Gemeente").first.click()
    page.get_by_role("option").nth(1).click()
    e2e.wait_ready(page, MAP_READY)
    page.wait_for_timeout(300)
    e2e.wait_ready(page, MAP_READY)
    _no_exception(page, "Wijken na gemeentefilter")
    assert "Alle gemeenten" not in page.get_by_test_id("stSelectbox").filter(has_text="Gemeente").first.inner_text()
    page.get_by_text("Per 1.000 inwoners 75+", exact=True).first.click()
    page.wait_for_timeout(300)
    e2e.wait_ready(page, MAP_READY)
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
    print("map and filters (s, browser wall clock):", round(time.monotonic() - t0, 1))


# --- Accessibility (WCAG 2.1 AA) with axe-core, at desktop and phone width ----------------------------------

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Streamlit's own English interface strings that must not reach a Dutch user
ENGLISH = ("Skip to main content", "Download as CSV", "Show/hide columns", "Fullscreen", "Search")


def _axe_serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    res = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}x): {v['help']} e.g. {v['nodes'][0]['target']} "
        f"{(v['nodes'][0].get('failureSummary') or '')[:200]}"
        for v in res.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _a11y_script_done(page) -> None:
    """Wait (at most 3 s) until the app's accessibility script (dashboards/a11y.py) has run after the render:
    the page language is Dutch and every chart has its role. If it never gets there, the checks below say so."""
    try:
        page.wait_for_function("""() => document.documentElement.lang === 'nl' && [...document.querySelectorAll(
            '.js-plotly-plot')].every((gd) => gd.getAttribute('role') === 'figure')""", timeout=3_000)
    except PlaywrightTimeout:
        pass


# Council pages that open with a summary ("Samengevat."): axe checks them with the summary on screen.
SUMMARY_PAGES = ("", "wijken", "leeftijd", "abonnementstarief", "prognose", "levering", "kosten", "eigen-bijdrage",
                 "herindicatie", "cbs", "wijkgericht", "prognoseband")


@pytest.mark.parametrize("width,height", [(1440, 1000), (390, 844)], ids=["desktop", "phone"])
def test_every_page_passes_axe_in_dutch(browser, server, width, height):
    page, guard, errors = e2e.new_page(browser, server, width=width, height=height)
    problems: dict[str, list[str]] = {}
    pages = e2e.available_pages()
    assert set(SUMMARY_PAGES) <= set(pages), set(SUMMARY_PAGES) - set(pages)  # no page drops out unnoticed
    timings = {}
    for i, (url_path, (title, _)) in enumerate(pages.items()):
        t = time.monotonic()
        if i == 0:
            e2e.goto(page, server, url_path)
        else:  # from page to page by the sidebar menu, as a reader goes (the goto per page is in the bench)
            e2e.navigate(page, url_path)
        timings[title] = round(time.monotonic() - t, 2)
        _no_exception(page, title)
        # the sidebar menu lists the page, and the snapshot's publication time is shown (waited for: on a
        # loaded machine the menu can still be drawing when the page's own element is)
        page.locator('[data-testid="stSidebar"] a').get_by_text(title, exact=True).first.wait_for(
            state="attached", timeout=20_000)
        assert page.get_by_text("Gepubliceerd").count() >= 1, title
        _a11y_script_done(page)
        found = _axe_serious(page)
        if url_path in SUMMARY_PAGES and "Samengevat." not in page.locator(".st-key-hbh_summary").first.inner_text():
            found.append("no summary on screen")
        if page.evaluate("document.documentElement.lang") != "nl":
            found.append(f"<html lang={page.evaluate('document.documentElement.lang')!r}>, not 'nl'")
        english = page.evaluate(
            """(words) => words.filter((w) => [...document.querySelectorAll('[aria-label],[title]')].some(
                 (el) => el.getAttribute('aria-label') === w || el.getAttribute('title') === w)
               || [...document.querySelectorAll('a,button,span,div,p,label')].some(
                 (el) => el.childElementCount === 0 && el.textContent.trim() === w))""",
            list(ENGLISH),
        )
        found += [f"English interface string {w!r}" for w in english]
        charts = page.evaluate(
            """() => [...document.querySelectorAll('.js-plotly-plot')].map((gd) => [gd.getAttribute('role'),
                 gd.getAttribute('aria-label') || '', !!gd.querySelector('.gtitle')
                 || !!gd.querySelector('g.geo[role="img"][aria-label^="Kaart: "]')])"""
        )
        for role, label, titled in charts:
            if role != "figure" or len(label) < 15 or not titled:
                found.append(f"chart without title/text alternative: role={role!r} aria-label={label!r}")
        # chart text (axis labels and titles, legends, colour scales) at >= 4.5:1 on white: axe does not
        # look inside Plotly's SVG
        pale = page.evaluate("""() => { const lum = (c) => { const v = c.match(/[\\d.]+/g).slice(0, 3).map((x) => {
              x = x / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
              return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
            return [...document.querySelectorAll('.js-plotly-plot :is(.xtick, .ytick, .g-xtitle, .g-ytitle, .legendtext, .cbaxis, .cbtitle) text, .js-plotly-plot text.legendtext, .js-plotly-plot .cbaxis text')]
              .map((t) => [t.textContent, getComputedStyle(t).fill])
              .filter(([, f]) => f.startsWith('rgb') && 1.05 / (lum(f) + 0.05) < 4.5); }""")
        found += [f"chart text {t!r} in {f} (< 4.5:1)" for t, f in pale[:3]]
        if found:
            problems[title] = found
    assert not guard.blocked, f"external requests were needed: {guard.blocked[:5]}"
    assert not errors, errors
    print(f"page render at {width}px (s, browser wall clock):", timings)
    assert not problems, "\n".join(f"{t} @ {width}px: {f}" for t, fs in problems.items() for f in fs)


def test_keyboard_focus_differs_from_current_page_highlight(browser, server):
    page, _, _ = e2e.new_page(browser, server, width=1440, height=1000)
    e2e.goto(page, server, "leeftijd")
    page.wait_for_timeout(500)
    style = """(a) => { const s = getComputedStyle(a);
        return {outline: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor,
                bar: s.borderLeftStyle + ' ' + s.borderLeftWidth, current: a.getAttribute('aria-current')}; }"""
    current = page.locator('[data-testid="stSidebar"] a').get_by_text("Leeftijd", exact=True).locator("xpath=ancestor::a")
    here = current.evaluate(style)
    assert here["current"] == "page", here  # announced to screen readers, not only coloured
    assert here["bar"] == "solid 4px" and here["outline"] == "none", here
    for _ in range(40):  # keyboard focus from the top of the page to the "Wijken" link
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Wijken":
            break
    focused = page.locator(":focus").evaluate(style)
    assert page.evaluate("document.activeElement.textContent.trim()") == "Wijken"
    assert focused["outline"] == "solid" and focused["width"] >= 2, focused
    assert focused["color"] != "rgba(0, 0, 0, 0)" and focused["bar"] != here["bar"], (focused, here)


def test_phone_width_layout(browser, server):
    """390 px: the map fits, its colour scale does not cover it, toolbars are hidden, titles break
    between words, and the Overzicht is not a 2,000 px stack before the first chart."""
    page, _, errors = e2e.new_page(browser, server, width=390, height=844)
    vw = 390
    e2e.goto(page, server, "wijken")
    page.wait_for_timeout(800)
    plot = page.locator('[data-testid="stPlotlyChart"]').first
    box = plot.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= vw + 1, box
    # every wijk on the screen: the map fitted to the phone's width
    drawn = page.evaluate(MAP_DRAWN)
    assert drawn["paths"] and drawn["canvas"] == 0
    assert min(p[1] for p in drawn["paths"]) >= 0 and max(p[3] for p in drawn["paths"]) <= vw + 1, drawn["paths"]
    overlap = page.evaluate("""() => { const gd = document.querySelector('.js-plotly-plot');
        const cb = gd.querySelector('.colorbar'); const map = gd.querySelector('g.geo rect');
        if (!cb) return 0; const a = cb.getBoundingClientRect(), b = map.getBoundingClientRect();
        const x = Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left));
        const y = Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top)); return x * y; }""")
    assert overlap < 50, f"colour scale covers the map ({overlap:.0f} px²)"
    visible_toolbars = page.evaluate("""() => [...document.querySelectorAll('.modebar-container')]
        .filter((m) => getComputedStyle(m).display !== 'none').length""")
    assert visible_toolbars == 0
    for url_path in ("abonnementstarief", "levering", ""):
        if url_path not in e2e.available_pages():
            continue
        e2e.navigate(page, url_path)
        h1 = page.locator("h1").first
        broken = h1.evaluate("""(h) => { const r = document.createRange(); const t = h.textContent.trim();
            const words = t.split(/\s+/); const node = [...h.querySelectorAll('*'), h].map((e) => [...e.childNodes])
              .flat().find((c) => c.nodeType === 3 && c.textContent.trim().length > 0);
            if (!node) return false; r.selectNodeContents(node);
            return [...r.getClientRects()].length > words.length; }""")
        assert not broken, f"title broken inside a word: {h1.inner_text()!r}"
        assert page.evaluate("document.documentElement.scrollWidth") <= vw + 1, f"{url_path}: page wider than the phone"
    # Overzicht: the six key-figure cards two a row, not stacked one under the other (about 1,300 px)
    span = page.evaluate("""() => { const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
        .map((e) => e.getBoundingClientRect()); return Math.max(...m.map((r) => r.bottom)) - Math.min(...m.map((r) => r.top)); }""")
    assert span < 800, f"the key figures take {span:.0f} px at phone width"
    assert not errors, errors
