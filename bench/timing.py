"""Server-side render time of every dashboard page (for the benchmark), without a browser.

    python bench/timing.py [--serving path.duckdb] [--repeat 3]

Runs each page with Streamlit's AppTest in this process: ``cold`` = first run with empty caches
(every query reads the snapshot), ``warm`` = a rerun (cached results). Also reports the time spent in
snapshot queries (dashboards.snapshot.query) per page. Prints a table; ``--json`` prints JSON instead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = ROOT / "dashboards"
APP = DASHBOARDS / "app.py"


def measure(serving: Path, repeat: int = 3, pages: list[str] | None = None) -> dict[str, dict]:
    os.environ["HBH_SERVING"] = str(serving)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboards import snapshot

    spent = {"q": 0.0}
    real_query = snapshot.query

    def timed_query(sql: str):
        t = time.perf_counter()
        try:
            return real_query(sql)
        finally:
            spent["q"] += time.perf_counter() - t

    snapshot.query = timed_query  # every module calls it as snapshot.query
    views = pages or sorted(p.name for p in (DASHBOARDS / "views").glob("*.py") if not p.name.startswith("_"))
    out: dict[str, dict] = {}
    for view in views:
        cold, warm, queries = [], [], []
        for _ in range(repeat):
            st.cache_data.clear()
            at = AppTest.from_file(str(APP), default_timeout=120)
            at.run()
            if view != "overzicht.py":
                at.switch_page(f"views/{view}")
            st.cache_data.clear()  # cold: the page's own queries read the snapshot
            spent["q"] = 0.0
            t = time.perf_counter()
            at.run()
            cold.append(time.perf_counter() - t)
            queries.append(spent["q"])
            t = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t)
        error = at.exception[0].value.splitlines()[0][:120] if at.exception else ""
        out[view.removesuffix(".py")] = {
            "error": error,
            "cold_s": round(statistics.median(cold), 3),
            "warm_s": round(statistics.median(warm), 3),
            "queries_cold_s": round(statistics.median(queries), 3),
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--serving", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from hbh_monitor import settings

    res = measure(args.serving or settings.serving_path(), args.repeat)
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"{'page':22s} {'cold s':>8s} {'warm s':>8s} {'queries s':>10s}")
        for page, r in res.items():
            print(f"{page:22s} {r['cold_s']:8.3f} {r['warm_s']:8.3f} {r['queries_cold_s']:10.3f}  {r['error']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
