"""Delivery story of the demo region: what is indicated is not all delivered, care starts later,
care stops for a reason, and a herindicatie round lowers hours (seeds: Nijmegen, Heemstede).

Planted on top of the indications that ``indicaties.build_indicaties`` made (the clients, their
episodes and therefore every client count stay exactly as before):

* **staff shortage** from ``SHORTAGE_FROM``: in the short wijken (about a quarter of each
  gemeente's wijken) and with the short aanbieders, the declared volume is ``SHORT_SHARE`` of the
  indicated volume instead of ``calibration.DELIVERY_FACTOR[0]`` (~97%);
* **time to start**: for every new ZIN toewijzing (not a herindicatie) the aanbieder starts
  ``wait`` days after the toewijzingsdatum, lognormal with median ``WAIT_MEDIAN[year]`` (7 days up
  to 2021, rising to 21 days in 2025) and sigma ``WAIT_SIGMA``; urgent requests wait
  ``URGENT_FACTOR`` as long. The start is the indication's ingangsdatum (declarations start there),
  so the toewijzingsdatum is set to ingangsdatum - wait; the WMO305 export carries the start;
* **stops**: every ZIN toewijzing that ends inside the data period gets a WMO307 stop with an
  iWmo RedenBeeindiging: 37 when a herindicatie replaces it, 36 in the herindicatie round (gemeente
  initiated), otherwise the client's own reason drawn per age band;
* **herindicatie round** in ``round_year`` (default: the last data year, so the data show the round's
  outcome; the round is planted only when that year lies in the data period): the gemeente re-examines its
  clients under the normenkader 2025 (the product mapping of ``money.PRODUCT_MAPPING``, whose file gives the
  round year as ingangsjaar). ``ROUND_SHARE`` of the clients with a regular (not maatwerk) indication running
  on their decision date get their decision in the first quarter (the others later, after the data): an
  indication above the mapping's minutes per week is lowered to them from decision date + the mapping's
  transition months (overgangsperiode, in whole weeks); one at or below them stays as it is. The old
  toewijzing is ended the day before with RedenWijziging 03 (contractwijziging) and a WMO307 stop 36;
* **budget** per gemeente and year: the expected cost of the first year, indexed by
  ``BUDGET_INDEX`` a year only, so it falls behind the cost (tariffs, volume, CAO step 2026);
* **urgentie** (hoog/normaal) on new requests.

Everything draws from its own random streams ([seed, 100 + k]) so the generator's other streams,
and every figure of the existing story, are untouched. All steps are vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from hbh_demo.calibration import AANBIEDERS, DELIVERY_FACTOR, PRODUCTS
from hbh_demo.csv_files import (AANBIEDER_DIALECT_CYCLE, DIALECTS, constant_column, date_column, decimal_text,
                                file_entry, write_frame, write_small_csv)
from hbh_demo.dates import age_on_jan1, band_of, jan1
from hbh_demo import money, switches
from hbh_demo.indicaties import renumber_toewijzingen

SHORTAGE_FROM = 2022
SHORT_SHARE = 0.85  # delivered / indicated in short wijken and with short aanbieders from 2022
SHORT_AANBIEDERS = (1, 4)  # indices into calibration.AANBIEDERS
SHORT_WIJK_SHARE = 0.25

WAIT_MEDIAN = {2021: 7.0, 2022: 10.5, 2023: 14.0, 2024: 17.5, 2025: 21.0}  # <=2021: 7, >=2025: 21
WAIT_SIGMA = 0.6
WAIT_MAX = 180
URGENT_SHARE = 0.15
URGENT_FACTOR = 0.4

ROUND_DECISIONS = ("01-05", "03-31")  # decision dates spread over the first quarter of the round year
ROUND_SHARE = 0.40  # of the round's clients decided on in the first quarter (the rest after the data)
REDEN_WIJZIGING_HERINDICATIE = "05"  # Herbeoordeling: verkorting toewijzing (einddatum brought forward)
REDEN_WIJZIGING_ROUND = "03"  # Contractwijziging (new normenkader, new contract)

# iWmo RedenBeeindiging (basisschema.xsd LDT_RedenBeeindiging) for a client's end of care, per band
STOP_REASONS = ("02", "19", "21", "31", "38", "39")
STOP_P = np.array([
    [0.05, 0.45, 0.15, 0.15, 0.10, 0.10],  # 0-64
    [0.15, 0.35, 0.10, 0.10, 0.10, 0.20],  # 65-74
    [0.30, 0.25, 0.08, 0.05, 0.07, 0.25],  # 75-84
    [0.45, 0.15, 0.05, 0.03, 0.04, 0.28],  # 85+
])
STOP_HERINDICATIE = "37"  # In verband met wijzigingsverzoek
STOP_ROUND = "36"  # Geinitieerd door de gemeente

BUDGET_INDEX = 0.02
BUDGET_HEADROOM = 1.05  # first-year budget = 105% of that year's expected cost

def _rng(seed: int, k: int) -> np.random.Generator:
    return np.random.default_rng([seed, 100 + k])


def wait_median(year) -> np.ndarray:
    y = np.asarray(year, dtype=np.int64)
    return np.interp(y, sorted(WAIT_MEDIAN), [WAIT_MEDIAN[k] for k in sorted(WAIT_MEDIAN)])


def _year(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _day(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))


@dataclass
class Plan:
    kind: np.ndarray  # per indication: 0 main, 1 herindicatie, 2 wasverzorging, 3 herindicatie of the round
    short_wijk: np.ndarray  # per wijk
    wait: np.ndarray  # per indication: days toewijzing -> start (-1 = not a planted new start)
    stop_reason: np.ndarray  # per indication ('' = no stop in the window)
    budget: np.ndarray  # (gemeente, year) euros
    budget_years: np.ndarray
    round_rows: np.ndarray  # indices of the round's new indications
    round_old: np.ndarray  # indices of the indications they replace
    round_decision: np.ndarray
    round_year: int | None = None  # None: no round in the data period


def _kinds(ind, P: int) -> np.ndarray:
    """0 main (first P rows), 2 wasverzorging (product 2), 1 herindicatie (the rest)."""
    kind = np.where(ind.product == 2, 2, 1)
    kind[:P] = 0
    return kind


def _append(ind, rows: dict) -> None:
    for name, value in rows.items():
        setattr(ind, name, np.concatenate([getattr(ind, name), value]))


def round_transition_days(months: int) -> int:
    """The overgangsperiode of ``months`` months in whole weeks (3 months: 13 weeks, 91 days)."""
    return int(round(months * 365.25 / 12 / 7)) * 7


def round_volume() -> tuple[np.ndarray, np.ndarray]:
    """Per product (index into PRODUCTS): the mapping's minutes per week in the product's own volume unit
    (every-other-week help: per two weeks), -1 when unmapped; and the transition days."""
    fw = np.array([p[3] for p in PRODUCTS])
    minutes, days = np.full(len(PRODUCTS), -1, np.int64), np.zeros(len(PRODUCTS), np.int64)
    code = [p[0] for p in PRODUCTS]
    for old, _new, _name, m, months in money.PRODUCT_MAPPING:
        k = code.index(old)
        minutes[k], days[k] = m * fw[k], round_transition_days(months)
    return minutes, days


def plant(seed: int, ind, persons, clients, region, tariff: np.ndarray, first_year: int,
          last_year: int, round_year: int | None = None) -> Plan:
    """Plant the delivery story on ``ind`` (in place) and return what the files and manifest need.
    ``round_year``: the year of the herindicatie round (default: the last data year)."""
    P = persons.wijk.size
    win0, win1 = int(jan1(first_year)), int(jan1(last_year + 1)) - 1
    kind = _kinds(ind, P)
    n0 = ind.person.size
    R = last_year if round_year is None else round_year

    # herindicatie round: per client a decision date in the first quarter; regular indications running on it
    # that no other herindicatie replaces later are lowered to the mapping's minutes after the transition
    rng = _rng(seed, 1)
    round_rows = round_old = round_decision = np.empty(0, np.int64)
    if first_year <= R <= last_year:
        d0, d1 = _day(f"{R}-{ROUND_DECISIONS[0]}"), _day(f"{R}-{ROUND_DECISIONS[1]}")
        decided = rng.random(P) < ROUND_SHARE
        decision = (d0 + rng.integers(0, d1 - d0 + 1, P))[ind.person]
        mapped, days = round_volume()
        new_start = decision + days[ind.product]
        order = np.lexsort((ind.start, ind.product, ind.person))
        has_next = np.zeros(n0, bool)
        has_next[order[:-1]] = (ind.person[order][1:] == ind.person[order][:-1]) \
            & (ind.product[order][1:] == ind.product[order][:-1])
        chosen = np.flatnonzero(decided[ind.person] & (ind.product != 2) & (mapped[ind.product] >= 0)
                                & (ind.start <= decision) & (ind.end >= new_start + 30) & ~has_next
                                & (mapped[ind.product] < ind.volume))
        dec, start = decision[chosen], new_start[chosen]
        _append(ind, dict(person=ind.person[chosen], product=ind.product[chosen],
                          start=start, end=ind.end[chosen], toewijzingsdatum=dec,
                          volume=mapped[ind.product[chosen]], toewijzing_nummer=np.zeros(chosen.size, np.int64),
                          aanbieder=switches.reassign(switches.rng(seed, 1), ind.aanbieder[chosen], start)))
        ind.end[chosen] = start - 1
        round_rows = np.arange(n0, n0 + chosen.size)
        round_old, round_decision = chosen, dec
        kind = np.concatenate([kind, np.full(chosen.size, 3)])
    n = ind.person.size

    # which rows were replaced by a herindicatie: same person and product, next row starts the day after
    order = np.lexsort((ind.start, ind.product, ind.person))
    same = (ind.person[order][1:] == ind.person[order][:-1]) & (ind.product[order][1:] == ind.product[order][:-1]) \
        & (ind.start[order][1:] == ind.end[order][:-1] + 1)
    replaced = np.zeros(n, bool)
    replaced[order[:-1][same]] = True
    replaced_by = np.full(n, -1, np.int64)
    replaced_by[order[:-1][same]] = order[1:][same]
    reden = np.full(n, "", dtype=object)
    reden[replaced] = np.where(kind[replaced_by[replaced]] == 3, REDEN_WIJZIGING_ROUND, REDEN_WIJZIGING_HERINDICATIE)
    ind.reden_wijziging = reden

    # urgency and time to start for new requests (main and wasverzorging starting in the window)
    rng = _rng(seed, 2)
    zin = ~clients.pgb[ind.person]
    new_request = ((kind == 0) | (kind == 2)) & (ind.start >= win0)
    urgent_person = rng.random(P) < URGENT_SHARE
    urg = np.full(n, "", dtype=object)
    urg[new_request] = np.where(urgent_person[ind.person[new_request]], "hoog", "normaal")
    ind.urgentie = urg
    z = rng.standard_normal(P)  # one draw per person: main and wasverzorging start together
    wait = np.full(n, -1, np.int64)
    m = new_request & zin
    w = wait_median(_year(ind.start[m])) * np.exp(WAIT_SIGMA * z[ind.person[m]])
    w = np.where(urgent_person[ind.person[m]], w * URGENT_FACTOR, w)
    wait[m] = np.clip(np.rint(w), 0, WAIT_MAX).astype(np.int64)
    ind.toewijzingsdatum = np.where(m, ind.start - wait, ind.toewijzingsdatum)
    renumber_toewijzingen(ind, clients.gemeente)

    # staff shortage: per indication, short wijk or short aanbieder
    rng = _rng(seed, 3)
    short_wijk = np.zeros(len(region.wijk_code), bool)
    for g in range(len(region.gem_code)):
        idx = np.flatnonzero(region.wijk_gem == g)
        k = max(1, int(round(SHORT_WIJK_SHARE * idx.size)))
        short_wijk[rng.choice(idx, k, replace=False)] = True
    ind.short = short_wijk[persons.wijk[ind.person]] | np.isin(ind.aanbieder, SHORT_AANBIEDERS)

    # stops: every ZIN toewijzing ending inside the window
    rng = _rng(seed, 4)
    band = band_of(age_on_jan1(persons.birth, 2000) + (_year(np.minimum(persons.end, win1)) - 2000))
    u = rng.random(P)
    person_reason = np.array(STOP_REASONS)[(u[:, None] > np.cumsum(STOP_P[band], axis=1)).sum(axis=1).clip(0, 5)]
    stop = np.full(n, "", dtype=object)
    ends = zin & (ind.end >= win0) & (ind.end <= win1)
    stop[ends] = person_reason[ind.person[ends]]
    stop[ends & replaced] = np.where(kind[replaced_by[ends & replaced]] == 3, STOP_ROUND, STOP_HERINDICATIE)

    # budget: expected cost of the first year, indexed only
    years = np.arange(first_year, last_year + 2)
    gem = clients.gemeente[ind.person]
    y0, y1 = int(jan1(first_year)), int(jan1(first_year + 1)) - 1
    days = np.clip(np.minimum(ind.end, y1) - np.maximum(ind.start, y0) + 1, 0, None)
    fw = np.array([p[3] for p in PRODUCTS])[ind.product]
    cost0 = np.bincount(gem[zin], weights=(ind.volume / 60 / fw * days / 7 * tariff[gem, ind.product, 0] / 100
                                          * DELIVERY_FACTOR[0])[zin], minlength=len(region.gem_code))
    budget = np.round(cost0[:, None] * BUDGET_HEADROOM * (1 + BUDGET_INDEX) ** (years - first_year)[None, :], -2)

    return Plan(kind=kind, short_wijk=short_wijk, wait=wait, stop_reason=stop, budget=budget,
                budget_years=years, round_rows=round_rows, round_old=round_old, round_decision=round_decision,
                round_year=R if first_year <= R <= last_year else None)


def delivered_factor(factor: np.ndarray, ind, ind_idx: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Called by declaraties.build_declaraties: the shortage lowers the delivered share from 2022."""
    short = getattr(ind, "short", None)
    if short is None:
        return factor
    hit = short[ind_idx] & (month >= (SHORTAGE_FROM - 1970) * 12)
    return np.where(hit, factor * (SHORT_SHARE / DELIVERY_FACTOR[0]), factor)


