"""The analyst pages behind a real OIDC login, end to end: ``streamlit run`` with an ``[auth]`` secrets file,
a local OpenID Connect identity provider (``oidc-provider-mock``) and Debian's Chromium through Playwright.

- without a login, an analyst page shows only the login button: no reconciliation figures;
- after logging in at the identity provider, the same page shows its figures and who is logged in;
- a council-mode server (HBH_DASHBOARD_MODE=council) has no analyst page at all, also not by deep link.
Streamlit's st.login needs Authlib; the provider runs in a thread of the test process on a free port.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

import e2e  # noqa: E402  (tests/e2e.py)

pytest.importorskip("authlib", reason="st.login needs Authlib (pip install 'streamlit[auth]')")
oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
if not e2e.chromium_available():
    pytest.skip(f"{e2e.CHROMIUM} not found: the login test needs a browser", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

USER = "analist@gemeente.example"
WAIT = 90_000  # ms: generous, the test machine may be busy


@pytest.fixture(scope="module")
def idp():
    user = oidc_provider_mock.User(sub=USER, claims={"name": "Ada Analist", "email": USER})
    with oidc_provider_mock.run_server_in_thread(port=0, user_claims=[user]) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@contextlib.contextmanager
def _server(serving: Path, idp: str, tmp: Path, mode: str):
    port = e2e.free_port()
    url = f"http://127.0.0.1:{port}"
    secrets = tmp / f"secrets-{mode}.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-of-some-length"\n'
        'client_id = "hbh-monitor"\n'
        'client_secret = "hbh-secret"\n'
        f'server_metadata_url = "{idp}/.well-known/openid-configuration"\n'
    )
    with e2e.streamlit_server(serving, log_dir=tmp, extra_env={"HBH_DASHBOARD_MODE": mode}, port=port,
                              extra_args=("--secrets.files", str(secrets))) as server:
        yield url, server.log


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=e2e.CHROMIUM, headless=True)
        yield b
        b.close()


def _page(browser):
    ctx = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam", viewport={"width": 1400, "height": 1000})
    # only the two local servers (app and identity provider); nothing leaves the machine
    ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("http://127.0.0.1:", "data:", "blob:"))
              else route.abort())
    return ctx.new_page()


def test_analyst_page_needs_an_oidc_login_and_shows_its_figures_after_it(serving_db, idp, browser, tmp_path):
    with _server(serving_db, idp, tmp_path, "all") as (url, log):
        page = _page(browser)
        page.goto(f"{url}/aanbieders")
        login = page.get_by_role("button", name="Inloggen")
        login.wait_for(state="visible", timeout=WAIT)
        page.wait_for_selector(e2e.READY, timeout=WAIT)
        assert page.get_by_text("Deze pagina is alleen voor analisten").count() == 1
        assert page.locator('[data-testid="stDataFrame"], [data-testid="stPlotlyChart"]').count() == 0
        login.click()
        # the identity provider's authorisation form: who logs in
        page.wait_for_url(f"{idp}/**", timeout=WAIT)
        page.locator('input[name="sub"]').fill(USER)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{url}/**", timeout=WAIT)
        page.goto(f"{url}/aanbieders")
        page.wait_for_selector('h1:has-text("Aanbieders")', timeout=WAIT)
        page.get_by_text("Ingelogd als").first.wait_for(state="visible", timeout=WAIT)
        page.locator('[data-testid="stDataFrame"], [data-testid="stPlotlyChart"]').first.wait_for(state="visible", timeout=WAIT)
        page.wait_for_selector(e2e.READY, timeout=WAIT)
        assert page.get_by_role("button", name="Inloggen").count() == 0, log.read_text()[-2000:]
        assert page.get_by_text("Ingelogd als").count() >= 1
        assert page.locator('[data-testid="stDataFrame"], [data-testid="stPlotlyChart"]').count() >= 1
        assert page.locator('[data-testid="stException"]').count() == 0


def test_council_server_has_no_analyst_page_even_by_deep_link(serving_db, idp, browser, tmp_path):
    with _server(serving_db, idp, tmp_path, "council") as (url, _log):
        page = _page(browser)
        for path in ("aanbieders", "datakwaliteit"):
            page.goto(f"{url}/{path}")
            page.wait_for_selector('h1:has-text("Overzicht")', timeout=WAIT)  # the default page instead
            # the sidebar menu: page links in the container keyed hbh_nav (dashboards/app.py)
            page.locator(".st-key-hbh_nav a").get_by_text("Wijken", exact=True).wait_for(state="visible", timeout=WAIT)
            nav = page.locator(".st-key-hbh_nav").inner_text()
            assert "Aanbieders" not in nav and "Datakwaliteit" not in nav and "Wijken" in nav
            assert page.get_by_role("button", name="Inloggen").count() == 0
            assert page.get_by_text("Bevindingen").count() == 0
