"""Step 5 of the flow, the municipal registration: one indicaties export per gemeente, in its dialect,
with the planted defects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from hbh_demo import delivery
from hbh_demo.calibration import AANBIEDERS, PRODUCTS
from hbh_demo.clients import ClientAttributes, Persons
from hbh_demo.csv_files import (DIALECTS, INDICATIE_COLUMNS, INDICATIE_DIALECT_CYCLE, Dialect, constant_column, date_column,
                                file_entry, write_frame)
from hbh_demo.defects import choose_defect_rows, plant_defects
from hbh_demo.indicaties import Indicaties
from hbh_demo.population import Region

def indicaties_frame(sel: np.ndarray, ind: Indicaties, persons: Persons, clients: ClientAttributes,
                     region: Region, g: int, dialect: Dialect) -> pl.DataFrame:
    """String frame of one gemeente's export (indications ``sel``) in the contract's column order."""
    p = ind.person[sel]
    n = sel.size
    agb = pl.Series([a[0] for a in AANBIEDERS]).gather(ind.aanbieder[sel])
    df = pl.DataFrame([
        pl.Series("bsn", clients.bsn[p]).cast(pl.String),
        date_column(persons.birth[p], dialect, "geboortedatum"),
        pl.Series("geslacht", clients.geslacht[p]),
        constant_column(region.gem_code[g], n, "gemeente_code"),
        pl.Series("wijk_code", region.wijk_code).gather(persons.wijk[p]),
        pl.Series("toewijzing_nummer", ind.toewijzing_nummer[sel]).cast(pl.String),
        pl.Series("product_code", [x[0] for x in PRODUCTS]).gather(ind.product[sel]),
        pl.select(pl.when(pl.Series(clients.pgb[p])).then(pl.lit("PGB")).otherwise(pl.lit("ZIN")))
        .to_series().alias("leveringsvorm"),
        pl.select(pl.when(pl.Series(clients.pgb[p])).then(pl.lit(None, pl.String)).otherwise(agb))
        .to_series().alias("aanbieder_agb"),
        date_column(ind.toewijzingsdatum[sel], dialect, "toewijzingsdatum"),
        date_column(ind.start[sel], dialect, "ingangsdatum"),
        date_column(ind.end[sel], dialect, "einddatum", open_end=True),
        pl.Series("volume", ind.volume[sel]).cast(pl.String),
        constant_column("01", n, "eenheid"),  # minuten
        constant_column("2", n, "frequentie"),  # per week (per two weeks for 01A02, see producten)
    ])
    assert tuple(df.columns) == INDICATIE_COLUMNS
    return df


def write_indicaties_files(out_dir: Path, rng: np.random.Generator, ind: Indicaties, persons: Persons,
                           clients: ClientAttributes, region: Region,
                           defect_rate: float) -> tuple[list[dict], np.ndarray]:
    """One full registration export per gemeente, rows in toewijzing_nummer order.

    Returns the file entries and the indices of the indications whose row was made defective."""
    ind_gem = clients.gemeente[ind.person]
    frames = []
    for g in range(len(region.gem_code)):
        sel = np.flatnonzero(ind_gem == g)
        sel = sel[np.argsort(ind.toewijzing_nummer[sel])]
        dialect = DIALECTS[INDICATIE_DIALECT_CYCLE[g % len(INDICATIE_DIALECT_CYCLE)]]
        df = delivery.with_extra_columns(indicaties_frame(sel, ind, persons, clients, region, g, dialect), sel, ind)
        frames.append((g, dialect, df, sel))
    defect_rows = choose_defect_rows(rng, [f[2].height for f in frames], defect_rate)
    files, defective = [], []
    for (g, dialect, df, sel), bad in zip(frames, defect_rows):
        defective.append(sel[bad])
        df, defects = plant_defects(rng, df, bad, "indicaties", dialect)
        rel = f"indicaties/{region.gem_code[g]}_indicaties.csv"
        write_frame(out_dir / rel, df, dialect)
        files.append(file_entry(rel, "indicaties", dialect, df.height, defects,
                                 gemeente_code=region.gem_code[g]))
    return files, np.concatenate(defective)