def with_extra_columns(df: pl.DataFrame, sel: np.ndarray, ind) -> pl.DataFrame:
    """Called by indicaties_files.write_indicaties_files: the optional columns reden_wijziging and urgentie."""
    if getattr(ind, "urgentie", None) is None:
        return df
    def col(values, name):
        return pl.Series(name, values[sel].astype(str)).replace("", None)
    return df.with_columns(col(ind.reden_wijziging, "reden_wijziging"), col(ind.urgentie, "urgentie"))


def write_files(out_dir: Path, plan: Plan, ind, clients, region, first_year: int, last_year: int) -> list[dict]:
    """zorgstarts/ and zorgstops/ (one file per aanbieder, its dialect) and budget/budget.csv."""
    files = []
    win0, win1 = int(jan1(first_year)), int(jan1(last_year + 1)) - 1
    zin = ~clients.pgb[ind.person]
    aanb = ind.aanbieder
    gem = clients.gemeente[ind.person]
    started = zin & (ind.start >= win0) & (ind.start <= win1)
    stopped = plan.stop_reason != ""
    products = pl.Series([p[0] for p in PRODUCTS])
    gem_codes = pl.Series(region.gem_code)
    for a, (agb, _naam) in enumerate(AANBIEDERS):
        dialect = DIALECTS[AANBIEDER_DIALECT_CYCLE[a % len(AANBIEDER_DIALECT_CYCLE)]]
        for dataset, mask, extra in (("zorgstarts", started, False), ("zorgstops", stopped, True)):
            sel = np.flatnonzero(mask & (aanb == a))
            sel = sel[np.lexsort((ind.toewijzing_nummer[sel], gem[sel], ind.end[sel] if extra else ind.start[sel]))]
            cols = [
                pl.Series("bsn", clients.bsn[ind.person[sel]]).cast(pl.String),
                gem_codes.gather(gem[sel]).alias("gemeente_code"),
                constant_column(agb, sel.size, "aanbieder_agb"),
                pl.Series("toewijzing_nummer", ind.toewijzing_nummer[sel]).cast(pl.String),
                products.gather(ind.product[sel]).alias("product_code"),
                date_column(ind.start[sel], dialect, "begindatum"),
            ]
            if extra:
                cols += [date_column(ind.end[sel], dialect, "einddatum"),
                         pl.Series("reden_beeindiging", plan.stop_reason[sel].astype(str))]
            cols.append(constant_column("1", sel.size, "status_aanlevering"))
            df = pl.DataFrame(cols)
            rel = f"{dataset}/{agb}_{dataset}.csv"
            write_frame(out_dir / rel, df, dialect)
            files.append(file_entry(rel, dataset, dialect, df.height, aanbieder_agb=agb))
    d = DIALECTS["c"]
    rel = "budget/budget.csv"
    rows = [[region.gem_code[g], int(y), decimal_text(float(plan.budget[g, i]), d)]
            for g in range(len(region.gem_code)) for i, y in enumerate(plan.budget_years)]
    files.append(file_entry(rel, "budget", d,
                                 write_small_csv(out_dir / rel, d, ("gemeente_code", "jaar", "budget_eur"), rows)))
    return files


