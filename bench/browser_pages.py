"""Benchmark (not a test): time to a ready page in headless Chromium, per page, at 1440 and 390 px.

    python bench/browser_pages.py [--serving path.duckdb] [--repeat 3] [--pages wijken levering]
    python bench/browser_pages.py --compare ../main-checkout   # before (that checkout) / after (this one)

For every page and width:

- ``cold``: a freshly started Streamlit server (empty st.cache_data, nothing imported yet by a session)
  and a new browser context (empty HTTP cache), first visit;
- ``warm``: the same page visited again in the same context (server caches and browser cache warm);
  the median of ``--repeat`` visits;
- ``menu``: the page reached from another page by its link in the sidebar menu, as a reader goes through
  the app (no page load: the app stays and reruns its script); the median of ``--repeat``.

Ready = Streamlit's script state is ``notRunning``, the page's main element is visible and every Plotly
chart on the page has drawn (``.main-svg``). Also printed per page: what the server sent over the
WebSocket (KB, the page's figures and tables), how much of a warm visit the browser spends after the
server's last WebSocket frame (rendering and drawing), and the server-side script time of a warm rerun
(``bench/timing.py``), to see where the time goes. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import e2e  # noqa: E402  (tests/e2e.py)

WIDTHS = {"1440": (1440, 1000), "390": (390, 844)}
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .every((c) => c.querySelector('.main-svg'))"""


def _visit(page, server, url_path: str, seen: dict) -> tuple[float, float]:
    """Seconds to a ready page, and of those the browser's own share: from the last WebSocket frame the
    server sent (the page's last element) to ready, i.e. rendering and drawing."""
    t = time.perf_counter()
    seen["last"] = t
    e2e.goto(page, server, url_path)
    page.wait_for_function(CHARTS_DRAWN, timeout=60_000)
    end = time.perf_counter()
    return end - t, end - seen["last"]


def _via_menu(page, url_path: str) -> float:
    """Seconds to a ready page reached by the sidebar menu from another (ready) page."""
    other = next(p for p in e2e.available_pages() if p != url_path)
    e2e.navigate(page, other)
    page.wait_for_function(CHARTS_DRAWN, timeout=60_000)
    t = time.perf_counter()
    e2e.navigate(page, url_path)
    page.wait_for_function(CHARTS_DRAWN, timeout=60_000)
    return time.perf_counter() - t


def _ws_counter(page) -> dict:
    """Bytes received over the WebSocket (Chrome DevTools Protocol)."""
    seen = {"bytes": 0, "last": 0.0}
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")

    def frame(ev: dict) -> None:
        r = ev.get("response", {})
        data = r.get("payloadData", "")
        seen["bytes"] += len(base64.b64decode(data)) if r.get("opcode") == 2 else len(data.encode())
        seen["last"] = time.perf_counter()

    cdp.on("Network.webSocketFrameReceived", frame)
    return seen


def measure(serving: Path, pages: list[str], repeat: int, roots: dict[str, Path] | None = None) -> list[dict]:
    """``roots``: label -> a checkout of the project whose dashboards to run (default: this one). With
    two (``--compare``), each page and width is measured for both in turn, so a busy machine slows
    both alike."""
    from playwright.sync_api import sync_playwright

    roots = roots or {"": ROOT}
    rows = []
    log_dir = Path(tempfile.mkdtemp(prefix="hbh_bench_browser_"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=e2e.CHROMIUM, headless=True)
        for url_path, (wname, (w, h)), (label, root) in (
            (u, wi, r) for u in pages for wi in WIDTHS.items() for r in roots.items()
        ):
            title = e2e.PAGES[url_path][0]
            e2e.ROOT = root  # streamlit_server runs <root>/dashboards/app.py from <root>
            with e2e.streamlit_server(serving, log_dir=log_dir) as server:
                page, guard, _ = e2e.new_page(browser, server, width=w, height=h)
                counter = _ws_counter(page)
                try:
                    cold, _ = _visit(page, server, url_path, counter)
                    cold_kb = counter["bytes"] / 1024
                    warm, drawing = [], []
                    for _ in range(repeat):
                        counter["bytes"] = 0
                        total, browser_only = _visit(page, server, url_path, counter)
                        warm.append(total)
                        drawing.append(browser_only)
                    menu = [_via_menu(page, url_path) for _ in range(repeat)]
                except Exception as e:  # not ready within the timeout: reported, the other pages still measured
                    print(f"{title:26s} {wname:>5s} px {label:8s} NOT READY: {str(e).splitlines()[0]}", flush=True)
                    page.context.close()
                    continue
                page.context.close()
            rows.append({"page": title, "view": url_path.replace("-", "_") or "overzicht", "width": wname, "code": label, "cold_s": round(cold, 2),
                         "warm_s": round(statistics.median(warm), 2),
                         "menu_s": round(statistics.median(menu), 2), "ws_kb": round(cold_kb),
                         "browser_s": round(statistics.median(drawing), 2),
                         "blocked": len(guard.blocked)})
            print(f"{title:26s} {wname:>5s} px {label:8s} cold {cold:5.2f} s  warm {statistics.median(warm):5.2f} s"
                  f"  menu {statistics.median(menu):5.2f} s"
                  f" (browser after the last frame {statistics.median(drawing):5.2f} s)  {cold_kb:7.0f} KB", flush=True)
        browser.close()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--serving", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pages", nargs="*", help="url paths ('' = Overzicht); default: every page")
    ap.add_argument("--no-server-times", action="store_true", help="skip bench/timing.py")
    ap.add_argument("--compare", type=Path, metavar="CHECKOUT",
                    help="another checkout (e.g. a git worktree of main): measured as 'before', this one as 'after'")
    args = ap.parse_args()
    if not e2e.chromium_available():
        print(f"{e2e.CHROMIUM} not found", file=sys.stderr)
        return 2
    from hbh_monitor import settings

    serving = (args.serving or settings.serving_path()).resolve()  # the servers run in their checkout's folder
    pages = args.pages if args.pages is not None else list(e2e.available_pages())
    roots = {"before": args.compare.resolve(), "after": ROOT} if args.compare else None
    rows = measure(serving, pages, args.repeat, roots)
    server = {}
    if not args.no_server_times:
        import timing  # bench/timing.py: the pages' script time with AppTest, no browser

        server = timing.measure(serving, repeat=1, pages=[f"{r['view']}.py" for r in rows if r["code"] != "before"])
    print(f"\nSnapshot: {serving} ({serving.stat().st_size / 1e6:.1f} MB)\n")
    print("| page | width | code | cold (s) | warm (s) | by the menu (s) | warm: browser after the last frame (s) "
          "| sent over WebSocket (KB) | script cold / warm (s) |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        s = server.get(r["view"], {})
        script = f"{s['cold_s']:.2f} / {s['warm_s']:.2f}" if s else "–"
        print(f"| {r['page']} | {r['width']} | {r['code'] or '–'} | {r['cold_s']:.2f} | {r['warm_s']:.2f} | {r['menu_s']:.2f} "
              f"| {r['browser_s']:.2f} | {r['ws_kb']} "
              f"| {script if r['code'] != 'before' else '–'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
