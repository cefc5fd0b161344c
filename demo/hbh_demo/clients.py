"""Step 2 of the flow: the clients. Persons whose counts per (wijk, band, year) meet the targets exactly,
their BSNs (elfproef, unissued 99 range) and what the registration knows about them besides the episode."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hbh_demo.calibration import (AANBIEDERS, FIRST_YEAR_INSTROOM_SHARE, MAIN_AANBIEDER_SHARE, NO_END,
                                  OPEN_ENDED_SHARE, PGB_SHARE, UITSTROOM_HAZARD, WOMEN_SHARE)
from hbh_demo.dates import age_on_jan1, band_of, days_in_year, jan1
from hbh_demo.population import Region

@dataclass
class Persons:
    wijk: np.ndarray
    birth: np.ndarray
    start: np.ndarray  # ingangsdatum of the first indication
    end: np.ndarray  # einddatum of the last indication (NO_END = none)


def _draw_ages(rng: np.random.Generator, band: np.ndarray) -> np.ndarray:
    age = np.empty(band.size, dtype=np.int64)
    for b in range(4):
        m = band == b
        k = int(m.sum())
        if b == 0:  # working age clients are mostly older: 18..64, density rising with age
            age[m] = 64 - np.floor(rng.triangular(0, 0, 47, k)).astype(np.int64)
        elif b in (1, 2):
            age[m] = rng.integers(65 if b == 1 else 75, 75 if b == 1 else 85, k)
        else:
            age[m] = 85 + np.minimum(rng.geometric(0.22, k) - 1, 19)
    return age


def _rank_within(groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random rank 0.. of each element within its group."""
    order = np.lexsort((rng.random(groups.size), groups))
    sorted_groups = groups[order]
    first = np.searchsorted(sorted_groups, sorted_groups, side="left")
    rank = np.empty(groups.size, dtype=np.int64)
    rank[order] = np.arange(groups.size) - first
    return rank


