"""Declaration anomalies for the reconciliation story (the seeds' zorgfraude / Bibob signals).

One demo aanbieder ("Schoon & Thuis B.V.", AGB 98135017) declares a share of its months twice from
2023 on: the same toewijzing, product and period again, under a new ReferentieNummer. The copies are
appended at the end of that aanbieder's yearly file, so the record numbers of planted defects stay
as they are, and each copy is listed in the manifest with the record it duplicates. The
reconciliation mart must find every copy and its original (finding "dubbel").
"""

from __future__ import annotations

import numpy as np
import polars as pl

SUSPICIOUS_AGB = "98135017"
FROM_YEAR = 2023
DUPLICATE_SHARE = 0.015  # of the aanbieder's debet lines in a year


def plant_duplicates(df: pl.DataFrame, agb: str, year: int, excluded: set[int]) -> tuple[pl.DataFrame, list[dict]]:
    """Append duplicates of some debet lines of ``df`` (one aanbieder-year file); returns the new frame
    and manifest entries {record, kind, original_record} (1-based data records). Records in ``excluded``
    (planted defects, credit corrections) are never duplicated, so every planted pair is exactly one
    'dubbel' finding of two lines."""
    if agb != SUSPICIOUS_AGB or year < FROM_YEAR or df.height == 0:
        return df, []
    rng = np.random.default_rng([int(agb), year])
    records = np.arange(1, df.height + 1)
    eligible = records[(df["debet_credit"] == "D").to_numpy() & ~np.isin(records, list(excluded))]
    n = max(1, int(round(eligible.size * DUPLICATE_SHARE)))
    picked = np.sort(rng.choice(eligible, size=min(n, eligible.size), replace=False))
    copies = df[picked - 1].with_columns(pl.col("referentie_nummer") + pl.lit("-X"))
    entries = [{"record": df.height + k + 1, "kind": "dubbel", "original_record": int(r)} for k, r in enumerate(picked)]
    return pl.concat([df, copies]), entries
