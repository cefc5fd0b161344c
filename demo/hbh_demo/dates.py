"""Date helpers: dates are int64 days since 1970-01-01 (vectorised with numpy)."""

from __future__ import annotations

import numpy as np
import polars as pl

from hbh_demo.calibration import BAND_LOWER

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
