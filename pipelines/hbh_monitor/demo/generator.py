"""Generate a fictional HbH region with municipal exports and a planted, known story.

The demo region (gemeente codes GM9901.., unused by CBS; wijk outlines in the North Sea) is
calibrated on Nijmegen's published figures (shared/seeds, shared/domain.md):

* about 5,000 HbH clients a year in a city of ~177,000 inhabitants;
* clients 2020 vs 2018 +16% = ~2 points demographic growth + ~14 points abonnementstarief suction;
* users are mostly 75+, and wijken differ strongly (ageing and social level).

Pipeline of this module (each step one function, all vectorised with numpy/polars):

    build_region -> build_population -> client_targets -> simulate_clients (exact counts per cell)
    -> build_indicaties -> build_declaraties -> write files (+ defects) -> manifest

Determinism: every step draws from its own ``numpy.random.Generator`` seeded with
``[seed, step]``, so a given seed always gives byte-identical files. Python's ``hash()`` is never used.

The manifest's true client counts are those of the generated registration *before* defects were
planted: a row made defective on purpose will be quarantined by the pipeline, which can lower a
count derived from the landing files a little.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from hbh_monitor.demo import anomalies, delivery, money
from hbh_monitor.demo import formats as demo_formats
from hbh_monitor.demo import cbs_export

# ---------------------------------------------------------------------------------------------
# Calibration (seed figures: shared/domain.md, "Seed figures"; Nijmegen beleidsvisie HbH)
# ---------------------------------------------------------------------------------------------

BANDS = ("0-64", "65-74", "75-84", "85+")
BAND_LOWER = np.array([65, 75, 85])  # age on 1 January -> band index via searchsorted

# HbH clients per 1,000 inhabitants by age band (Nijmegen figure 1, "users are mostly elderly").
# The whole vector is multiplied by one factor so that Demostad has DEMOSTAD_CLIENTS_2022 clients.
USAGE_PER_1000 = np.array([4.0, 45.0, 170.0, 420.0])
# Nijmegen: "about 5,000 residents a year use HbH" (policy vision; age figure is per 1 Jan 2022).
DEMOSTAD_CLIENTS_2022 = 5_000
# Wijk factor ("sociaal niveau"), Nijmegen figure 3: large differences between wijken.
WIJK_FACTOR_RANGE = (0.6, 1.5)
# Share of inhabitants aged 75+ per wijk (strongly differing age structure).
SHARE_75PLUS_RANGE = (0.04, 0.14)

# Abonnementstarief suction: clients 2020 vs 2018 +16% = 2% autonomous + 14% suction (Nijmegen,
# Stadsbegroting 2023). 1.02 * (1 + 0.1373) - 1 = 0.160; excess share 1.02 * 0.1373 = 0.140.
# 2019: the national monitor saw +12.3% in 2019; we plant about half the 2020 effect.
DEMOGRAPHIC_GROWTH_2018_2020 = 0.02
EXCESS_BY_YEAR = {2019: 0.07}
EXCESS_FROM_2020 = 0.1373


def excess(year: int) -> float:
    """Relative excess of clients above the demographic expectation (0 up to 2018)."""
    if year <= 2018:
        return 0.0
    return EXCESS_BY_YEAR.get(year, EXCESS_FROM_2020)


# Annual population growth per band (before per-gemeente calibration of the 65+ bands to
# DEMOGRAPHIC_GROWTH_2018_2020). Nijmegen: "especially the 75-84 year olds grew strongly".
BAND_GROWTH_BASE = np.array([0.0, 0.010, 0.016, 0.006])
# From 2021 on the post-war cohorts reach 75: 75-84 grows faster, 65-74 slower.
BAND_GROWTH_BOOM = np.array([1.0, 0.5, 2.2, 1.5])
GROWTH_0_64 = {"GM9901": 0.004}  # the city still grows a little; others ~0 (drawn)
PROGNOSE_UNTIL = 2030

# Client dynamics.
UITSTROOM_HAZARD = np.array([0.22, 0.19, 0.20, 0.27])  # ~20-25% of clients end each year
FIRST_YEAR_INSTROOM_SHARE = 0.22  # share of the first year's clients that start in that year
HERINDICATIE_SHARE = 0.20
WASVERZORGING_SHARE = 0.06  # extra maatwerk product next to the regular help
PGB_SHARE = 0.12
WOMEN_SHARE = 0.70
MAIN_AANBIEDER_SHARE = 0.60  # wijkgericht werken: one main aanbieder per wijk
OPEN_ENDED_SHARE = 0.55  # of the indications still running after last_year: no einddatum
# Every-other-week help (normenkader 2025 / Heemstede) offered to new small indications.
BIWEEKLY_FROM = 2022
BIWEEKLY_OFFER_SHARE = {2022: 0.35, 2023: 0.50, 2024: 0.60}  # later years: 0.70

# Products and tariffs (reële tarieven; CAO step in 2026, Heemstede raadsinformatiebericht).
TARIFF_2016 = 26.50
TARIFF_GROWTH = 0.03
TARIFF_STEP_2026 = 0.12
PRODUCTS = (
    # code, omschrijving, productsoort, frequentie_weken, tariff factor, first year
    ("01A01", "Hulp bij het huishouden", "regulier", 1, 1.00, 0),
    ("01A02", "Hulp bij het huishouden eens per twee weken", "regulier", 2, 1.00, BIWEEKLY_FROM),
    ("01A03", "Wasverzorging", "maatwerk", 1, 1.04, 0),
)
DELIVERY_FACTOR = (0.97, 0.04, 0.80, 1.05)  # mean, sd, min, max of delivered / indicated
CREDIT_CORRECTION_SHARE = 0.002

AANBIEDERS = (
    ("98104521", "Thuishulp De Linde (demo)"),
    ("98117830", "Huishoudhulp Noordkust, Zorgcoöperatie (demo)"),
    ("98122964", "Zorggroep Duinzicht (demo)"),
    ("98135017", "Schoon & Thuis B.V. (demo)"),
    ("98146652", "Hulp aan Huis Polderland (demo)"),
    ("98158309", "Wijkhulp Sérieux (demo)"),
)

# The five-municipality demo region (sizes like Nijmegen and the Kennemerland joint purchase).
BASE_GEMEENTEN = (
    ("GM9901", "Demostad", 177_000, (
        "Centrum, Oude Stad", "Havenkwartier", "Poëtenwijk", "Ruïneveld", "Cité Verte",
        "Molenkamp-Zuid", "Kreekoever", "De Weverij", "Linderhof", "Zonnehoek", "Beekdal",
        "Heidebloem")),
    ("GM9902", "Duinwijk", 42_000, (
        "Dorpskern", "Duinzoom", "Strandwal, Noord", "Helmgras", "Zeeërf", "Meeuwenhoek")),
    ("GM9903", "Heidedorp", 27_000, ("Brink", "Heiderand", "Schaapskooi", "Kapelakker")),
    ("GM9904", "Polderveen", 35_000, (
        "Veenkern", "Polderzicht", "Turfhaven", "Rietlanden", "Molenpolder")),
    ("GM9905", "Kustmeer", 31_000, ("Meerzicht", "Kustbaan", "Naïadehaven", "Lagune", "Oud-Kustmeer")),
)

# Fictional outlines in an empty stretch of the North Sea (WGS84).
GEO_BOX = (3.6, 52.6, 4.4, 53.2)  # lon_min, lat_min, lon_max, lat_max

NO_END = 2_932_896  # days since 1970 of 9999-12-31: "no einddatum"


# ---------------------------------------------------------------------------------------------
# CSV dialects of the municipal systems
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    name: str
    separator: str
    decimal: str
    date_format: str  # strftime
    encoding: str  # Python codec name
    bom: bool
    line_terminator: str

    def describe(self) -> dict:
        return {
            "name": self.name,
            "separator": self.separator,
            "decimal": self.decimal,
            "date_format": {"%d-%m-%Y": "dd-mm-jjjj", "%Y-%m-%d": "jjjj-mm-dd"}[self.date_format],
            "encoding": self.encoding + ("-sig" if self.bom else ""),
            "line_terminator": "CRLF" if self.line_terminator == "\r\n" else "LF",
        }


DIALECTS = {
    "a": Dialect("a", ";", ",", "%d-%m-%Y", "cp1252", False, "\r\n"),
    "b": Dialect("b", ",", ".", "%Y-%m-%d", "utf-8", True, "\n"),
    "c": Dialect("c", ";", ",", "%Y-%m-%d", "utf-8", False, "\n"),
}
REFERENCE_DIALECT = {"wijken": "a", "bevolking": "b", "producten": "c", "aanbieders": "b"}
INDICATIE_DIALECT_CYCLE = ("a", "b", "c", "a", "b")  # GM9901 (Demostad) in (a)
AANBIEDER_DIALECT_CYCLE = ("a", "b", "c", "a", "b", "c")

INDICATIE_COLUMNS = (
    "bsn", "geboortedatum", "geslacht", "gemeente_code", "wijk_code", "toewijzing_nummer",
    "product_code", "leveringsvorm", "aanbieder_agb", "toewijzingsdatum", "ingangsdatum",
    "einddatum", "volume", "eenheid", "frequentie",
)
DECLARATIE_COLUMNS = (
    "declaratie_nummer", "gemeente_code", "aanbieder_agb", "bsn", "referentie_nummer",
    "toewijzing_nummer", "product_code", "begindatum", "einddatum", "geleverd_volume", "eenheid",
    "bedrag", "debet_credit",
)

# Which column each defect kind corrupts (exactly one contract rule breaks).
DEFECT_KINDS = ("bsn_elfproef", "missing_required", "bad_date", "not_a_number", "invalid_code")
DEFECT_COLUMNS = {
    "indicaties": {
        "bsn_elfproef": ("bsn",),
        "missing_required": ("toewijzingsdatum", "ingangsdatum"),  # wijk_code, product_code are optional in iWmo
        "bad_date": ("ingangsdatum", "toewijzingsdatum", "geboortedatum"),
        "not_a_number": ("volume",),
        "invalid_code": ("leveringsvorm",),
    },
    "declaraties": {
        "bsn_elfproef": ("bsn",),
        "missing_required": ("product_code", "referentie_nummer"),
        "bad_date": ("begindatum", "einddatum"),
        "not_a_number": ("geleverd_volume",),
        "invalid_code": ("debet_credit",),
    },
}
MIN_DEFECTS_PER_DATASET = 3

# Independent random streams per step.
STREAM = {"region": 1, "population": 2, "clients": 3, "bsn": 4, "indicaties": 5,
          "declaraties": 6, "defects": 7, "geo": 8}


def _rng(seed: int, step: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAM[step]])


# ---------------------------------------------------------------------------------------------
# Date helpers: dates are int64 days since 1970-01-01
# ---------------------------------------------------------------------------------------------


def jan1(years) -> np.ndarray:
    y = np.asarray(years, dtype=np.int64)
    return (y - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


def days_in_year(years) -> np.ndarray:
    y = np.asarray(years, dtype=np.int64)
    return jan1(y + 1) - jan1(y)


def age_on_jan1(birth: np.ndarray, year: int) -> np.ndarray:
    by = birth.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    return year - by - (birth != jan1(by)).astype(np.int64)


def band_of(age: np.ndarray) -> np.ndarray:
    return np.searchsorted(BAND_LOWER, age, side="right")


def to_date_series(days: np.ndarray, name: str) -> pl.Series:
    return pl.Series(name, np.asarray(days, dtype=np.int64).astype("datetime64[D]"))


# ---------------------------------------------------------------------------------------------
# Region and population
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Clients: exact counts per cell, simulated year by year
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# BSN
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Indicaties and products
# ---------------------------------------------------------------------------------------------


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
    delivery.renumber_toewijzingen(ind, gem_of_person)
    return ind


# ---------------------------------------------------------------------------------------------
# Declaraties
# ---------------------------------------------------------------------------------------------


@dataclass
class Lines:
    """Declaration lines of one aanbieder, sorted by (year, declaration month, gemeente, client, kind)."""
    ind: np.ndarray  # index into Indicaties
    begin: np.ndarray
    end: np.ndarray
    volume: np.ndarray
    cents: np.ndarray
    decl_month: np.ndarray  # months since 1970-01 of the declaration the line is in
    credit: np.ndarray  # bool: 'C'
    year: np.ndarray
    corrections: np.ndarray  # (k, 3) positions of original D, C, corrected D


def build_declaraties(rng: np.random.Generator, ind: Indicaties, sel: np.ndarray, ind_gem: np.ndarray,
                      tariff: np.ndarray, first_year: int, last_year: int) -> Lines:
    """One line per indication in ``sel`` (ZIN, one aanbieder) per active calendar month in the
    window, plus a few credit corrections (C line + corrected D line, declared a month later)."""
    win0, win1 = int(jan1(first_year)), int(jan1(last_year + 1)) - 1
    s = np.maximum(ind.start[sel], win0)
    e = np.minimum(ind.end[sel], win1)
    keep = s <= e
    idx, s, e = sel[keep], s[keep], e[keep]
    m0 = s.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    m1 = e.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    n = m1 - m0 + 1
    row = np.repeat(np.arange(idx.size), n)
    month = m0[row] + (np.arange(row.size) - np.repeat(np.cumsum(n) - n, n))
    mstart = month.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    mend = (month + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1
    begin = np.maximum(mstart, s[row])
    end = np.minimum(mend, e[row])
    ind_idx = idx[row]
    del m0, m1, n, row, mstart, mend
    prod = ind.product[ind_idx]
    fw = np.array([p[3] for p in PRODUCTS])[prod]
    mu, sd, lo, hi = DELIVERY_FACTOR
    factor = np.clip(rng.normal(mu, sd, ind_idx.size), lo, hi)
    factor = delivery.delivered_factor(factor, ind, ind_idx, month)  # staff shortage from 2022
    volume = np.maximum(np.rint(ind.volume[ind_idx] / fw * (end - begin + 1) / 7 * factor), 1).astype(np.int64)
    del factor, fw
    year = month // 12 + 1970
    tc = tariff[ind_gem[ind_idx], prod, year - first_year]
    cents = (volume * tc * 2 + 60) // 120  # round(volume / 60 * tariff, 2), half up, exact
    orig = np.flatnonzero(rng.random(ind_idx.size) < CREDIT_CORRECTION_SHARE)
    k = orig.size
    corr_month = np.minimum(month[orig] + 1, (year[orig] - 1970) * 12 + 11)  # stay in the same year
    new_vol = np.maximum(np.rint(volume[orig] * rng.uniform(0.6, 0.95, k)), 1).astype(np.int64)
    new_cents = (new_vol * tc[orig] * 2 + 60) // 120
    del tc, prod
    n0 = ind_idx.size
    cat = np.concatenate
    ind_idx = cat([ind_idx, ind_idx[orig], ind_idx[orig]])
    begin = cat([begin, begin[orig], begin[orig]])
    end = cat([end, end[orig], end[orig]])
    volume = cat([volume, volume[orig], new_vol])
    cents = cat([cents, cents[orig], new_cents])
    decl_month = cat([month, corr_month, corr_month])
    kind = cat([np.zeros(n0, np.int64), np.ones(k, np.int64), np.full(k, 2, np.int64)])
    del month
    key = decl_month - (first_year - 1970) * 12  # declaration month since the window opened
    key = key * 100 + ind_gem[ind_idx]
    key = key * (int(ind.person.max()) + 1) + ind.person[ind_idx]
    key = key * 3 + kind
    order = np.argsort(key, kind="stable")
    del key
    pos = np.empty(order.size, np.int64)
    pos[order] = np.arange(order.size)
    corrections = np.column_stack([pos[orig], pos[n0 + np.arange(k)], pos[n0 + k + np.arange(k)]])
    del pos
    i32 = np.int32  # compact: tens of millions of lines at national scale
    return Lines(ind=ind_idx[order].astype(i32), begin=begin[order].astype(i32),
                 end=end[order].astype(i32), volume=volume[order].astype(i32),
                 cents=cents[order].astype(i32), decl_month=decl_month[order].astype(i32),
                 credit=(kind == 1)[order], year=(decl_month[order] // 12 + 1970).astype(np.int16),
                 corrections=corrections)


# ---------------------------------------------------------------------------------------------
# Writing: formatting, defects, CSV
# ---------------------------------------------------------------------------------------------


def _dates(days: np.ndarray, dialect: Dialect, name: str, open_end: bool = False) -> pl.Series:
    d = np.asarray(days, dtype=np.int64)
    ser = to_date_series(np.where(d == NO_END, 0, d), name).dt.strftime(dialect.date_format)
    if open_end:
        ser = pl.select(pl.when(pl.Series(d == NO_END)).then(pl.lit(None, pl.String)).otherwise(ser)).to_series()
        ser = ser.alias(name)
    return ser


def _corrupt(rng: np.random.Generator, kind: str, value: str, column: str, dialect: Dialect) -> str:
    if kind == "bsn_elfproef":  # change one digit (not the leading 99): one weight * delta != 0 mod 11
        pos = int(rng.integers(2, 9))
        digit = (int(value[pos]) + int(rng.integers(1, 10))) % 10
        return value[:pos] + str(digit) + value[pos + 1:]
    if kind == "missing_required":
        return ""
    if kind == "bad_date":
        y = value[-4:] if dialect.date_format.startswith("%d") else value[:4]
        options = (f"31-02-{y}", f"01-13-{y}") if dialect.date_format.startswith("%d") \
            else (f"{y}-02-31", f"{y}-13-01")
        return options[int(rng.integers(0, 2))]
    if kind == "not_a_number":
        if column == "volume":
            return "twee"
        return value.replace("0", "O", 1) if "0" in value else value[:-1] + "O"
    if kind == "invalid_code":
        return "ZN" if column == "leveringsvorm" else "X"
    raise ValueError(kind)


def plant_defects(rng: np.random.Generator, df: pl.DataFrame, rows: np.ndarray, dataset: str,
                  dialect: Dialect) -> tuple[pl.DataFrame, list[dict]]:
    """Corrupt one value in each of ``rows`` (0-based); return the frame and manifest entries."""
    rows = np.sort(np.asarray(rows, dtype=np.int64))
    if rows.size == 0:
        return df, []
    kinds = rng.integers(0, len(DEFECT_KINDS), rows.size)
    entries, patches = [], {}
    for r, k in zip(rows.tolist(), kinds.tolist()):
        kind = DEFECT_KINDS[k]
        cols = DEFECT_COLUMNS[dataset][kind]
        col = cols[int(rng.integers(0, len(cols)))]
        value = df[col][r]
        patches.setdefault(col, ([], []))
        patches[col][0].append(r)
        patches[col][1].append(_corrupt(rng, kind, value, col, dialect))
        entries.append({"record": r + 1, "kind": kind, "column": col})
    for col, (idx, vals) in patches.items():
        df = df.with_columns(df[col].scatter(idx, pl.Series(vals, dtype=pl.String)))
    return df, entries


def write_frame(path: Path, df: pl.DataFrame, dialect: Dialect) -> None:
    """Write a frame with polars (UTF-8). Indicaties and declaraties hold only codes, digits and
    dates, all ASCII, so the bytes are the same in Windows-1252; non-ASCII names live in the
    reference files, which go through ``write_small_csv``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(path, separator=dialect.separator, line_terminator=dialect.line_terminator,
                 include_bom=dialect.bom, quote_style="necessary", float_precision=2,
                 decimal_comma=dialect.decimal == ",")


