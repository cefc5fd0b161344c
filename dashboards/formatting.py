"""Dutch labels and formatting of numbers, dates and years: pure functions of their arguments.

No snapshot, no Streamlit, no DuckDB (an import-linter contract in pyproject.toml holds this), so the page
summaries (summaries.py), the downloads and the tests use them anywhere. What depends on the published
snapshot (its suppression threshold, its rounding) is passed in by the caller or lives in protection.py.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

REGIO = "__regio__"  # sentinel value of the gemeente filter: all gemeenten together
REGIO_NAME = "Regio totaal"
AGE_BANDS = ["0-64", "65-74", "75-84", "85+"]

# Dutch column labels (used on screen and in downloads) and how each column is shown.
LABELS: dict[str, str] = {
    "gemeente_code": "Gemeentecode",
    "gemeente_name": "Gemeente",
    "wijk_code": "Wijkcode",
    "wijk_name": "Wijk",
    "year": "Jaar",
    "age_band": "Leeftijd",
    "clients": "Cliënten",
    "new_clients": "Nieuwe cliënten",
    "inhabitants": "Inwoners",
    "inhabitants_75plus": "Inwoners 75+",
    "clients_per_1000": "Cliënten per 1.000 inwoners",
    "clients_per_1000_75plus": "Cliënten 75+ per 1.000 inwoners 75+",
    "indicated_hours": "Geïndiceerde uren",
    "declared_hours": "Gedeclareerde uren",
    "cost_eur": "Kosten (€)",
    "share_of_clients": "Aandeel van de cliënten (%)",
    "aanbieder_name": "Aanbieder",
    "growth_vs_baseline": "Groei t.o.v. basisjaar (%)",
    "growth_vs_previous": "Groei t.o.v. vorig jaar (%)",
}
KINDS: dict[str, str] = {
    "year": "year",
    "clients": "count",  # client counts: may be suppressed (NULL) -> shown as HIDDEN_CELL
    "new_clients": "count",
    "inhabitants": "pop",
    "inhabitants_75plus": "pop",
    "clients_per_1000": "rate",
    "clients_per_1000_75plus": "rate",
    "indicated_hours": "int",
    "declared_hours": "int",
    "cost_eur": "int",
    "share_of_clients": "pct",
    "growth_vs_baseline": "pct",
    "growth_vs_previous": "pct",
}
KIND_BY_LABEL = {LABELS[c]: k for c, k in KINDS.items()}
# Labels of person counts the pages use beyond LABELS: hidden ones say "afgeschermd" in downloads too.
for _label in ("Herindicaties", "Waarvan minder uren", "Indicaties", "Starts", "Beëindigingen", "Wachtend",
               "Cliënten"):
    KIND_BY_LABEL.setdefault(_label, "count")


# What a hidden cell shows, on screen and in downloads. Never "<10": a cell can be hidden only to protect another
# one (then it can be large), and saying which cells are small would tell what the hiding is meant to hide.
HIDDEN_CELL = "afgeschermd"


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_number(x: Any, decimals: int = 0) -> str:
    """5123 -> "5.123", 12.345 (1) -> "12,3"; missing -> "–"."""
    if _missing(x):
        return "–"
    v = float(x)
    if round(v, decimals) == 0:
        v = 0.0  # no "-0,0"
    s = f"{v:,.{decimals}f}"
    return s.translate(str.maketrans({",": ".", ".": ","}))


def fmt_count(x: Any) -> str:
    """A count of clients: NULL means suppressed by the publishing step, shown as HIDDEN_CELL, never 0."""
    return HIDDEN_CELL if _missing(x) else fmt_number(x, 0)


def fmt_rate(x: Any) -> str:
    return fmt_number(x, 1)


def fmt_eur(x: Any) -> str:
    """1234567.4 -> "€ 1.234.567"."""
    return "–" if _missing(x) else f"€ {fmt_number(x, 0)}"


def fmt_pct(fraction: Any, decimals: int = 1, signed: bool = False) -> str:
    """0.162 -> "16,2%" (signed: "+16,2%")."""
    if _missing(fraction):
        return "–"
    v = float(fraction) * 100
    s = fmt_number(v, decimals)
    if signed and round(v, decimals) > 0:
        s = "+" + s
    return s + "%"


def signed_difference(x: Any, fmt: Callable[[Any], str]) -> str:
    """-82637.2 with fmt_eur -> "-€ 82.637", 12 -> "+12": the sign first, so st.metric's arrow points the
    right way (it reads the first character)."""
    if _missing(x):
        return "–"
    return ("-" if x < 0 else "+") + fmt(abs(x))


def fmt_date(d: dt.date | None) -> str:
    return "–" if d is None else d.strftime("%d-%m-%Y")


def local_time(col: str) -> pl.Expr:
    """A naive UTC TIMESTAMP column (as the pipeline writes them) as Dutch local time text, like fmt_datetime."""
    return pl.col(col).dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Amsterdam").dt.strftime("%d-%m-%Y %H:%M")


def fmt_datetime(t: dt.datetime | None) -> str:
    """A snapshot timestamp in Dutch local time. meta.refresh.published_at is a naive TIMESTAMP
    written in UTC by the publishing step (hbh_monitor.publish)."""
    if t is None:
        return "–"
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    try:
        return t.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%d-%m-%Y %H:%M")
    except ZoneInfoNotFoundError:  # no tz database (Windows without tzdata)
        return t.astimezone(dt.timezone.utc).strftime("%d-%m-%Y %H:%M UTC")


def change(current: Any, reference: Any) -> float | None:
    """Relative change as a fraction (0.16 = +16%); None if a side is missing (e.g. suppressed) or 0."""
    if _missing(current) or _missing(reference) or float(reference) == 0:
        return None
    return float(current) / float(reference) - 1


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def fmt_years(years: list[int]) -> str:
    """[2016, 2017, 2018, 2020] -> "2016–2018, 2020"."""
    ys = sorted(set(int(y) for y in years))
    parts: list[str] = []
    i = 0
    while i < len(ys):
        j = i
        while j + 1 < len(ys) and ys[j + 1] == ys[j] + 1:
            j += 1
        parts.append(str(ys[i]) if i == j else f"{ys[i]}–{ys[j]}")
        i = j + 1
    return ", ".join(parts)


def display_frame(df: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """Select ``cols``, round them as shown on screen and give them their Dutch labels.

    The result is exactly what a chart/table shows and what the download buttons export."""
    exprs = []
    for c in cols:
        kind = KINDS.get(c)
        e = pl.col(c)
        if kind == "rate":
            e = e.cast(pl.Float64).round(1)
        elif kind == "pct":
            e = (e.cast(pl.Float64) * 100).round(1)
        elif kind in ("int", "count", "pop"):
            e = e.cast(pl.Float64).round(0).cast(pl.Int64)
        exprs.append(e.alias(LABELS.get(c, c)))
    return df.select(exprs)


def decimals_shown(col: pl.Series) -> int:
    """The fewest decimals (0, 1 or 2) that show every value of a float column exactly as rounded."""
    values = col.drop_nulls()
    for d in (0, 1):
        if values.is_empty() or ((values - values.round(d)).abs() < 1e-9).all():
            return d
    return 2
