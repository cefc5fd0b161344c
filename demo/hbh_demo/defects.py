"""Planted defects: a small share of rows of the indicaties and declaraties exports gets exactly one
value that breaks one contract rule; the manifest lists each (record, kind, column)."""

from __future__ import annotations

import numpy as np
import polars as pl

from hbh_demo.csv_files import Dialect

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


def choose_defect_rows(rng: np.random.Generator, sizes: list[int], rate: float,
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