def simulate_clients(rng: np.random.Generator, targets: np.ndarray, client_years: np.ndarray) -> Persons:
    """Persons whose counts per (wijk, band, year) equal ``targets`` exactly.

    A client in year Y has an indication active on at least one day of Y; the band is the age on
    1 January of Y. Each year: continuing clients land in their new cell; new clients fill each
    cell up to its target; a random ~22% end within the year, plus as many extra as needed so
    that no cell of next year starts above its target.
    """
    W = targets.shape[0]
    n_cells = W * 4
    T = targets.reshape(n_cells, -1)
    wijk_all = np.empty(0, np.int64)
    birth_all = np.empty(0, np.int64)
    start_all = np.empty(0, np.int64)
    end_all = np.empty(0, np.int64)
    active = np.empty(0, np.int64)
    first_year, last_year = int(client_years[0]), int(client_years[-1])
    for yi, year in enumerate(client_years):
        y0, y1 = int(jan1(year)), int(jan1(year + 1)) - 1
        cell_act = wijk_all[active] * 4 + band_of(age_on_jan1(birth_all[active], year))
        need = T[:, yi] - np.bincount(cell_act, minlength=n_cells)
        assert need.min() >= 0, "continuing clients exceed a target"
        new_cell = np.repeat(np.arange(n_cells), need)
        n_new = new_cell.size
        age = _draw_ages(rng, new_cell % 4)
        birth = jan1(year - age) - rng.integers(0, days_in_year(year - age - 1))
        start = y0 + rng.integers(0, y1 - y0 + 1, n_new)
        if year == first_year:  # the stock already in care when the export window opens
            old = rng.random(n_new) >= FIRST_YEAR_INSTROOM_SHARE
            back = np.minimum(np.floor(rng.exponential(900, int(old.sum()))), 12 * 365).astype(np.int64)
            start[old] = y0 - 1 - back
        ids = np.arange(wijk_all.size, wijk_all.size + n_new)
        wijk_all = np.concatenate([wijk_all, new_cell // 4])
        birth_all = np.concatenate([birth_all, birth])
        start_all = np.concatenate([start_all, start])
        end_all = np.concatenate([end_all, np.full(n_new, NO_END, np.int64)])
        members = np.concatenate([active, ids])
        cells = np.concatenate([cell_act, new_cell])
        ends = rng.random(members.size) < UITSTROOM_HAZARD[cells % 4]
        if year < last_year:  # end extra clients where next year's cell would overflow
            cell_next = wijk_all[members] * 4 + band_of(age_on_jan1(birth_all[members], year + 1))
            cont = np.flatnonzero(~ends)
            over = np.maximum(np.bincount(cell_next[cont], minlength=n_cells) - T[:, yi + 1], 0)
            if over.any():
                rank = _rank_within(cell_next[cont], rng)
                ends[cont[rank < over[cell_next[cont]]]] = True
        enders = members[ends]
        lo = np.maximum(start_all[enders], y0)
        end_all[enders] = lo + np.floor(rng.random(enders.size) * (y1 - lo + 1)).astype(np.int64)
        active = members[~ends]
    # still in care after the export window: open-ended, or a planned einddatum later on
    planned = active[rng.random(active.size) >= OPEN_ENDED_SHARE]
    after = int(jan1(last_year + 1))
    end_all[planned] = after + rng.integers(0, 3 * 365, planned.size)
    return Persons(wijk=wijk_all, birth=birth_all, start=start_all, end=end_all)


def realised_counts(persons: Persons, n_wijk: int, client_years: np.ndarray) -> np.ndarray:
    """Clients per (wijk, band, year) recounted from the episodes (active >= 1 day in the year)."""
    out = np.zeros((n_wijk, 4, client_years.size), np.int64)
    for yi, year in enumerate(client_years):
        y0, y1 = int(jan1(year)), int(jan1(year + 1)) - 1
        m = (persons.start <= y1) & (persons.end >= y0)
        cell = persons.wijk[m] * 4 + band_of(age_on_jan1(persons.birth[m], int(year)))
        out[:, :, yi] = np.bincount(cell, minlength=n_wijk * 4).reshape(n_wijk, 4)
    return out


def elfproef_ok(bsn: np.ndarray) -> np.ndarray:
    b = np.asarray(bsn, dtype=np.int64)
    digits = (b[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    s = (digits * np.array([9, 8, 7, 6, 5, 4, 3, 2, -1])).sum(axis=1)
    return (s % 11 == 0) & (b > 0)


def bsn_pool(rng: np.random.Generator, n: int) -> tuple[np.ndarray, list[str]]:
    """``n`` unique valid BSNs from numbers starting with 99 (unissued; holds the test range).

    The check digit follows from the first eight (elfproef), so each 8-digit body gives at most
    one BSN: the 99 range holds ~909,000. Should a run need more, 98, 97, ... follow (reported).
    """
    out, prefixes, got = [], [], 0
    for prefix in range(99, 9, -1):
        if got >= n:
            break
        body = prefix * 1_000_000 + rng.permutation(1_000_000).astype(np.int64)
        digits = (body[:, None] // 10 ** np.arange(7, -1, -1)) % 10
        check = (digits * np.arange(9, 1, -1)).sum(axis=1) % 11
        valid = check < 10
        bsn = (body * 10 + check)[valid][: n - got]
        out.append(bsn)
        prefixes.append(str(prefix))
        got += bsn.size
    return np.concatenate(out) if out else np.empty(0, np.int64), prefixes


@dataclass
class ClientAttributes:
    """Per person: what the registration knows besides the episode."""
    bsn: np.ndarray
    geslacht: np.ndarray
    pgb: np.ndarray
    aanbieder: np.ndarray  # index into AANBIEDERS: of the first indication (switches.plant; unused for PGB)
    gemeente: np.ndarray


def client_attributes(rng: np.random.Generator, rng_bsn: np.random.Generator, region: Region,
                      persons: Persons) -> tuple[ClientAttributes, list[str]]:
    n = persons.wijk.size
    bsn, prefixes = bsn_pool(rng_bsn, n)
    assert bsn.size == n and np.unique(bsn).size == n and elfproef_ok(bsn).all()
    geslacht = rng.choice(np.array(["2", "1", "0"]), n, p=[WOMEN_SHARE, 1 - WOMEN_SHARE - 0.005, 0.005])
    pgb = rng.random(n) < PGB_SHARE
    main = region.wijk_main[persons.wijk]
    other = (main + rng.integers(1, len(AANBIEDERS), n)) % len(AANBIEDERS)
    aanbieder = np.where(rng.random(n) < MAIN_AANBIEDER_SHARE, main, other)
    return ClientAttributes(bsn, geslacht, pgb, aanbieder, region.wijk_gem[persons.wijk]), prefixes
