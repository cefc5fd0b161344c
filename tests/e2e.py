"""Real-browser tooling shared by tests/test_browser.py and docs/screenshots.py.

Starts ``streamlit run dashboards/app.py`` on a free port against a given snapshot, and drives
Debian's Chromium (``/usr/bin/chromium``, no ``playwright install``) through Playwright with every
non-localhost request aborted (the dashboards must work offline). Lives with the tests, not in the app folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("HBH_CHROMIUM", "/usr/bin/chromium")
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'

# url path -> (title, a selector that shows the page has rendered its main content)
PAGES: dict[str, tuple[str, str]] = {
    "": ("Overzicht", '[data-testid="stMetric"]'),
    # the map's wijken drawn (SVG geo map; a WebGL map drew a canvas: either is ready, so a benchmark can compare)
    "wijken": ("Wijken", '[data-testid="stPlotlyChart"] :is(path.choroplethlocation, canvas)'),
    "leeftijd": ("Leeftijd", '[data-testid="stPlotlyChart"]'),
    "abonnementstarief": ("Abonnementstarief", '[data-testid="stPlotlyChart"], [data-testid="stAlert"]'),
    "prognose": ("Prognose", '[data-testid="stPlotlyChart"], [data-testid="stAlert"]'),
    "kosten": ("Tarieven en kosten", '[data-testid="stPlotlyChart"], [data-testid="stAlert"]'),
    "eigen-bijdrage": ("Eigen bijdrage en inkomen", '[data-testid="stPlotlyChart"], [data-testid="stAlert"]'),
    "herindicatie": ("Herindicatie (simulatie)", '[data-testid="stPlotlyChart"], [data-testid="stAlert"]'),
    "levering": ("Levering en wachttijd", '[data-testid="stPlotlyChart"], [data-testid="stAlert"]'),
    "aanbieders": ("Aanbieders & declaraties", '[data-testid="stPlotlyChart"], [data-testid="stAlert"]'),
    "datakwaliteit": ("Datakwaliteit", '[data-testid="stDataFrame"]'),
    "wijkgericht": ("Wijkgericht werken", '[data-testid="stDataFrame"], [data-testid="stAlert"]'),
    "cbs": ("Vergelijken met CBS", '[data-testid="stDataFrame"], [data-testid="stAlert"]'),
    "prognoseband": ("Prognose met bandbreedte", '[data-testid="stPlotlyChart"], [data-testid="stAlert"]'),
}
COUNCIL = ("", "wijken", "leeftijd", "abonnementstarief", "prognose", "kosten", "eigen-bijdrage", "herindicatie", "levering")


def available_pages() -> dict[str, tuple[str, str]]:
    """The pages of PAGES whose view file exists (Abonnementstarief/Prognose come from other modules)."""
    views = ROOT / "dashboards" / "views"
    files = {"": "overzicht", "aanbieders": "aanbieders", "eigen-bijdrage": "eigen_bijdrage"}
    return {u: v for u, v in PAGES.items() if (views / f"{files.get(u, u)}.py").is_file()}


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: Path


@contextlib.contextmanager
def streamlit_server(serving: Path, *, log_dir: Path, extra_env: dict | None = None, port: int | None = None,
                     extra_args: tuple[str, ...] = ()) -> Iterator[Server]:
    """``streamlit run dashboards/app.py`` on ``port`` (default a free one), reading ``serving``, with
    ``extra_args`` added to the command line; stopped on exit."""
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HBH_")}
    env.update(HBH_SERVING=str(serving), PYTHONUNBUFFERED="1", **(extra_env or {}))
    log = log_dir / f"streamlit-{port}.log"
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [streamlit, "run", "dashboards/app.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", *extra_args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield Server(url, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Offline:
    """Aborts every request that does not go to the local server, and remembers them."""

    local: str
    blocked: list[str] = field(default_factory=list)

    def __call__(self, route) -> None:  # one argument: Playwright passes (route) only
        url = route.request.url
        if url.startswith(self.local) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


def new_page(browser, server: Server, *, width: int = 1400, height: int = 1000):
    """A page in a fresh nl-NL context with the offline guard; returns (page, guard, errors)."""
    ctx = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam",
                              viewport={"width": width, "height": height})
    guard = Offline(server.url.replace("127.0.0.1", "127.0.0.1"))
    ctx.route("**/*", guard)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, guard, errors


def wait_ready(page, selector: str, timeout: float = 60_000) -> None:
    """Script finished (notRunning) and the page's own element is visible."""
    page.wait_for_selector(READY, timeout=timeout)
    page.locator(selector).first.wait_for(state="visible", timeout=timeout)
    page.wait_for_selector(READY, timeout=timeout)


def goto(page, server: Server, url_path: str) -> None:
    """Open a page by its address (a new page load, as from a bookmark or a link in a mail)."""
    title, selector = PAGES[url_path]
    page.goto(f"{server.url}/{url_path}")
    page.wait_for_selector(f'h1:has-text("{title}")', timeout=60_000)
    wait_ready(page, selector)


def navigate(page, url_path: str) -> None:
    """Go to another page of the open app the way a reader does: by its link in the sidebar menu (at phone
    width the menu is folded away and opened first). No page load: the app stays and reruns its script."""
    title, selector = PAGES[url_path]
    expand = page.locator('[data-testid="stExpandSidebarButton"]')
    if expand.count() and expand.first.is_visible():
        expand.first.click()
    page.locator('[data-testid="stSidebar"] a').get_by_text(title, exact=True).first.click()
    page.wait_for_selector(f'h1:has-text("{title}")', timeout=60_000)
    wait_ready(page, selector)
