"""Money story of the demo region: the contracted tariffs of the year after the data period (the
2026 step of the reële tarieven is known before the year starts) and what the manifest says about
them, so tests can recover the planted tariff step and check the cost bridge.

Kept apart from the generator's indicatie and declaratie code: the generator only asks this module
which years its tariff table and product catalogue cover, and adds :func:`truth` to the manifest.
"""

from __future__ import annotations

import numpy as np

from hbh_demo.calibration import PRODUCTS, TARIFF_GROWTH, TARIFF_STEP_2026
from hbh_demo.csv_files import DIALECTS, file_entry, write_small_csv
from hbh_demo.dates import jan1


def tariff_years(first_year: int, last_year: int) -> np.ndarray:
    """Years of the tariff table and of ``producten/``: the data period plus the next year, whose
    tariffs the gemeenten have already contracted (a product catalogue is set before the year)."""
    return np.arange(first_year, last_year + 2)


def truth(tariff: np.ndarray, region, first_year: int, last_year: int) -> dict:
    """The manifest's "money" section: the planted tariff rule and the contracted tariffs."""
    years = tariff_years(first_year, last_year)
    return {
        "tariffs": {
            "rule": "tariff(gemeente, product, year) = level(gemeente) × product factor × (1 + growth)^(year − 2016) "
                    "× (1 + step from step_year), rounded to whole cents",
            "growth_per_year": TARIFF_GROWTH,
            "step": TARIFF_STEP_2026,
            "step_year": 2026,
            "contracted_until": int(years[-1]),
            "per_gemeente_product_year": {
                region.gem_code[g]: {code: {str(int(y)): int(tariff[g, p, i]) / 100 for i, y in enumerate(years)
                                            if y >= from_year}
                                     for p, (code, _o, _s, _f, _x, from_year) in enumerate(PRODUCTS)}
                for g in range(len(region.gem_code))
            },
        },
    }


# ---------------------------------------------------------------------------------------------
# Income classes: an optional column of the client registration (clienten/), with a planted response
# ---------------------------------------------------------------------------------------------

INCOME_CLASSES = ("laag", "midden", "hoog")
# Income class of HbH clients who entered care before the abonnementstarief (2019): mostly lower incomes.
INCOME_P_BEFORE = (0.60, 0.28, 0.12)
# Entrants from 2019 on: the flat €19 a month made HbH far cheaper for middle and higher incomes, whose
# use grew much more than that of lower incomes (national monitor, domain notes).
INCOME_P_FROM_2019 = (0.38, 0.36, 0.26)
INCOME_RESPONSE_FROM = 2019
# The planted response per class: the part of a class's growth from the baseline year to the last data year that
# came with the flat rate, (growth_c − growth_laag) / growth_c; laag is the comparison group (0). Below the national
# monitor's (midden 0.94, hoog 0.95: the demo's middle incomes respond clearly less than its high incomes).
INCOME_RESPONSE = (0.0, 0.55, 0.80)
INCOME_STREAM = 201  # own random stream: the generator's other streams and figures stay as they were


def _largest_remainder(x: np.ndarray, total: int) -> np.ndarray:
    """Non-negative integers near ``x`` that sum to ``total``."""
    x = np.clip(np.asarray(x, float), 0, None)
    out = np.floor(x).astype(np.int64)
    short = total - int(out.sum())
    if short > 0:
        out[np.argsort(-(x - out), kind="stable")[:short]] += 1
    elif short < 0:
        out[np.argsort(x - out, kind="stable")[:-short]] -= 1
    return out


def planted_class_counts(n_base: int, n_last: int) -> tuple[np.ndarray, np.ndarray]:
    """Clients per class in the baseline year (INCOME_P_BEFORE) and in the last year, such that the response
    per class is INCOME_RESPONSE: growth_c = growth_laag / (1 − response_c), with growth_laag set so that the
    classes add up to the last year's clients."""
    base = _largest_remainder(n_base * np.array(INCOME_P_BEFORE), n_base)
    k = 1.0 / (1.0 - np.array(INCOME_RESPONSE))
    g_laag = (n_last - n_base) / max(float((base * k).sum()), 1.0)
    return base, _largest_remainder(base * (1 + g_laag * k), n_last)


