"""CLI: ``python -m hbh_demo --out DIR [--seed --scale --gemeenten --first-year --last-year --defect-rate --formats csv|mixed --round-year]``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from hbh_demo.generator import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hbh_demo",
        description="Write fictional HbH demo exports (landing folders) and demo_manifest.json.",
    )
    parser.add_argument("--out", type=Path, required=True, help="landing folder to write into")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every population (90 ~ national)")
    parser.add_argument("--gemeenten", type=int, default=5, help="number of demo gemeenten (1..99)")
    parser.add_argument("--first-year", type=int, default=2016)
    parser.add_argument("--last-year", type=int, default=2025)
    parser.add_argument("--defect-rate", type=float, default=0.003, help="share of rows made defective")
    parser.add_argument("--formats", choices=["csv", "mixed"], default="csv",
                        help="csv: every file CSV; mixed: also iWmo 3.2 XML (WMO301/305/307/323/325), xlsx and Parquet")
    parser.add_argument("--variants", action=argparse.BooleanOptionalAction, default=None,
                        help="plant the iWmo variants (etmaal/dagdeel/stuks/euro Omvang, budget-only, category level, "
                             "resultaatgericht, credits without debet, double credits, a re-delivered WMO301); "
                             "default: with --formats mixed")
    parser.add_argument("--round-year", type=int, default=None,
                        help="year of the herindicatie round to the normenkader 2025 (default: the last year, so "
                             "the data hold its outcome; last year + 1: a round that is only simulated)")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    m = generate(args.out, seed=args.seed, scale=args.scale, gemeenten=args.gemeenten,
                 first_year=args.first_year, last_year=args.last_year, defect_rate=args.defect_rate,
                 formats=args.formats, variants=args.variants, round_year=args.round_year)
    secs = time.perf_counter() - t0

    print(f"Demo data (seed {args.seed}, scale {args.scale:g}) written to {args.out} in {secs:.1f} s")
    per_format = {}
    for f in m["files"]:
        per_format[f.get("format", "csv")] = per_format.get(f.get("format", "csv"), 0) + 1
    print(f"  files: {len(m['files'])} ({', '.join(f'{k} {v}' for k, v in per_format.items())}); rows: "
          + ", ".join(f"{k} {v:,}" for k, v in m["rows_per_dataset"].items()))
    print("  defects: " + ", ".join(f"{k} {v}" for k, v in m["defects_per_dataset"].items() if v)
          + f"; credit corrections: {m['credit_corrections']}")
    rejected = sum(len(f.get("rejections", [])) for f in m["files"])
    variants: dict[str, int] = {}
    for f in m["files"]:
        for k, v in f.get("omvang_variants", {}).items():
            variants[k] = variants.get(k, 0) + v
    if rejected or variants:
        print(f"  iWmo: WMO325 rejections {rejected}; credits naming their debet "
              f"{sum(f.get('credits_with_debet', 0) for f in m['files'])}; WMO301 Omvang (eenheid/frequentie) "
              + ", ".join(f"{k} {v}" for k, v in sorted(variants.items())))
    v = m.get("iwmo_variants")
    if v:
        print(f"  iWmo variants ({v['gemeente_code']}, from {v['from_year']}): toewijzingen "
              + ", ".join(f"{k} {t['count']}" for k, t in v["toewijzingen"].items())
              + f"; clients without hours {v['clients_without_hours']}; credits without debet "
              f"{v['credits_without_debet']}, double credits {v['double_credits']}; re-delivered WMO301 "
              f"{len(v['redelivered_files'])}; corrected toewijzingen "
              + (", ".join(f"{k} {sum(c['field'] == k for c in v.get('corrections', []))}"
                           for k in sorted({c['field'] for c in v.get('corrections', [])})) or "0")
              + f"; starts corrected (StatusAanlevering 2) "
              f"{sum(t['status_aanlevering'] == '2' for t in v.get('start_stop', []))}, stops withdrawn (3) "
              f"{sum(t['status_aanlevering'] == '3' for t in v.get('start_stop', []))}")
    years = list(m["clients"]["region"])
    show = [y for y in ("2018", "2020", "2022", years[-1]) if y in years]
    print(f"  clients ({', '.join(show)}):")
    for g in m["gemeenten"]:
        code = g["gemeente_code"]
        counts = "  ".join(f"{m['clients']['per_gemeente'][code][y]:>7,}" for y in show)
        line = f"    {code} {g['gemeente_naam']:<16} {counts}"
        eff = m["abonnementstarief_effect"]["per_gemeente"].get(code)
        if eff:
            line += (f"   2018->2020 {eff['total_growth']:+.1%} = {eff['demographic_growth']:+.1%} demografisch"
                     f" {eff['excess_growth']:+.1%} abonnementstarief")
        print(line)
    eff = m["abonnementstarief_effect"]["region"]
    if eff:
        print(f"  region 2018->2020: {eff['total_growth']:+.1%} = {eff['demographic_growth']:+.1%} + "
              f"{eff['excess_growth']:+.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
