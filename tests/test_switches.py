"""Clients who change aanbieder in the demo ("een ander gezicht aan de deur"): the generator plants them, the
manifest records them per gemeente and year, an independent count from the landing indicaties files (Python's
csv module, never the pipeline's SQL) finds exactly those, and marts.wijk_concentration.switched_clients (the
warehouse's unsuppressed mart) adds up to the same figures."""

from __future__ import annotations

import json
from collections import defaultdict
from types import SimpleNamespace

import pytest

from support import DEMO_ARGS, cached_region, clean_rows, parse_date


def independent_switches(run) -> dict[tuple[str, int], int]:
    """(gemeente, year) -> Σ over its wijken of the clients whose ZIN indication starting in the year is at
    another aanbieder than their previous ZIN indication (ordered by ingangsdatum, then toewijzing number).
    Rows the generator made defective (the manifest lists them) are left out: the pipeline quarantines them."""
    params = run.manifest["parameters"]
    years = range(params["first_year"], params["last_year"] + 1)
    rows = {}
    for r in clean_rows(run, "indicaties"):
        rows[(r["gemeente_code"], int(r["toewijzing_nummer"]))] = r  # a later delivery replaces an earlier one
    by_client = defaultdict(list)
    for r in rows.values():
        if r["leveringsvorm"] != "ZIN" or not r["aanbieder_agb"]:
            continue
        by_client[r["bsn"]].append((parse_date(r["ingangsdatum"]), int(r["toewijzing_nummer"]), r["aanbieder_agb"],
                                    r["gemeente_code"], r["wijk_code"]))
    switched = defaultdict(set)  # (gemeente, wijk, year) -> clients
    for bsn, ind in by_client.items():
        ind.sort()
        for prev, cur in zip(ind, ind[1:]):
            if cur[2] != prev[2] and cur[0].year in years:
                switched[(cur[3], cur[4], cur[0].year)].add(bsn)
    out = defaultdict(int)
    for (gem, _wijk, year), clients in switched.items():
        out[(gem, year)] += len(clients)
    return dict(out)


def manifest_switches(manifest, key: str) -> dict[tuple[str, int], int]:
    return {(gem, int(y)): n for gem, per_year in manifest["switches"][key].items() for y, n in per_year.items() if n}


@pytest.fixture(scope="module")
def region():
    """The demo region of the session's pipeline run (the generator's cached output for DEMO_ARGS)."""
    landing = cached_region(DEMO_ARGS)
    return SimpleNamespace(landing=landing, manifest=json.loads((landing / "demo_manifest.json").read_text()))


def test_the_landing_files_hold_the_switches_the_manifest_records(region):
    got = independent_switches(region)
    assert sum(got.values()) > 0, "the demo plants no client who changes aanbieder"
    assert got == manifest_switches(region.manifest, "valid_rows_per_gemeente")
    planted = manifest_switches(region.manifest, "per_gemeente")
    assert sum(planted.values()) >= sum(got.values())  # defective rows can only hide a switch
    gemeenten = {g for g, _y in got}
    assert len(gemeenten) == region.manifest["parameters"]["gemeenten"]  # every gemeente has switches
    # more clients change aanbieder in a year the contracts change than in the years around it
    per_year = defaultdict(int)
    for (_g, y), n in planted.items():
        per_year[y] += n
    for y in region.manifest["switches"]["contract_years"]:
        if y - 1 in per_year and y + 1 in per_year:
            assert per_year[y] > 2 * max(per_year[y - 1], per_year[y + 1]), dict(per_year)


def test_the_mart_counts_the_planted_switches(pipeline_run, warehouse):
    want = independent_switches(pipeline_run)
    assert sum(want.values()) > 0
    mart = warehouse.sql("SELECT gemeente_code, year, sum(switched_clients)::BIGINT FROM marts.wijk_concentration "
                         "GROUP BY ALL HAVING sum(switched_clients) > 0").fetchall()
    assert {(g, y): n for g, y, n in mart} == want
    assert want == manifest_switches(pipeline_run.manifest, "valid_rows_per_gemeente")
