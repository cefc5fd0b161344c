"""Generate a fictional HbH region with municipal exports and a planted, known story.

The demo region (gemeente codes GM9901.., unused by CBS; wijk outlines in the North Sea) is
calibrated on Nijmegen's published figures (shared/seeds, shared/domain.md):

* about 5,000 HbH clients a year in a city of ~177,000 inhabitants;
* clients 2020 vs 2018 +16% = ~2 points demographic growth + ~14 points abonnementstarief suction;
* users are mostly 75+, and wijken differ strongly (ageing and social level).

The flow, one module per step (each vectorised with numpy/polars), put together by :func:`generate`:

    population  (build_region -> build_population -> client_targets)
    -> clients  (simulate_clients: exact counts per cell; BSNs, aanbieder, pgb)
    -> indicaties  (build_indicaties; switches.plant: the aanbieder per indication, some clients switch;
                    delivery.plant adds the delivery story)
    -> declaraties  (build_declaraties per aanbieder)
    -> writers  (reference_files, indicaties_files, declaraties_files with defects; delivery.write_files;
                 formats: iWmo XML, xlsx, Parquet; money; cbs_export; geo)
    -> manifest  (demo_manifest.json, the planted truths)

Determinism: every step draws from its own ``numpy.random.Generator`` seeded with
``[seed, step]``, so a given seed always gives byte-identical files. Python's ``hash()`` is never used.

The manifest's true client counts are those of the generated registration *before* defects were
planted: a row made defective on purpose will be quarantined by the pipeline, which can lower a
count derived from the landing files a little.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hbh_demo import cbs_export, delivery, iwmo_variants, money, switches
from hbh_demo import formats as demo_formats
from hbh_demo.calibration import PROGNOSE_UNTIL, rng_for
from hbh_demo.clients import client_attributes, realised_counts, simulate_clients
from hbh_demo.declaraties_files import write_declaraties_files
from hbh_demo.geo import wijk_geojson
from hbh_demo.indicaties import build_indicaties, tariff_table
from hbh_demo.indicaties_files import write_indicaties_files
from hbh_demo.manifest import build_manifest, clients_from_indicaties, remove_previous_demo
from hbh_demo.population import build_population, build_region, client_targets
from hbh_demo.reference_files import write_reference_files

def generate(out_dir: Path, seed: int = 42, scale: float = 1.0, gemeenten: int = 5,
             first_year: int = 2016, last_year: int = 2025, defect_rate: float = 0.003,
             formats: str = "csv", variants: bool | None = None, round_year: int | None = None) -> dict:
    """Write the demo landing files into ``out_dir`` and return the manifest (also written).

    Files of an earlier demo run in ``out_dir`` (as listed by its manifest) are removed first.
    ``variants``: plant the iWmo variants (iwmo_variants.py); by default with ``formats="mixed"`` only.
    ``round_year``: the year of the herindicatie round to the normenkader 2025 (delivery.py; the product
    mapping's ingangsjaar); default the last data year, so the data hold the round's outcome; the year after
    the data period gives a round that is only simulated.
    """
    if first_year > last_year:
        raise ValueError("first_year must not be after last_year")
    if not (2000 <= first_year and last_year <= 2090):
        raise ValueError("years must lie between 2000 and 2090")
    if scale <= 0:
        raise ValueError("scale must be positive")
    if not 0 <= defect_rate < 0.5:
        raise ValueError("defect_rate must lie in [0, 0.5)")
    if round_year is None:  # the data hold the round's outcome (and the year before it, the simulation's)
        round_year = last_year if last_year > first_year else last_year + 1
    if not first_year < round_year <= last_year + 1:
        raise ValueError("round_year must lie after first_year and at most one year after last_year")
    if formats not in demo_formats.FORMATS:
        raise ValueError(f"formats must be one of {demo_formats.FORMATS}")
    if variants is None:
        variants = formats == "mixed"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_previous_demo(out_dir)

    # the planted story: population, exact client targets, persons meeting them
    region = build_region(rng_for(seed, "region"), gemeenten)
    pop_years = np.arange(min(first_year, 2018), max(PROGNOSE_UNTIL, last_year, 2022) + 1)
    client_years = np.arange(first_year, last_year + 1)
    pop_float = build_population(rng_for(seed, "population"), region, pop_years, scale)
    pop, targets, multiplier = client_targets(region, pop_float, pop_years, client_years, scale)
    persons = simulate_clients(rng_for(seed, "clients"), targets, client_years)
    realised = realised_counts(persons, len(region.wijk_code), client_years)
    if not np.array_equal(realised, targets):
        raise AssertionError("realised client counts differ from the targets")

    # the registration and the aanbieders' declarations
    rng_i = rng_for(seed, "indicaties")
    clients, bsn_prefixes = client_attributes(rng_i, rng_for(seed, "bsn"), region, persons)
    ind = build_indicaties(rng_i, persons, clients.gemeente, first_year, last_year)
    switches.plant(seed, ind, clients, persons.wijk.size)  # the aanbieder per indication: some clients switch
    tariff = tariff_table(rng_i, len(region.gem_code), money.tariff_years(first_year, last_year))
    plan = delivery.plant(seed, ind, persons, clients, region, tariff, first_year, last_year, round_year)

    rng_d = rng_for(seed, "defects")
    files = write_reference_files(out_dir, region, pop, pop_years, tariff, first_year, last_year)
    ind_files, defective = write_indicaties_files(out_dir, rng_d, ind, persons, clients, region, defect_rate)
    files += ind_files
    usable = np.ones(ind.person.size, bool)
    usable[defective] = False
    clients_valid = clients_from_indicaties(ind, usable, clients.gemeente[ind.person],
                                            len(region.gem_code), client_years)
    decl_files, n_corrections = write_declaraties_files(out_dir, rng_for(seed, "declaraties"), rng_d, ind,
                                                        clients, region, tariff, first_year, last_year,
                                                        defect_rate)
    files += decl_files
    files += delivery.write_files(out_dir, plan, ind, clients, region, first_year, last_year)
    variant_truth = None
    if variants:  # what real iWmo archives hold beyond the registration's minutes per week
        files, variant_truth = iwmo_variants.plant(out_dir, files, seed, last_year)
    files = demo_formats.apply(out_dir, files, formats, last_year)  # "mixed": iWmo XML, xlsx, Parquet (formats.py)
    if variant_truth is not None and formats == "mixed":
        files = iwmo_variants.redeliver(out_dir, files, variant_truth)
    income_files, income = money.write_income_registration(out_dir, seed, persons, clients, region, first_year, last_year,
                                                           ind=ind, usable=usable)
    files += income_files
    mapping_files, mapping = money.write_productmapping(out_dir, region, round_year)
    files += mapping_files
    files += cbs_export.write(out_dir, region, pop, pop_years, realised, client_years, seed)  # CBS open data (StatLine)
    files += cbs_export.write_kenmerken(out_dir, region, income["clients_per_class"], client_years, pop, pop_years)
    for f in files:  # the files written after the format pass (income registration, mapping) are CSV
        f.setdefault("format", "csv")
    geo = wijk_geojson(rng_for(seed, "geo"), region)
    (out_dir / "geo").mkdir(parents=True, exist_ok=True)
    (out_dir / "geo/wijken.geojson").write_text(json.dumps(geo, ensure_ascii=False), encoding="utf-8")

    manifest = build_manifest(region, pop, pop_years, realised, clients_valid, client_years, multiplier,
                              files, n_corrections, persons.wijk.size, bsn_prefixes,
                              dict(seed=seed, scale=scale, gemeenten=gemeenten, first_year=first_year,
                                   last_year=last_year, defect_rate=defect_rate, formats=formats, variants=variants,
                                   round_year=round_year))
    manifest["delivery"] = delivery.truth(plan, ind, persons, clients, region, first_year, last_year)
    manifest["switches"] = switches.truth(ind, clients, region, usable, first_year, last_year)
    manifest["iwmo_variants"] = variant_truth
    mapping["after_the_round"] = delivery.round_comparison(plan, ind, clients, region, usable, last_year)
    manifest["money"] = money.truth(tariff, region, first_year, last_year) | {"income": income, "herindicatie_mapping": mapping}
    (out_dir / "demo_manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                                encoding="utf-8")
    return manifest
