"""Step 5 of the flow, the aanbieders' declarations: one declaraties file per aanbieder and year, in the
aanbieder's dialect, with planted defects, credit corrections and the suspicious aanbieder's duplicates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from hbh_demo import anomalies
from hbh_demo.calibration import AANBIEDERS, PRODUCTS
from hbh_demo.clients import ClientAttributes
from hbh_demo.csv_files import (AANBIEDER_DIALECT_CYCLE, DECLARATIE_COLUMNS, DIALECTS, Dialect, constant_column, date_column,
                                file_entry, write_frame)
from hbh_demo.declaraties import Lines, build_declaraties
from hbh_demo.defects import MIN_DEFECTS_PER_DATASET, choose_defect_rows, plant_defects
from hbh_demo.indicaties import Indicaties
from hbh_demo.population import Region

def write_declaraties_files(out_dir: Path, rng_lines: np.random.Generator, rng: np.random.Generator,
                            ind: Indicaties, clients: ClientAttributes, region: Region, tariff: np.ndarray,
                            first_year: int, last_year: int, defect_rate: float) -> tuple[list[dict], int]:
    """One file per aanbieder per year (built one aanbieder at a time to bound memory).

    Returns the file entries and the number of credit corrections."""
    ind_gem = clients.gemeente[ind.person]
    ind_aanb = ind.aanbieder
    zin = ~clients.pgb[ind.person]
    gem_codes = pl.Series(region.gem_code)
    gem_num = np.array([int(c[-2:]) for c in region.gem_code])
    files, n_corrections, n_defects = [], 0, 0
    for a, (agb, _naam) in enumerate(AANBIEDERS):
        lines = build_declaraties(rng_lines, ind, np.flatnonzero(zin & (ind_aanb == a)), ind_gem, tariff,
                                  first_year, last_year)
        n_corrections += lines.corrections.shape[0]
        years = np.arange(first_year, last_year + 1)
        bounds = np.searchsorted(lines.year, np.append(years, last_year + 1))
        corr_year = lines.year[lines.corrections[:, 0]]
        corrections = [lines.corrections[corr_year == y] - bounds[i] for i, y in enumerate(years)]
        defect_rows = choose_defect_rows(rng, np.diff(bounds).tolist(), defect_rate,
                                          [c.ravel() for c in corrections],
                                          minimum=MIN_DEFECTS_PER_DATASET - n_defects)
        n_defects += sum(r.size for r in defect_rows)
        dialect = DIALECTS[AANBIEDER_DIALECT_CYCLE[a % len(AANBIEDER_DIALECT_CYCLE)]]
        for i, year in enumerate(years):
            lo, hi = int(bounds[i]), int(bounds[i + 1])
            if hi == lo:
                continue
            df = declaraties_frame(lines, lo, hi, ind, ind_gem, clients.bsn, a, int(year), dialect,
                                   gem_codes, gem_num)
            df, defects = plant_defects(rng, df, defect_rows[i], "declaraties", dialect)
            df, duplicates = anomalies.plant_duplicates(
                df, agb, int(year), {d["record"] for d in defects} | {int(r) + 1 for r in corrections[i].ravel()})
            rel = f"declaraties/{agb}_{year}.csv"
            write_frame(out_dir / rel, df, dialect)
            files.append(file_entry(
                rel, "declaraties", dialect, df.height, defects, aanbieder_agb=agb, jaar=int(year),
                credit_corrections=[{"original_record": o + 1, "credit_record": c + 1, "corrected_record": n + 1}
                                    for o, c, n in corrections[i].tolist()],
                duplicates=duplicates))
        del lines
    return files, n_corrections


def declaraties_frame(lines: Lines, lo: int, hi: int, ind: Indicaties, ind_gem: np.ndarray,
                      bsn: np.ndarray, a: int, year: int, dialect: Dialect, gem_codes: pl.Series,
                      gem_num: np.ndarray) -> pl.DataFrame:
    """Frame of one aanbieder-year file (lines[lo:hi]) in the contract's column order.

    Columns a defect may hit are text; the others keep their type and are formatted by the writer
    (bedrag as a float with two decimals, the dialect's decimal separator)."""
    i = lines.ind[lo:hi]
    n = hi - lo
    g = ind_gem[i]
    G = len(gem_codes)
    # DeclaratieNummer: one per aanbieder, gemeente and month, e.g. D202201-3-01
    numbers = pl.Series([f"D{year}{m:02d}-{a + 1}-{gem_num[x]:02d}" for m in range(1, 13) for x in range(G)])
    ref = pl.select(pl.concat_str([
        pl.lit(f"R{year}-"), pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(8)
    ])).to_series()
    df = pl.DataFrame([
        numbers.gather((lines.decl_month[lo:hi] % 12) * G + g).alias("declaratie_nummer"),
        gem_codes.gather(g).alias("gemeente_code"),
        constant_column(AANBIEDERS[a][0], n, "aanbieder_agb"),
        pl.Series("bsn", bsn[ind.person[i]]).cast(pl.String),
        ref.alias("referentie_nummer"),
        pl.Series("toewijzing_nummer", ind.toewijzing_nummer[i]),
        pl.Series("product_code", [x[0] for x in PRODUCTS]).gather(ind.product[i]),
        date_column(lines.begin[lo:hi], dialect, "begindatum"),
        date_column(lines.end[lo:hi], dialect, "einddatum"),
        pl.Series("geleverd_volume", lines.volume[lo:hi]).cast(pl.String),
        constant_column("01", n, "eenheid"),  # minuten
        pl.Series("bedrag", lines.cents[lo:hi] / 100),
        pl.select(pl.when(pl.Series(lines.credit[lo:hi])).then(pl.lit("C")).otherwise(pl.lit("D")))
        .to_series().alias("debet_credit"),
    ])
    assert tuple(df.columns) == DECLARATIE_COLUMNS
    return df
