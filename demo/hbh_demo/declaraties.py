"""Step 4 of the flow: the declaration lines of one aanbieder: one line per indication per active month,
the delivered volume (with the delivery story's staff shortage) and a few credit corrections."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hbh_demo import delivery
from hbh_demo.calibration import CREDIT_CORRECTION_SHARE, DELIVERY_FACTOR, PRODUCTS
from hbh_demo.dates import jan1
from hbh_demo.indicaties import Indicaties

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
