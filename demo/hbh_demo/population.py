"""Step 1 of the flow: the region (gemeenten, wijken, age structure), its inhabitants per wijk, age band and
year, and the exact number of HbH clients each (wijk, band, year) cell must hold."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hbh_demo.calibration import (AANBIEDERS, BAND_GROWTH_BASE, BAND_GROWTH_BOOM, BASE_GEMEENTEN,
                                  DEMOGRAPHIC_GROWTH_2018_2020, DEMOSTAD_CLIENTS_2022, GROWTH_0_64,
                                  SHARE_75PLUS_RANGE, USAGE_PER_1000, WIJK_FACTOR_RANGE, excess)

@dataclass
class Region:
    gem_code: list[str]
    gem_naam: list[str]
    gem_size: np.ndarray  # inhabitants in 2018 before scale
    wijk_code: list[str]
    wijk_naam: list[str]
    wijk_gem: np.ndarray  # gemeente index per wijk
    wijk_factor: np.ndarray
    wijk_main: np.ndarray  # main aanbieder index per wijk
    shares: np.ndarray  # (W, 4) age structure in 2018


def build_region(rng: np.random.Generator, gemeenten: int) -> Region:
    if not 1 <= gemeenten <= 99:
        raise ValueError("gemeenten must be between 1 and 99 (codes GM9901..GM9999)")
    specs = list(BASE_GEMEENTEN[:gemeenten])
    for n in range(6, gemeenten + 1):
        size = int(round(math.exp(rng.uniform(math.log(15_000), math.log(120_000))), -2))
        n_wijk = int(np.clip(round(size / 9_000), 3, 12))
        specs.append((f"GM99{n:02d}", f"Demogemeente {n}", size,
                      tuple(f"Wijk {k:02d}" for k in range(1, n_wijk + 1))))
    wijk_code, wijk_naam, wijk_gem, factor, main, shares = [], [], [], [], [], []
    for g, (code, _naam, _size, names) in enumerate(specs):
        n = len(names)
        wijk_code += [f"WK{code[2:]}{k:02d}" for k in range(1, n + 1)]
        wijk_naam += list(names)
        wijk_gem += [g] * n
        # a city has mostly younger wijken and a few grey ones: 75+ shares spread geometrically
        if g == 0:  # Demostad: the full range of social level and age structure
            f = rng.permutation(np.linspace(*WIJK_FACTOR_RANGE, n))
            s75 = rng.permutation(np.geomspace(*SHARE_75PLUS_RANGE, n))
        else:
            f = rng.uniform(*WIJK_FACTOR_RANGE, n)
            s75 = np.exp(rng.uniform(*np.log(SHARE_75PLUS_RANGE), n))
        factor.append(f)
        s85 = s75 * rng.uniform(0.28, 0.36, n)
        s6574 = s75 * rng.uniform(1.0, 1.4, n)
        shares.append(np.column_stack([1 - s75 - s6574, s6574, s75 - s85, s85]))
        main.append((2 * g + np.arange(n)) % len(AANBIEDERS))
    return Region(
        gem_code=[s[0] for s in specs], gem_naam=[s[1] for s in specs],
        gem_size=np.array([s[2] for s in specs], dtype=float),
        wijk_code=wijk_code, wijk_naam=wijk_naam, wijk_gem=np.array(wijk_gem),
        wijk_factor=np.concatenate(factor), wijk_main=np.concatenate(main),
        shares=np.vstack(shares),
    )


def _solve_growth_scale(base_pop: np.ndarray, weight: np.ndarray, rate: np.ndarray, g0: np.ndarray,
                        target: float) -> float:
    """Scale s of the 65+ growth rates so that usage-weighted growth over two years = target.

    Works on the rounded (integer) populations the files will hold, so that the decomposition
    computed from the written data lands on the target and not just the unrounded model.
    """
    p18 = np.rint(base_pop)

    def growth(s: float) -> float:
        r = np.column_stack([g0, rate[:, 1:] * s])
        return float((weight * np.rint(base_pop * (1 + r) ** 2)).sum() / (weight * p18).sum()) - 1

    lo, hi = 0.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if growth(mid) < target else (lo, mid)
    return (lo + hi) / 2


def build_population(rng: np.random.Generator, region: Region, years: np.ndarray, scale: float) -> np.ndarray:
    """Inhabitants (W, 4, len(years)) on 1 January (float, already scaled); reference year 2018."""
    W = len(region.wijk_code)
    base = np.empty((W, 4))
    for g in range(len(region.gem_code)):
        idx = np.flatnonzero(region.wijk_gem == g)
        sizes = rng.dirichlet(np.full(idx.size, 8.0)) * region.gem_size[g]
        base[idx] = sizes[:, None] * region.shares[idx] * scale
    weight = USAGE_PER_1000[None, :] * region.wijk_factor[:, None]
    rate = BAND_GROWTH_BASE[None, :] * rng.uniform(0.6, 1.4, (W, 4))
    g0 = np.array([GROWTH_0_64.get(region.gem_code[g], rng.normal(0.0, 0.002))
                   for g in region.wijk_gem])
    for g in range(len(region.gem_code)):
        idx = region.wijk_gem == g
        s = _solve_growth_scale(base[idx], weight[idx], rate[idx], g0[idx], DEMOGRAPHIC_GROWTH_2018_2020)
        rate[idx, 1:] *= s
    rate[:, 0] = g0
    # log growth into each year; years after 2020 follow the "boom" pattern
    log_step = np.where(years[None, None, :] >= 2021,
                        np.log1p(rate[:, :, None] * BAND_GROWTH_BOOM[None, :, None]),
                        np.log1p(rate[:, :, None]))
    ref = int(np.flatnonzero(years == 2018)[0])
    cum = np.cumsum(log_step, axis=2)
    cum = cum - cum[:, :, ref:ref + 1]  # cumulative growth relative to 2018
    return base[:, :, None] * np.exp(cum)


def _round_preserving_total(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Round x (cells, years) to integers so that each group's total per year is its rounded sum
    (largest remainder): the planted totals then carry no accumulated rounding noise."""
    out = np.floor(x).astype(np.int64)
    frac = x - out
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        short = np.rint(x[rows].sum(axis=0)).astype(np.int64) - out[rows].sum(axis=0)
        for j in range(x.shape[1]):
            if short[j] > 0:
                top = rows[np.argsort(-frac[rows, j], kind="stable")[: short[j]]]
                out[top, j] += 1
    return out


def client_targets(region: Region, pop: np.ndarray, pop_years: np.ndarray, client_years: np.ndarray,
                   scale: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Integer population and exact client targets per (wijk, band, year); usage multiplier."""
    exc = np.array([excess(int(y)) for y in pop_years])
    pop_int = np.rint(pop).astype(np.int64)
    expected = pop_int * USAGE_PER_1000[None, :, None] / 1000 * region.wijk_factor[:, None, None]
    i2022 = int(np.flatnonzero(pop_years == 2022)[0])
    demostad = region.wijk_gem == 0
    multiplier = DEMOSTAD_CLIENTS_2022 * scale / (expected[demostad, :, i2022].sum() * (1 + exc[i2022]))
    cols = np.searchsorted(pop_years, client_years)
    exact = expected[:, :, cols] * multiplier * (1 + exc[cols])[None, None, :]
    W = exact.shape[0]
    targets = _round_preserving_total(exact.reshape(W * 4, -1), np.repeat(region.wijk_gem, 4))
    return pop_int, targets.reshape(W, 4, -1), float(multiplier)
