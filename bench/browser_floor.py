"""Benchmark (not a test): Streamlit's own floor, the time to a ready page of an app with next to nothing on it.

    python bench/browser_floor.py [--repeat 5] [--serving <snapshot> --pages '' abonnementstarief]

Measured exactly as ``bench/browser_pages.py`` measures the dashboards (same Chromium, same ready
condition, cold / warm by address / by the menu, at 1440 and 390 px), on a throw-away app of two pages
with this project's Streamlit config (``.streamlit/config.toml``):

- ``Leeg``: a title and one sentence;
- ``Grafiek``: a title and one Plotly line chart of five points (Streamlit loads Plotly's bundle for it).

What a dashboard page takes beyond this floor is ours to make faster; the floor itself is Streamlit's
frontend starting, its WebSocket session, and Plotly's bundle. With ``--pages``, those dashboard pages
are measured right after the floor, in the same browser (the machine's load then weighs on both alike).
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

import browser_pages  # noqa: E402  (bench/browser_pages.py: the same measurement)
import e2e  # noqa: E402  (tests/e2e.py)

APP = '''
import streamlit as st

st.set_page_config(page_title="Vloer", layout="wide")


def leeg():
    st.title("Leeg")
    st.write("Een pagina met niets erop.")


def grafiek():
    import plotly.express as px

    st.title("Grafiek")
    st.plotly_chart(px.line(x=[2021, 2022, 2023, 2024, 2025], y=[1, 3, 2, 4, 5]))


st.navigation([st.Page(leeg, title="Leeg", default=True),
               st.Page(grafiek, title="Grafiek", url_path="grafiek")]).run()
'''

FLOOR_PAGES = {"": ("Leeg", "h1"), "grafiek": ("Grafiek", '[data-testid="stPlotlyChart"]')}


def floor_app() -> Path:
    """A folder laid out as a checkout (dashboards/app.py, .streamlit/config.toml) holding the floor app."""
    root = Path(tempfile.mkdtemp(prefix="hbh_bench_floor_"))
    (root / "dashboards").mkdir()
    (root / "dashboards" / "app.py").write_text(APP)
    shutil.copytree(ROOT / ".streamlit", root / ".streamlit")
    return root


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--serving", type=Path, help="the snapshot the dashboard pages read (with --pages)")
    ap.add_argument("--pages", nargs="*", default=[], help="dashboard url paths to measure after the floor ('' = Overzicht)")
    args = ap.parse_args()
    if not e2e.chromium_available():
        print(f"{e2e.CHROMIUM} not found", file=sys.stderr)
        return 2
    dashboard_pages, own = e2e.available_pages(), dict(e2e.PAGES)
    e2e.PAGES.update(FLOOR_PAGES)
    root = floor_app()
    try:
        e2e.available_pages = lambda: dict(FLOOR_PAGES)  # by the menu: from the floor's other page
        rows = browser_pages.measure(root / "unused.duckdb", list(FLOOR_PAGES), args.repeat, {"": root})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for r in rows:
        r["app"] = "floor"
    if args.pages:
        e2e.available_pages = lambda: dashboard_pages
        e2e.PAGES.update(own)  # "" is Overzicht again
        for r in browser_pages.measure(args.serving.resolve(), args.pages, args.repeat):
            rows.append({**r, "app": "dashboards"})
    print("\n| app | page | width | cold (s) | warm, by address (s) | by the menu (s) | warm: browser after the last frame (s) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['app']} | {r['page']} | {r['width']} | {r['cold_s']:.2f} | {r['warm_s']:.2f} | {r['menu_s']:.2f} | {r['browser_s']:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