def truth(plan: Plan, ind, persons, clients, region, first_year: int, last_year: int) -> dict:
    """The manifest's "delivery" section: planted parameters and the realised values they produced."""
    win0, win1 = int(jan1(first_year)), int(jan1(last_year + 1)) - 1
    years = list(range(first_year, last_year + 1))
    m = plan.wait >= 0
    wy = _year(ind.start[m])
    waits = {}
    for y in years:
        w = plan.wait[m][wy == y]
        if w.size:
            waits[str(y)] = {"planted_median": float(wait_median(y)), "realised_median": float(np.median(w)),
                             "realised_p90": float(np.percentile(w, 90)), "starts": int(w.size)}
    stops = {}
    stopped = plan.stop_reason != ""
    sy = _year(ind.end[stopped])
    for y in years:
        r, c = np.unique(plan.stop_reason[stopped][sy == y].astype(str), return_counts=True)
        stops[str(y)] = {k: int(v) for k, v in zip(r, c)}
    out = {
        "shortage": {
            "from_year": SHORTAGE_FROM,
            "delivered_share_short": SHORT_SHARE,
            "delivered_share_normal": DELIVERY_FACTOR[0],
            "short_aanbieders": [AANBIEDERS[a][0] for a in SHORT_AANBIEDERS],
            "short_wijken": [region.wijk_code[w] for w in np.flatnonzero(plan.short_wijk)],
            "rule": "a ZIN indication is short when its client's wijk is a short wijk or its aanbieder a short "
                    "aanbieder; from 1 January of from_year its declared volume is delivered_share_short of the "
                    "indicated volume (before rounding to whole minutes), otherwise delivered_share_normal",
        },
        "time_to_start": {
            "definition": "days from toewijzingsdatum to begindatum in zorgstarts, new ZIN toewijzingen "
                          "(not herindicaties), by year of the start",
            "median_by_year": {str(k): v for k, v in WAIT_MEDIAN.items()},
            "sigma": WAIT_SIGMA, "urgent_share": URGENT_SHARE, "urgent_factor": URGENT_FACTOR,
            "per_year": waits,
        },
        "care_stops": {
            "reasons": list(STOP_REASONS) + [STOP_HERINDICATIE, STOP_ROUND],
            "per_year": stops,
        },
        "budget": {
            "index_per_year": BUDGET_INDEX, "headroom_first_year": BUDGET_HEADROOM,
            "per_gemeente": {region.gem_code[g]: {str(int(y)): float(plan.budget[g, i])
                                                  for i, y in enumerate(plan.budget_years)}
                             for g in range(len(region.gem_code))},
        },
        "herindicatie_round": None,
    }
    if plan.round_year is not None:
        fw = np.array([p[3] for p in PRODUCTS])
        before = ind.volume[plan.round_old] / 60 / fw[ind.product[plan.round_old]]
        after = ind.volume[plan.round_rows] / 60 / fw[ind.product[plan.round_rows]]
        R = plan.round_year
        out["herindicatie_round"] = {
            "year": R, "decisions": [f"{R}-{d}" for d in ROUND_DECISIONS],
            "transition_days": round_transition_days(money.PRODUCT_MAPPING[0][4]),  # 01A01 and 01A02 alike
            "share": ROUND_SHARE,
            "rule": "ROUND_SHARE of the clients get their decision in the first quarter; a regular indication "
                    "(01A01, 01A02) running on it that no later herindicatie replaces and that lies above the "
                    "mapping's minutes per week (productmapping/) is lowered to them from decision + transition "
                    "months (in whole weeks); the rest stays",
            "reden_wijziging": REDEN_WIJZIGING_ROUND,
            "herindicaties": int(plan.round_rows.size),
            "hours_per_week_before": round(float(before.sum()), 4),
            "hours_per_week_after": round(float(after.sum()), 4),
            "per_gemeente": {region.gem_code[g]: int((clients.gemeente[ind.person[plan.round_rows]] == g).sum())
                             for g in range(len(region.gem_code))},
        }
    return out


