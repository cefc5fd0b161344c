"""Clients who change aanbieder ("een ander gezicht aan de deur"), wijkgericht werken.

The aanbieder belongs to the indication, not to the person: a client's first indication is with the
aanbieder drawn for the client (``clients.client_attributes``: mostly the wijk's main aanbieder), and at
every new toewijzing that replaces a running one (a herindicatie, and the herindicatie round of
``delivery.plant``) the client moves to another aanbieder with probability ``SWITCH_SHARE``, or
``CONTRACT_SWITCH_SHARE`` when the new indication starts in a year the contracts change
(``CONTRACT_YEARS``: new agreements, aanbieders leave a gemeente and their clients move). Wasverzorging
stays with the aanbieder of the first indication. Declaraties, zorgstarts/-stops and the staff shortage
(``delivery.SHORT_AANBIEDERS``) follow the aanbieder of each indication.

Draws from its own random streams ([seed, 200 + k]) so the generator's other streams are untouched.
"""

from __future__ import annotations

import numpy as np

from hbh_demo.calibration import AANBIEDERS
from hbh_demo.dates import jan1

SWITCH_SHARE = 0.05  # of the new toewijzingen replacing a running one, in an ordinary year
CONTRACT_YEARS = (2023, 2026)
CONTRACT_SWITCH_SHARE = 0.35


def rng(seed: int, k: int) -> np.random.Generator:
    return np.random.default_rng([seed, 200 + k])


def _year(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def reassign(rng: np.random.Generator, previous: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The aanbieder of new toewijzingen starting on ``start`` whose previous indication is with ``previous``."""
    share = np.where(np.isin(_year(start), CONTRACT_YEARS), CONTRACT_SWITCH_SHARE, SWITCH_SHARE)
    switch = rng.random(previous.size) < share
    other = (previous + rng.integers(1, len(AANBIEDERS), previous.size)) % len(AANBIEDERS)
    return np.where(switch, other, previous)


def plant(seed: int, ind, clients, n_persons: int) -> None:
    """Set ``ind.aanbieder`` (per indication) for the indications of ``indicaties.build_indicaties``: the
    first ``n_persons`` rows are the main indications, the herindicaties follow, wasverzorging is product 2."""
    ind.aanbieder = clients.aanbieder[ind.person].copy()
    herind = np.flatnonzero((np.arange(ind.person.size) >= n_persons) & (ind.product != 2))
    ind.aanbieder[herind] = reassign(rng(seed, 0), ind.aanbieder[herind], ind.start[herind])


def count(ind, clients, region, rows: np.ndarray, first_year: int, last_year: int) -> dict:
    """Per gemeente and year: Σ over its wijken of the ZIN clients with an indication starting in the year at
    another aanbieder than their previous ZIN indication (by ingangsdatum, then toewijzing_nummer), among ``rows``."""
    rows = rows[~clients.pgb[ind.person[rows]]]
    order = rows[np.lexsort((ind.toewijzing_nummer[rows], ind.start[rows], ind.person[rows]))]
    person, agb = ind.person[order], ind.aanbieder[order]
    changed = (person[1:] == person[:-1]) & (agb[1:] != agb[:-1])
    cur = order[1:][changed]
    year = _year(ind.start[cur])
    keep = (year >= first_year) & (year <= last_year)
    cur, year = cur[keep], year[keep]
    # one client counts once per year (a person lives in one wijk)
    pairs = np.unique(np.stack([ind.person[cur], year]), axis=1) if cur.size else np.empty((2, 0), np.int64)
    gem = clients.gemeente[pairs[0]]
    out = {}
    for g, code in enumerate(region.gem_code):
        out[code] = {str(y): int(((gem == g) & (pairs[1] == y)).sum()) for y in range(first_year, last_year + 1)}
    return out


def truth(ind, clients, region, usable: np.ndarray, first_year: int, last_year: int) -> dict:
    """The manifest's "switches" section."""
    return {
        "definition": "ZIN clients with an indication starting in the year at another aanbieder than their previous "
                      "ZIN indication (by ingangsdatum, then toewijzing_nummer), per gemeente (sum over its wijken)",
        "switch_share": SWITCH_SHARE, "contract_years": list(CONTRACT_YEARS),
        "contract_switch_share": CONTRACT_SWITCH_SHARE,
        "per_gemeente": count(ind, clients, region, np.arange(ind.person.size), first_year, last_year),
        "valid_rows_per_gemeente": count(ind, clients, region, np.flatnonzero(usable), first_year, last_year),
    }
