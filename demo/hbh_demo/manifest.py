"""Step 6 of the flow: demo_manifest.json, the planted truths (true client counts, the abonnementstarief
effect, every file written with its defects), and the clean-up of a previous demo run's files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hbh_demo.calibration import (BANDS, DEMOGRAPHIC_GROWTH_2018_2020, DEMOSTAD_CLIENTS_2022, UITSTROOM_HAZARD,
                                  USAGE_PER_1000, excess)
from hbh_demo.dates import jan1
from hbh_demo.indicaties import Indicaties
from hbh_demo.population import Region

def clients_from_indicaties(ind: Indicaties, usable: np.ndarray, ind_gem: np.ndarray, n_gem: int,
                            client_years: np.ndarray) -> np.ndarray:
    """Clients per (gemeente, year) counted from the usable indications only."""
    out = np.zeros((n_gem, client_years.size), np.int64)
    for yi, year in enumerate(client_years):
        y0, y1 = int(jan1(year)), int(jan1(year + 1)) - 1
        m = usable & (ind.start <= y1) & (ind.end >= y0)
        person, first = np.unique(ind.person[m], return_index=True)
        out[:, yi] = np.bincount(ind_gem[m][first], minlength=n_gem)
    return out


def decomposition(actual: np.ndarray, pop: np.ndarray) -> dict | None:
    """2018 -> 2020 decomposition from realised counts and populations, arrays (cells, {2018, 2020})."""
    a18, a20 = actual[:, 0].astype(float), actual[:, 1].astype(float)
    p18, p20 = pop[:, 0].astype(float), pop[:, 1].astype(float)
    rate18 = np.divide(a18, p18, out=np.zeros_like(a18), where=p18 > 0)
    exp20 = float((rate18 * p20).sum())
    c18, c20 = float(a18.sum()), float(a20.sum())
    if c18 == 0:
        return None
    return {
        "clients_2018": int(c18), "clients_2020": int(c20), "expected_2020": round(exp20, 2),
        "demographic_growth": round(exp20 / c18 - 1, 5),
        "excess_growth": round((c20 - exp20) / c18, 5),
        "total_growth": round(c20 / c18 - 1, 5),
    }


def build_manifest(region: Region, pop: np.ndarray, pop_years: np.ndarray, realised: np.ndarray,
                   clients_valid: np.ndarray, client_years: np.ndarray, multiplier: float,
                   files: list[dict], corrections: int, persons: int, bsn_prefixes: list[str],
                   params: dict) -> dict:
    """The manifest: parameters, true figures, the planted effect and every file written."""
    years = [int(y) for y in client_years]
    per_gem, per_gem_band, per_wijk, effect = {}, {}, {}, {}
    has_2018_2020 = 2018 in years and 2020 in years
    cols_pop = np.searchsorted(pop_years, [2018, 2020])
    for g, code in enumerate(region.gem_code):
        idx = np.flatnonzero(region.wijk_gem == g)
        r = realised[idx]
        per_gem[code] = {str(y): int(r[:, :, i].sum()) for i, y in enumerate(years)}
        per_gem_band[code] = {str(y): {BANDS[b]: int(r[:, b, i].sum()) for b in range(4)}
                              for i, y in enumerate(years)}
        if has_2018_2020:
            ci = [years.index(2018), years.index(2020)]
            effect[code] = decomposition(r[:, :, ci].reshape(-1, 2), pop[idx][:, :, cols_pop].reshape(-1, 2))
    for w, code in enumerate(region.wijk_code):
        per_wijk[code] = {str(y): int(realised[w, :, i].sum()) for i, y in enumerate(years)}
    region_effect = None
    if has_2018_2020:
        ci = [years.index(2018), years.index(2020)]
        region_effect = decomposition(realised[:, :, ci].reshape(-1, 2), pop[:, :, cols_pop].reshape(-1, 2))
    defects_per_dataset: dict[str, int] = {}
    rows_per_dataset: dict[str, int] = {}
    for f in files:
        defects_per_dataset[f["dataset"]] = defects_per_dataset.get(f["dataset"], 0) + len(f["defects"])
        rows_per_dataset[f["dataset"]] = rows_per_dataset.get(f["dataset"], 0) + f["rows"]
    return {
        "demo": True,
        "generator": "hbh_demo",
        "description": "Fictional demo region (codes GM99xx, BSNs from the unissued 99 range, wijk "
                       "outlines in the North Sea). Not real persons or places.",
        "parameters": params,
        "seed": params["seed"],
        "gemeenten": [
            {"gemeente_code": c, "gemeente_naam": region.gem_naam[g],
             "wijken": [region.wijk_code[w] for w in np.flatnonzero(region.wijk_gem == g)]}
            for g, c in enumerate(region.gem_code)
        ],
        "calibration": {
            "usage_per_1000_nominal": dict(zip(BANDS, USAGE_PER_1000.tolist())),
            "usage_multiplier": round(multiplier, 6),
            "usage_per_1000_effective": dict(zip(BANDS, (USAGE_PER_1000 * multiplier).round(3).tolist())),
            "wijk_factor": {region.wijk_code[w]: round(float(f), 4) for w, f in enumerate(region.wijk_factor)},
            "demostad_clients_2022_target": DEMOSTAD_CLIENTS_2022 * params["scale"],
            "demographic_growth_2018_2020_target": DEMOGRAPHIC_GROWTH_2018_2020,
            "uitstroom_hazard": dict(zip(BANDS, UITSTROOM_HAZARD.tolist())),
        },
        "excess_factors": {str(y): excess(y) for y in years},
        "clients": {
            "definition": "persons with at least one indication active on at least one day of the "
                          "year; age band = age on 1 January; counted before defects were planted "
                          "(per_gemeente_valid_rows: the same count from the indicaties rows that "
                          "carry no planted defect, i.e. what a correct pipeline finds after quarantine)",
            "region": {str(y): int(realised[:, :, i].sum()) for i, y in enumerate(years)},
            "per_gemeente": per_gem,
            "per_gemeente_leeftijd": per_gem_band,
            "per_wijk": per_wijk,
            "per_gemeente_valid_rows": {
                code: {str(y): int(clients_valid[g, i]) for i, y in enumerate(years)}
                for g, code in enumerate(region.gem_code)
            },
        },
        "abonnementstarief_effect": {
            "baseline_year": 2018, "comparison_year": 2020,
            "method": "expected_2020 = sum over (wijk, band) of clients_2018/inhabitants_2018 * "
                      "inhabitants_2020; demographic = expected_2020/clients_2018 - 1; "
                      "excess = (clients_2020 - expected_2020)/clients_2018",
            "per_gemeente": effect,
            "region": region_effect,
        },
        "persons": persons,
        "bsn_prefixes": bsn_prefixes,
        "rows_per_dataset": rows_per_dataset,
        "defects_per_dataset": defects_per_dataset,
        "credit_corrections": corrections,
        "files": files,
    }


def remove_previous_demo(out_dir: Path) -> None:
    """Delete the files a previous demo run listed in its manifest (and nothing else)."""
    old = out_dir / "demo_manifest.json"
    if not old.exists():
        return
    try:
        manifest = json.loads(old.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if manifest.get("demo") is not True:
        return
    root = out_dir.resolve()
    for rel in [f.get("path", "") for f in manifest.get("files", [])] + ["geo/wijken.geojson"]:
        path = (out_dir / rel).resolve()
        if rel and root in path.parents and path.is_file():
            path.unlink()