def round_comparison(plan: Plan, ind, clients, region, usable: np.ndarray, last_year: int) -> dict | None:
    """The round seen after it, per gemeente, from the indicaties rows without a planted defect (what a correct
    pipeline keeps): the round's clients are those with a mapped indicatie (money.PRODUCT_MAPPING, every product)
    running on the day before the round year; before = Σ their minutes per week; simulated after = Σ the
    mapping's minutes of those indicaties; observed after = Σ minutes per week of every indicatie of the client
    running on the last day of the data period (none: the client ended care). Direction per client."""
    if plan.round_year is None:
        return None
    fw = np.array([p[3] for p in PRODUCTS])
    minutes = np.full(len(PRODUCTS), np.nan)
    code = [p[0] for p in PRODUCTS]
    for old, _new, _name, m, _months in money.PRODUCT_MAPPING:
        minutes[code.index(old)] = m
    ref, last = int(jan1(plan.round_year)) - 1, int(jan1(last_year + 1)) - 1
    per_week = ind.volume / fw[ind.product]
    n_person = int(ind.person.max()) + 1
    on_ref = usable & ~np.isnan(minutes[ind.product]) & (ind.start <= ref) & (ind.end >= ref)
    on_last = usable & (ind.start <= last) & (ind.end >= last)
    before = np.bincount(ind.person[on_ref], weights=per_week[on_ref], minlength=n_person)
    simulated = np.bincount(ind.person[on_ref], weights=minutes[ind.product[on_ref]], minlength=n_person)
    observed = np.bincount(ind.person[on_last], weights=per_week[on_last], minlength=n_person)
    in_round = np.bincount(ind.person[on_ref], minlength=n_person) > 0
    in_care = np.bincount(ind.person[on_last], minlength=n_person) > 0

    def direction(after):
        d = np.round(after - before, 6)
        return np.where(d < 0, "down", np.where(d > 0, "up", "same"))

    obs, sim = direction(observed), direction(simulated)
    out = {}
    for g, gcode in enumerate(region.gem_code):
        m = in_round & (clients.gemeente == g)
        k = m & in_care
        out[gcode] = {
            "clients": int(k.sum()), "clients_ended": int((m & ~in_care).sum()),
            **{f"clients_{d}_observed": int((k & (obs == d)).sum()) for d in ("down", "same", "up")},
            **{f"clients_{d}_simulated": int((k & (sim == d)).sum()) for d in ("down", "same", "up")},
            "minutes_per_week_before": float(before[k].sum()),
            "minutes_per_week_after_observed": float(observed[k].sum()),
            "minutes_per_week_after_simulated": float(simulated[k].sum()),
        }
    return {"year": plan.round_year, "reference_day": str(np.datetime64(ref, "D")),
            "last_day": str(np.datetime64(last, "D")), "per_gemeente": out,
            "definition": round_comparison.__doc__.split(":", 1)[1].strip()}
