"""Fetch CBS open-data tables with the ``cbsodata`` package into the landing folder, in StatLine's layout.

    python -m hbh_monitor.cbs_fetch --table 85639NED --dataset cbs_wmo [--region GM0268 ...] [--out landing]

(``make cbs`` runs it for the tables in ``CBS_TABLES``.) It downloads the table's UntypedDataSet (values as
CBS publishes them: codes padded, periods such as ``2023JJ00``, ``.`` for a secret figure) and writes
``<out>/<dataset>/<table>_UntypedDataSet_<yyyymmdd>.csv`` with ``;`` and quoted values, the layout of a
StatLine download that :mod:`hbh_monitor.readers.statline` reads. Dimension columns other than the region
and the period (such as TypeMaatwerkarrangement) are written as their titles ("Hulp bij het huishouden"),
as ``cbsodata.get_data`` gives them, so no code list is needed downstream. ``--region`` keeps only the rows
of those gemeenten (and their wijken and buurten) plus Nederland; without it the whole table is kept (the
benchmark needs the other wijken). Needs the internet; the tests never call it.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from hbh_monitor import settings

REGION_KEYS = ("WijkenEnBuurten", "RegioS")
KEEP_AS_KEY = REGION_KEYS + ("Perioden",)


def statline_rows(data: list[dict], dimensions: dict[str, dict[str, str]], regions: list[str] | None = None
                  ) -> tuple[list[str], list[list]]:
    """Header and rows in StatLine's layout from the UntypedDataSet (``data``) and the tables of the
    dimensions (key → title). Region and period stay codes; other dimensions become titles."""
    if not data:
        return [], []
    header = list(data[0].keys())
    if "ID" not in header:
        header.insert(0, "ID")
    wanted = [r.strip().upper() for r in regions or []]
    rows = []
    for rec in data:
        region = next((str(rec[k]) for k in REGION_KEYS if k in rec), "").strip()
        if wanted and not (region.startswith("NL") or any(region[2:6] == w[2:6] for w in wanted)):
            continue
        out = []
        for h in header:
            v = rec.get(h)
            if h in dimensions and h not in KEEP_AS_KEY and v in dimensions[h]:
                v = dimensions[h][v]
            out.append("." if v is None else str(v))
        rows.append(out)
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [";".join(f'"{h}"' for h in header)] + [";".join(f'"{c}"' for c in r) for r in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return len(rows)


def fetch(table: str, dataset: str, out: Path, regions: list[str] | None = None) -> Path:
    import cbsodata  # only here: the pipeline and the tests run without it

    meta = cbsodata.download_data(table, typed=False)  # the data set + the tables of the dimensions
    # cbsodata 1.3.5 returns the TypedDataSet for typed=False (it removes the name it was asked for from its
    # list): take whichever came; in the typed one a secret figure is empty (None), written as "." below.
    data = meta.get("UntypedDataSet") or meta.get("TypedDataSet") or []
    dims = {k: {r["Key"]: r["Title"] for r in v} for k, v in meta.items()
            if isinstance(v, list) and v and isinstance(v[0], dict) and {"Key", "Title"} <= set(v[0])}
    header, rows = statline_rows(data, dims, regions)
    path = out / dataset / f"{table}_UntypedDataSet_{dt.date.today():%Y%m%d}.csv"
    n = write_csv(path, header, rows)
    print(f"{table}: {n} rijen naar {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hbh_monitor.cbs_fetch", description=__doc__.split("\n\n")[0])
    p.add_argument("--table", action="append", required=True, help="StatLine table id, e.g. 85639NED (repeatable)")
    p.add_argument("--dataset", required=True, choices=["cbs_wmo", "cbs_kwb", "cbs_wmo_kenmerken"])
    p.add_argument("--region", action="append", help="gemeente code (GM0268) to keep; default: the whole table")
    p.add_argument("--out", type=Path, default=None, help="landing folder (default: HBH_LANDING_DIR)")
    a = p.parse_args(argv)
    for t in a.table:
        try:
            fetch(t, a.dataset, a.out or settings.landing_dir(), a.region)
        except Exception as exc:  # no network, unknown table, CBS down: say so, nothing half-written
            print(f"CBS-tabel {t} kon niet worden opgehaald ({type(exc).__name__}: {str(exc)[:200]}). Is er "
                  "internet? Zonder internet: download de tabel als CSV via StatLine en zet hem in "
                  f"landing/{a.dataset}/.")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
