"""Step 5 of the flow, reference data: wijken, bevolking (waarneming + prognose), producten with their
tariffs, aanbieders."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hbh_demo import money
from hbh_demo.calibration import AANBIEDERS, BANDS, PRODUCTS
from hbh_demo.csv_files import DIALECTS, REFERENCE_DIALECT, decimal_text, file_entry, write_small_csv
from hbh_demo.population import Region

def write_reference_files(out_dir: Path, region: Region, pop: np.ndarray, pop_years: np.ndarray,
                          tariff: np.ndarray, first_year: int, last_year: int) -> list[dict]:
    """wijken, bevolking (waarneming + prognose), producten (per gemeente and year), aanbieders."""
    files = []

    def write(dataset: str, header: tuple, rows: list[list]) -> None:
        d = DIALECTS[REFERENCE_DIALECT[dataset]]
        rel = f"{dataset}/{dataset}.csv"
        files.append(file_entry(rel, dataset, d, write_small_csv(out_dir / rel, d, header, rows)))

    write("wijken", ("gemeente_code", "gemeente_naam", "wijk_code", "wijk_naam"),
          [[region.gem_code[g], region.gem_naam[g], region.wijk_code[w], region.wijk_naam[w]]
           for w, g in enumerate(region.wijk_gem)])
    write("bevolking", ("wijk_code", "jaar", "leeftijdsklasse", "inwoners", "bron"),
          [[region.wijk_code[w], int(y), BANDS[b], int(pop[w, b, yi]),
            "waarneming" if y <= last_year else "prognose"]
           for w in range(len(region.wijk_code))
           for yi, y in enumerate(pop_years) if y >= first_year
           for b in range(4)])
    d = DIALECTS[REFERENCE_DIALECT["producten"]]
    write("producten", ("gemeente_code", "product_code", "jaar", "omschrijving", "productsoort",
                        "frequentie_weken", "tarief_per_uur"),
          [[region.gem_code[g], code, y, oms, soort, fw, decimal_text(tariff[g, p, y - first_year] / 100, d)]
           for g in range(len(region.gem_code))
           for y in money.tariff_years(first_year, last_year).tolist()
           for p, (code, oms, soort, fw, _f, from_year) in enumerate(PRODUCTS) if y >= from_year])
    write("aanbieders", ("aanbieder_agb", "naam"), [list(a) for a in AANBIEDERS])
    return files