def income_classes(seed: int, start_days: np.ndarray, in_base: np.ndarray | None = None,
                   in_last: np.ndarray | None = None, group: np.ndarray | None = None) -> np.ndarray:
    """Income class index per person: drawn by the year the person entered care (INCOME_P_BEFORE before 2019,
    INCOME_P_FROM_2019 after); and, given who is a client in the baseline year (``in_base``) and in the last year
    (``in_last``), per ``group`` (the gemeente), those clients get exactly the counts of
    :func:`planted_class_counts`: the clients of both years, those of the baseline year only and those of the
    last year only are each given their classes in fixed numbers, in random order (and the clients of neither
    year who entered from 2019 on are drawn as the last year's new clients are made up)."""
    rng = np.random.default_rng([seed, INCOME_STREAM])
    start_year = start_days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    u = rng.random(start_days.size)
    before = np.searchsorted(np.cumsum(INCOME_P_BEFORE), u, side="right")
    after = np.searchsorted(np.cumsum(INCOME_P_FROM_2019), u, side="right")
    cls = np.minimum(np.where(start_year >= INCOME_RESPONSE_FROM, after, before), len(INCOME_CLASSES) - 1)
    if in_base is None or in_last is None or not in_base.any() or not in_last.any():
        return cls
    group = np.zeros(start_days.size, np.int64) if group is None else group
    for g in np.unique(group):
        m = group == g
        stay, left, new = m & in_base & in_last, m & in_base & ~in_last, m & ~in_base & in_last
        base, last = planted_class_counts(int((m & in_base).sum()), int((m & in_last).sum()))
        s = _largest_remainder(stay.sum() * base / max(base.sum(), 1), int(stay.sum()))
        s = np.minimum(s, np.minimum(base, last))
        while s.sum() < stay.sum():  # room left where both years have more of the class
            s[np.argmax(np.minimum(base, last) - s)] += 1
        for mask, counts in ((stay, s), (left, base - s), (new, last - s)):
            idx = rng.permutation(np.flatnonzero(mask))
            cls[idx] = np.repeat(np.arange(len(INCOME_CLASSES)), counts)
        # clients of neither year who entered from 2019 on: drawn as the last year's new clients are made up,
        # so the years in between move smoothly towards the last year
        between = np.flatnonzero(m & ~in_base & ~in_last & (start_year >= INCOME_RESPONSE_FROM))
        if new.any():
            p_new = (last - s) / (last - s).sum()
            cls[between] = np.minimum(np.searchsorted(np.cumsum(p_new), rng.random(between.size), side="right"),
                                      len(INCOME_CLASSES) - 1)
    return cls


