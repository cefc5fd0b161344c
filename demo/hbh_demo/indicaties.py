"""Step 3 of the flow: the indicaties (toegewezen producten) of every client: the main indication,
herindicaties and wasverzorging, with their volume in minutes per week, and the tariff table."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hbh_demo.calibration import (BIWEEKLY_FROM, BIWEEKLY_OFFER_SHARE, HERINDICATIE_SHARE, PRODUCTS,
                                  TARIFF_2016, TARIFF_GROWTH, TARIFF_STEP_2026, WASVERZORGING_SHARE)
from hbh_demo.clients import Persons
from hbh_demo.dates import jan1

def tariff_table(rng: np.random.Generator, n_gem: int, years: np.ndarray) -> np.ndarray:
    """Tariff in eurocent per hour, shape (gemeente, product, year)."""
    level = TARIFF_2016 * (1 + rng.uniform(-0.03, 0.03, n_gem))
    growth = (1 + TARIFF_GROWTH) ** (years - 2016) * np.where(years >= 2026, 1 + TARIFF_STEP_2026, 1.0)
    factor = np.array([p[4] for p in PRODUCTS])
    return np.rint(level[:, None, None] * factor[None, :, None] * growth[None, None, :] * 100).astype(np.int64)


@dataclass
class Indicaties:
    person: np.ndarray
    product: np.ndarray  # index into PRODUCTS
    start: np.ndarray
    end: np.ndarray
    toewijzingsdatum: np.ndarray
    volume: np.ndarray
    toewijzing_nummer: np.ndarray = field(default=None)
    aanbieder: np.ndarray = field(default=None)  # index into AANBIEDERS per indication (switches.plant)


def _weekly_volume(rng: np.random.Generator, k: int) -> np.ndarray:
    return np.clip(np.rint(rng.normal(150, 42, k) / 15) * 15, 45, 360).astype(np.int64)


def build_indicaties(rng: np.random.Generator, persons: Persons, gem_of_person: np.ndarray,
                     first_year: int, last_year: int) -> Indicaties:
    """One row per toegewezen product: the main indication, herindicaties and wasverzorging."""
    P = persons.wijk.size
    win0, win1 = int(jan1(first_year)), int(jan1(last_year + 1)) - 1
    vis_start = np.maximum(persons.start, win0)
    vis_end = np.minimum(persons.end, win1)
    # main product and volume
    volume = _weekly_volume(rng, P)
    product = np.zeros(P, np.int64)
    start_year = persons.start.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    offer = np.array([BIWEEKLY_OFFER_SHARE.get(int(y), 0.70) if y >= BIWEEKLY_FROM else 0.0
                      for y in range(start_year.min(), start_year.max() + 1)])
    biweekly = (start_year >= BIWEEKLY_FROM) & (last_year >= BIWEEKLY_FROM) & (volume <= 120) \
        & (rng.random(P) < offer[start_year - start_year.min()])
    product[biweekly] = 1
    volume[biweekly] = rng.choice([90, 120, 150, 180], int(biweekly.sum()), p=[0.3, 0.3, 0.25, 0.15])
    # herindicatie: a new toewijzing with a changed volume; the old one ends the day before
    span = vis_end - vis_start
    eligible = span >= 150  # long enough to hold two indications
    p_herind = min(1.0, HERINDICATIE_SHARE * P / max(int(eligible.sum()), 1))
    herind = np.flatnonzero((rng.random(P) < p_herind) & eligible)
    split = vis_start[herind] + 60 + np.floor(rng.random(herind.size) * (span[herind] - 90)).astype(np.int64)
    step = rng.choice([-60, -45, -30, -15, 15, 30, 45, 60], herind.size)
    step = np.where(product[herind] == 1, np.sign(step) * 30, step)
    new_vol = np.clip(volume[herind] + step, 45, 360)
    new_vol = np.where(new_vol == volume[herind], volume[herind] - np.sign(step) * 15, new_vol)
    end_main = persons.end.copy()
    end_main[herind] = split - 1
    # wasverzorging next to the regular help for a small share
    was = np.flatnonzero(rng.random(P) < WASVERZORGING_SHARE)
    ind = Indicaties(
        person=np.concatenate([np.arange(P), herind, was]),
        product=np.concatenate([product, product[herind], np.full(was.size, 2)]),
        start=np.concatenate([persons.start, split, persons.start[was]]),
        end=np.concatenate([end_main, persons.end[herind], persons.end[was]]),
        toewijzingsdatum=np.empty(0),
        volume=np.concatenate([volume, new_vol, rng.choice([30, 45, 60], was.size)]),
    )
    ind.toewijzingsdatum = ind.start - rng.integers(0, 41, ind.person.size)
    renumber_toewijzingen(ind, gem_of_person)
    return ind


def renumber_toewijzingen(ind, gem_of_person: np.ndarray) -> None:
    """toewijzing_nummer: sequential per gemeente in order of toewijzingsdatum (build_indicaties numbers its
    toewijzingen with it, and the delivery story again after moving toewijzingsdatums)."""
    n = ind.person.size
    gem = gem_of_person[ind.person]
    order = np.lexsort((np.arange(n), ind.toewijzingsdatum, gem))
    first = np.searchsorted(gem[order], gem[order], side="left")
    nummer = np.empty(n, np.int64)
    nummer[order] = 100_001 + np.arange(n) - first
    ind.toewijzing_nummer = nummer
