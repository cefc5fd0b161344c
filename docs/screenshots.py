"""Screenshots of every dashboard page for the README, made with the same tooling as the browser tests.

    python docs/screenshots.py                      # the published snapshot (make demo), else a fresh demo run
    python docs/screenshots.py --serving path.duckdb
    python docs/screenshots.py --fresh              # always generate a small demo region and run the pipeline

Writes docs/screenshots/<page>.png (1440 px) and <page>-phone.png (390 px, council pages) and prints the time each page took to render in the browser
(navigation until the script is idle and the page's main element is visible).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import e2e  # noqa: E402  (tests/e2e.py)

OUT = ROOT / "docs" / "screenshots"
NAMES = {"": "overzicht"}
DEMO_ARGS = ["--seed", "7", "--scale", "0.2", "--gemeenten", "5"]


def demo_run(data_dir: Path) -> Path:
    """Generate the demo region and run the Dagster job `refresh`, as `make demo` does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HBH_", "DAGSTER_"))}
    env.update(HBH_DATA_DIR=str(data_dir), HBH_DEMO="1", DAGSTER_HOME=str(data_dir / "dagster_home"))
    (data_dir / "dagster_home").mkdir(parents=True, exist_ok=True)
    (data_dir / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    bin_dir = Path(sys.executable).parent
    subprocess.run([sys.executable, "-m", "hbh_demo", "--out", str(data_dir / "landing"), *DEMO_ARGS],
                   env=env, check=True, capture_output=True)
    subprocess.run([str(bin_dir / "dagster"), "job", "execute", "-m", "hbh_monitor.definitions", "-j", "refresh"],
                   cwd=ROOT / "pipelines", env=env, check=True, capture_output=True)
    return data_dir / "serving" / "hbh_serving.duckdb"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--serving", type=Path, help="snapshot to show (default: the configured one)")
    ap.add_argument("--fresh", action="store_true", help="generate a small demo region and run the pipeline first")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if not e2e.chromium_available():
        print(f"{e2e.CHROMIUM} not found: apt-get install -y chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    from hbh_monitor import settings

    work = Path(tempfile.mkdtemp(prefix="hbh_screens_"))
    serving = args.serving or settings.serving_path()
    if args.fresh or not serving.is_file():
        print(f"demo run in {work} ...", flush=True)
        serving = demo_run(work / "data")
    args.out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    with e2e.streamlit_server(serving, log_dir=work) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=e2e.CHROMIUM, headless=True)
        page, guard, errors = e2e.new_page(browser, server, width=1440, height=1250)
        for url_path, (title, _) in e2e.available_pages().items():
            t = time.monotonic()
            e2e.goto(page, server, url_path)
            timings[title] = time.monotonic() - t
            page.wait_for_timeout(1200)  # let Plotly finish drawing
            if page.locator('[data-testid="stException"]').count():
                print(f"!! exception on {title}", file=sys.stderr)
            path = args.out / f"{NAMES.get(url_path, url_path)}.png"
            page.screenshot(path=str(path), full_page=False)
            print(f"{title:28s} {timings[title]:5.2f} s  -> {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
            if url_path == "wijken":  # second picture: the wijk profile below the map
                heading = page.locator('h3:has-text("Profiel")').first
                heading.evaluate("e => e.scrollIntoView({block: 'start'})")
                page.wait_for_timeout(800)
                page.screenshot(path=str(args.out / "wijken-profiel.png"), full_page=False)
        # phone width (390 px): the council pages as a council member sees them on a phone
        phone, guard_p, errors_p = e2e.new_page(browser, server, width=390, height=844)
        for url_path in e2e.COUNCIL:
            if url_path not in e2e.available_pages():
                continue
            e2e.goto(phone, server, url_path)
            phone.wait_for_timeout(1200)
            path = args.out / f"{NAMES.get(url_path, url_path)}-phone.png"
            phone.screenshot(path=str(path), full_page=False)
            print(f"{e2e.PAGES[url_path][0] + ' (390 px)':28s}          -> {path.name}")
        guard.blocked += guard_p.blocked
        errors += errors_p
        browser.close()
    if guard.blocked:
        print(f"!! external requests were blocked: {guard.blocked[:5]}", file=sys.stderr)
    if errors:
        print(f"!! page errors: {errors[:3]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