def write_small_csv(path: Path, dialect: Dialect, header: tuple | list, rows: list[list]) -> int:
    """Reference files through the csv module (real cp1252 bytes, QUOTE_MINIMAL)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    enc = "utf-8-sig" if dialect.bom else dialect.encoding
    with path.open("w", encoding=enc, newline="") as f:
        w = csv.writer(f, delimiter=dialect.separator, lineterminator=dialect.line_terminator,
                       quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)
    return len(rows)


def _decimal(x: float, dialect: Dialect) -> str:
    return f"{x:.2f}".replace(".", dialect.decimal)


def _choose_defect_rows(rng: np.random.Generator, sizes: list[int], rate: float,
                        excluded: list[np.ndarray] | None = None,
                        minimum: int = MIN_DEFECTS_PER_DATASET) -> list[np.ndarray]:
    """Rows (0-based, per file) to corrupt: Bernoulli(rate) per row, never an excluded row, and at
    least ``minimum`` over these files (when rate > 0)."""
    if rate <= 0:
        return [np.empty(0, np.int64) for _ in sizes]
    excluded = excluded or [np.empty(0, np.int64) for _ in sizes]
    allowed = []
    chosen = []
    for size, excl in zip(sizes, excluded):
        ok = np.ones(size, bool)
        ok[np.asarray(excl, dtype=np.int64)] = False
        allowed.append(ok)
        chosen.append(np.flatnonzero(ok & (rng.random(size) < rate)))
    missing = minimum - sum(c.size for c in chosen)
    for f in rng.permutation(len(sizes)):
        if missing <= 0:
            break
        free = np.flatnonzero(allowed[f])
        free = free[~np.isin(free, chosen[f])]
        extra = rng.choice(free, min(missing, free.size), replace=False)
        chosen[f] = np.sort(np.concatenate([chosen[f], extra]))
        missing -= extra.size
    return chosen


# ---------------------------------------------------------------------------------------------
# GeoJSON
# ---------------------------------------------------------------------------------------------


def wijk_geojson(rng: np.random.Generator, region: Region) -> dict:
    """Adjacent quadrilaterals per gemeente, gemeenten as blocks in the North Sea box."""
    lon0, lat0, lon1, lat1 = GEO_BOX
    G = len(region.gem_code)
    bcols = math.ceil(math.sqrt(G))
    brows = math.ceil(G / bcols)
    bw, bh = (lon1 - lon0) / bcols, (lat1 - lat0) / brows
    features = []
    for g in range(G):
        idx = np.flatnonzero(region.wijk_gem == g)
        n = idx.size
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        ox = lon0 + (g % bcols) * bw + 0.06 * bw
        oy = lat1 - (g // bcols + 1) * bh + 0.06 * bh
        cw, ch = 0.88 * bw / cols, 0.88 * bh / rows
        xs = ox + np.arange(cols + 1)[None, :] * cw + np.zeros((rows + 1, 1))
        ys = oy + np.arange(rows + 1)[:, None] * ch + np.zeros((1, cols + 1))
        inner = (slice(1, rows), slice(1, cols))
        xs[inner] += rng.uniform(-0.2, 0.2, xs[inner].shape) * cw
        ys[inner] += rng.uniform(-0.2, 0.2, ys[inner].shape) * ch
        for k, w in enumerate(idx):
            r, c = divmod(k, cols)
            corners = [(r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c), (r, c)]  # counter-clockwise
            ring = [[round(float(xs[i, j]), 6), round(float(ys[i, j]), 6)] for i, j in corners]
            features.append({
                "type": "Feature",
                "properties": {"statcode": region.wijk_code[w], "statnaam": region.wijk_naam[w],
                               "gemeente_code": region.gem_code[g]},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            })
    return {"type": "FeatureCollection", "name": "demo_wijken (fictief, Noordzee)", "features": features}


# ---------------------------------------------------------------------------------------------
# Manifest figures
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Writing the datasets
# ---------------------------------------------------------------------------------------------


@dataclass
class ClientAttributes:
    """Per person: what the registration knows besides the episode."""
    bsn: np.ndarray
    geslacht: np.ndarray
    pgb: np.ndarray
    aanbieder: np.ndarray  # index into AANBIEDERS (unused for PGB)
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


def write_reference_files(out_dir: Path, region: Region, pop: np.ndarray, pop_years: np.ndarray,
                          tariff: np.ndarray, first_year: int, last_year: int) -> list[dict]:
    """wijken, bevolking (waarneming + prognose), producten (per gemeente and year), aanbieders."""
    files = []

    def write(dataset: str, header: tuple, rows: list[list]) -> None:
        d = DIALECTS[REFERENCE_DIALECT[dataset]]
        rel = f"{dataset}/{dataset}.csv"
        files.append(_file_entry(rel, dataset, d, write_small_csv(out_dir / rel, d, header, rows)))

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
          [[region.gem_code[g], code, y, oms, soort, fw, _decimal(tariff[g, p, y - first_year] / 100, d)]
           for g in range(len(region.gem_code))
           for y in money.tariff_years(first_year, last_year).tolist()
           for p, (code, oms, soort, fw, _f, from_year) in enumerate(PRODUCTS) if y >= from_year])
    write("aanbieders", ("aanbieder_agb", "naam"), [list(a) for a in AANBIEDERS])
    return files


def _constant(value: str, n: int, name: str) -> pl.Series:
    return pl.repeat(value, n, dtype=pl.String, eager=True).alias(name)


def indicaties_frame(sel: np.ndarray, ind: Indicaties, persons: Persons, clients: ClientAttributes,
                     region: Region, g: int, dialect: Dialect) -> pl.DataFrame:
    """String frame of one gemeente's export (indications ``sel``) in the contract's column order."""
    p = ind.person[sel]
    n = sel.size
    agb = pl.Series([a[0] for a in AANBIEDERS]).gather(clients.aanbieder[p])
    df = pl.DataFrame([
        pl.Series("bsn", clients.bsn[p]).cast(pl.String),
        _dates(persons.birth[p], dialect, "geboortedatum"),
        pl.Series("geslacht", clients.geslacht[p]),
        _constant(region.gem_code[g], n, "gemeente_code"),
        pl.Series("wijk_code", region.wijk_code).gather(persons.wijk[p]),
        pl.Series("toewijzing_nummer", ind.toewijzing_nummer[sel]).cast(pl.String),
        pl.Series("product_code", [x[0] for x in PRODUCTS]).gather(ind.product[sel]),
        pl.select(pl.when(pl.Series(clients.pgb[p])).then(pl.lit("PGB")).otherwise(pl.lit("ZIN")))
        .to_series().alias("leveringsvorm"),
        pl.select(pl.when(pl.Series(clients.pgb[p])).then(pl.lit(None, pl.String)).otherwise(agb))
        .to_series().alias("aanbieder_agb"),
        _dates(ind.toewijzingsdatum[sel], dialect, "toewijzingsdatum"),
        _dates(ind.start[sel], dialect, "ingangsdatum"),
        _dates(ind.end[sel], dialect, "einddatum", open_end=True),
        pl.Series("volume", ind.volume[sel]).cast(pl.String),
        _constant("01", n, "eenheid"),  # minuten
        _constant("2", n, "frequentie"),  # per week (per two weeks for 01A02, see producten)
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
    defect_rows = _choose_defect_rows(rng, [f[2].height for f in frames], defect_rate)
    files, defective = [], []
    for (g, dialect, df, sel), bad in zip(frames, defect_rows):
        defective.append(sel[bad])
        df, defects = plant_defects(rng, df, bad, "indicaties", dialect)
        rel = f"indicaties/{region.gem_code[g]}_indicaties.csv"
        write_frame(out_dir / rel, df, dialect)
        files.append(_file_entry(rel, "indicaties", dialect, df.height, defects,
                                 gemeente_code=region.gem_code[g]))
    return files, np.concatenate(defective)


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


def write_declaraties_files(out_dir: Path, rng_lines: np.random.Generator, rng: np.random.Generator,
                            ind: Indicaties, clients: ClientAttributes, region: Region, tariff: np.ndarray,
                            first_year: int, last_year: int, defect_rate: float) -> tuple[list[dict], int]:
    """One file per aanbieder per year (built one aanbieder at a time to bound memory).

    Returns the file entries and the number of credit corrections."""
    ind_gem = clients.gemeente[ind.person]
    ind_aanb = clients.aanbieder[ind.person]
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
        defect_rows = _choose_defect_rows(rng, np.diff(bounds).tolist(), defect_rate,
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
            files.append(_file_entry(
                rel, "declaraties", dialect, df.height, defects, aanbieder_agb=agb, jaar=int(year),
                credit_corrections=[{"original_record": o + 1, "credit_record": c + 1, "corrected_record": n + 1}
                                    for o, c, n in corrections[i].tolist()],
                duplicates=duplicates))
        del lines
    return files, n_corrections


def _remove_previous_demo(out_dir: Path) -> None:
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


# ---------------------------------------------------------------------------------------------
# Main entry point
# ---------------------------------------------------------------------------------------------


def generate(out_dir: Path, seed: int = 42, scale: float = 1.0, gemeenten: int = 5,
             first_year: int = 2016, last_year: int = 2025, defect_rate: float = 0.003,
             formats: str = "csv") -> dict:
    """Write the demo landing files into ``out_dir`` and return the manifest (also written).

    Files of an earlier demo run in ``out_dir`` (as listed by its manifest) are removed first.
    """
    if first_year > last_year:
        raise ValueError("first_year must not be after last_year")
    if not (2000 <= first_year and last_year <= 2090):
        raise ValueError("years must lie between 2000 and 2090")
    if scale <= 0:
        raise ValueError("scale must be positive")
    if not 0 <= defect_rate < 0.5:
        raise ValueError("defect_rate must lie in [0, 0.5)")
    if formats not in demo_formats.FORMATS:
        raise ValueError(f"formats must be one of {demo_formats.FORMATS}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_previous_demo(out_dir)

    # the planted story: population, exact client targets, persons meeting them
    region = build_region(_rng(seed, "region"), gemeenten)
    pop_years = np.arange(min(first_year, 2018), max(PROGNOSE_UNTIL, last_year, 2022) + 1)
    client_years = np.arange(first_year, last_year + 1)
    pop_float = build_population(_rng(seed, "population"), region, pop_years, scale)
    pop, targets, multiplier = client_targets(region, pop_float, pop_years, client_years, scale)
    persons = simulate_clients(_rng(seed, "clients"), targets, client_years)
    realised = realised_counts(persons, len(region.wijk_code), client_years)
    if not np.array_equal(realised, targets):
        raise AssertionError("realised client counts differ from the targets")

    # the registration and the aanbieders' declarations
    rng_i = _rng(seed, "indicaties")
    clients, bsn_prefixes = client_attributes(rng_i, _rng(seed, "bsn"), region, persons)
    ind = build_indicaties(rng_i, persons, clients.gemeente, first_year, last_year)
    tariff = tariff_table(rng_i, len(region.gem_code), money.tariff_years(first_year, last_year))
    plan = delivery.plant(seed, ind, persons, clients, region, tariff, first_year, last_year)

    rng_d = _rng(seed, "defects")
    files = write_reference_files(out_dir, region, pop, pop_years, tariff, first_year, last_year)
    ind_files, defective = write_indicaties_files(out_dir, rng_d, ind, persons, clients, region, defect_rate)
    files += ind_files
    usable = np.ones(ind.person.size, bool)
    usable[defective] = False
    clients_valid = clients_from_indicaties(ind, usable, clients.gemeente[ind.person],
                                            len(region.gem_code), client_years)
    decl_files, n_corrections = write_declaraties_files(out_dir, _rng(seed, "declaraties"), rng_d, ind,
                                                        clients, region, tariff, first_year, last_year,
                                                        defect_rate)
    files += decl_files
    files += delivery.write_files(out_dir, plan, ind, clients, region, first_year, last_year)
    files = demo_formats.apply(out_dir, files, formats, last_year)  # "mixed": iWmo XML, xlsx, Parquet (formats.py)
    income_files, income = money.write_income_registration(out_dir, seed, persons, clients, region, first_year, last_year,
                                                           ind=ind, usable=usable)
    files += income_files
    mapping_files, mapping = money.write_productmapping(out_dir, region, last_year)
    files += mapping_files
    files += cbs_export.write(out_dir, region, pop, pop_years, realised, client_years, seed)  # CBS open data (StatLine)
    for f in files:  # the files written after the format pass (income registration, mapping) are CSV
        f.setdefault("format", "csv")
    geo = wijk_geojson(_rng(seed, "geo"), region)
    (out_dir / "geo").mkdir(parents=True, exist_ok=True)
    (out_dir / "geo/wijken.geojson").write_text(json.dumps(geo, ensure_ascii=False), encoding="utf-8")

    manifest = build_manifest(region, pop, pop_years, realised, clients_valid, client_years, multiplier,
                              files, n_corrections, persons.wijk.size, bsn_prefixes,
                              dict(seed=seed, scale=scale, gemeenten=gemeenten, first_year=first_year,
                                   last_year=last_year, defect_rate=defect_rate, formats=formats))
    manifest["delivery"] = delivery.truth(plan, ind, persons, clients, region, first_year, last_year)
    manifest["money"] = money.truth(tariff, region, first_year, last_year) | {"income": income, "herindicatie_mapping": mapping}
    (out_dir / "demo_manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                                encoding="utf-8")
    return manifest


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
        _constant(AANBIEDERS[a][0], n, "aanbieder_agb"),
        pl.Series("bsn", bsn[ind.person[i]]).cast(pl.String),
        ref.alias("referentie_nummer"),
        pl.Series("toewijzing_nummer", ind.toewijzing_nummer[i]),
        pl.Series("product_code", [x[0] for x in PRODUCTS]).gather(ind.product[i]),
        _dates(lines.begin[lo:hi], dialect, "begindatum"),
        _dates(lines.end[lo:hi], dialect, "einddatum"),
        pl.Series("geleverd_volume", lines.volume[lo:hi]).cast(pl.String),
        _constant("01", n, "eenheid"),  # minuten
        pl.Series("bedrag", lines.cents[lo:hi] / 100),
        pl.select(pl.when(pl.Series(lines.credit[lo:hi])).then(pl.lit("C")).otherwise(pl.lit("D")))
        .to_series().alias("debet_credit"),
    ])
    assert tuple(df.columns) == DECLARATIE_COLUMNS
    return df


def _file_entry(path: str, dataset: str, dialect: Dialect, rows: int, defects: list | None = None,
                **extra) -> dict:
    entry = {"path": path, "dataset": dataset, "rows": int(rows), "dialect": dialect.describe()}
    entry.update(extra)
    entry["defects"] = defects or []
    return entry


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
        "generator": "hbh_monitor.demo",
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