def write_income_registration(out_dir, seed: int, persons, clients, region, first_year: int,
                              last_year: int, baseline_year: int = 2018, ind=None,
                              usable: np.ndarray | None = None) -> tuple[list[dict], dict]:
    """clienten/<gemeente>_inkomen.csv: per client the wijk (valid from the first start of care) and the
    income class; and the manifest's truth: clients per class and year (counted from the persons, as the
    generator's other client counts) and the difference in differences between hoog and laag."""
    def clients_in(y: int) -> np.ndarray:  # the clients of year y as a correct pipeline counts them
        y0, y1 = int(jan1(y)), int(jan1(y + 1)) - 1
        if ind is None or usable is None:
            return (persons.start <= y1) & (persons.end >= y0)
        m = usable & (ind.start <= y1) & (ind.end >= y0)
        out = np.zeros(persons.start.size, bool)
        out[ind.person[m]] = True
        return out

    planted = first_year <= baseline_year < last_year
    cls = income_classes(seed, persons.start, clients_in(baseline_year) if planted else None,
                         clients_in(last_year) if planted else None, clients.gemeente)
    d = DIALECTS["c"]
    files = []
    win1 = int(jan1(last_year + 1)) - 1
    for g, code in enumerate(region.gem_code):
        sel = np.flatnonzero((clients.gemeente == g) & (persons.start <= win1)
                             & (persons.end >= int(jan1(first_year))))
        rows = [[str(clients.bsn[p]), region.wijk_code[persons.wijk[p]],
                 str(np.datetime64(int(persons.start[p]), "D")), INCOME_CLASSES[cls[p]]] for p in sel]
        rel = f"clienten/{code}_inkomen.csv"
        files.append(file_entry(rel, "clienten", d, write_small_csv(
            out_dir / rel, d, ("bsn", "wijk_code", "geldig_vanaf", "inkomensklasse"), rows), gemeente_code=code))
    years = list(range(first_year, last_year + 1))

    def count(valid_only: bool) -> dict:
        out = {}
        for scope, mask in [("region", np.ones(cls.size, bool))] + [
                (code, clients.gemeente == g) for g, code in enumerate(region.gem_code)]:
            per = {}
            for y in years:
                y0, y1 = int(jan1(y)), int(jan1(y + 1)) - 1
                if valid_only:  # a client whose indicaties rows all carry a planted defect is quarantined
                    m = usable & (ind.start <= y1) & (ind.end >= y0)
                    active = np.zeros(cls.size, bool)
                    active[ind.person[m]] = True
                    active &= mask
                else:
                    active = mask & (persons.start <= y1) & (persons.end >= y0)
                per[str(y)] = {c: int((active & (cls == k)).sum()) for k, c in enumerate(INCOME_CLASSES)}
            out[scope] = per
        return out

    def did_of(counts: dict) -> dict:
        out = {}
        if str(baseline_year) in counts["region"]:
            base = counts["region"][str(baseline_year)]
            for y in years:
                if y > baseline_year:
                    now = counts["region"][str(y)]
                    growth = {c: now[c] / base[c] - 1 for c in INCOME_CLASSES}
                    out[str(y)] = round(100 * (growth["hoog"] - growth["laag"]), 6)
        return out

    counts = count(False)
    did = did_of(counts)
    valid = count(True) if ind is not None and usable is not None else None
    truth = {
        "classes": list(INCOME_CLASSES),
        "p_before": dict(zip(INCOME_CLASSES, INCOME_P_BEFORE)),
        "p_from": dict(zip(INCOME_CLASSES, INCOME_P_FROM_2019)),
        "response_from": INCOME_RESPONSE_FROM,
        "response_planted": dict(zip(INCOME_CLASSES, INCOME_RESPONSE)),
        "response_rule": "per gemeente, the clients of the baseline year (the persons with an indicaties row without a "
                         "planted defect active in the year: what a correct pipeline counts) by p_before and those of "
                         "the last year such "
                         "that (growth_c − growth_laag) / growth_c = response_planted[c] from the baseline to the "
                         "last year (growth_c = growth_laag / (1 − response_c)); rounded to whole clients",
        "baseline_year": baseline_year,
        "clients_per_class": counts,
        "did_points_hoog_minus_laag": did,
        "clients_per_class_valid_rows": valid,
        "did_points_valid_rows": did_of(valid) if valid else None,
        "definition": "clients of a class in a year = persons of that class with an indication active on at least one "
                      "day of the year (before defects); did = (clients hoog / clients hoog in the baseline year − 1) "
                      "− (the same for laag), in percentage points; *_valid_rows: the same from the indicaties rows "
                      "without a planted defect (what a correct pipeline finds after quarantine)",
    }
    return files, truth


# ---------------------------------------------------------------------------------------------
# Herindicatie round: the mapping of the current products to the new product set (normenkader 2025)
# ---------------------------------------------------------------------------------------------

# old product -> new product, its name, minutes per week, transition months
PRODUCT_MAPPING = (
    ("01A01", "01B01", "Schoon en leefbaar huis (normenkader 2025)", 120, 3),
    ("01A02", "01B02", "Schoon en leefbaar huis, eens per twee weken (normenkader 2025)", 60, 3),
    ("01A03", "01B03", "Wasverzorging (maatwerk)", 45, 0),
)


def write_productmapping(out_dir, region, round_year: int) -> tuple[list[dict], dict]:
    """herindicatie mapping/productmapping.csv for every gemeente, starting in the round year (ingangsjaar)."""
    d = DIALECTS["c"]
    rel = "productmapping/productmapping.csv"
    rows = [[code, old, new, name, minutes, months, round_year]
            for code in region.gem_code for old, new, name, minutes, months in PRODUCT_MAPPING]
    n = write_small_csv(out_dir / rel, d, ("gemeente_code", "oud_product_code", "nieuw_product_code",
                                               "nieuw_omschrijving", "minuten_per_week", "overgangsmaanden",
                                               "ingangsjaar"), rows)
    truth = {"start_year": round_year,
             "mapping": [{"old": o, "new": n_, "minutes_per_week": m, "transition_months": t}
                         for o, n_, _name, m, t in PRODUCT_MAPPING]}
    return [file_entry(rel, "productmapping", d, n)], truth
