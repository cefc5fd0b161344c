"""Protection of person counts on the pages: a second line of defence behind publishing, the regio total
built from published parts only, and the notes that say what is hidden.

Which columns are derived from (or hidden with) person counts comes from the snapshot catalogue
(hbh_monitor.disclosure, published as ``meta.disclosure``), never from a list of our own.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from dashboards import snapshot
from dashboards.formatting import HIDDEN_CELL, KINDS, KIND_BY_LABEL, REGIO, REGIO_NAME, fmt_years


def method_note() -> str:
    """The protection method in one Dutch paragraph (meta.refresh: threshold and rounding of this snapshot)."""
    t, b = snapshot.suppression_threshold(), snapshot.rounding_base()
    text = (f"**Afscherming** (werkwijze van het CBS voor Wmo-tabellen): aantallen van minder dan {t} personen "
            "worden niet getoond ('afgeschermd'); zo nodig wordt ook een tweede cel afgeschermd, zodat een klein aantal "
            "niet uit een totaal, een ander jaar of een andere tabel is terug te rekenen.")
    if b > 1:
        text += (f" Getoonde aantallen personen zijn **afgerond op {b}-tallen**; verhoudingsgetallen (per 1.000 "
                 "inwoners, aandelen, groei) en modeluitkomsten zijn berekend uit die afgeronde aantallen. Uren en "
                 "bedragen van een afgeschermde rij zijn ook afgeschermd.")
    return text


def rounding_caption() -> str | None:
    """"Aantallen afgerond op 5-tallen." when the snapshot rounds, else None."""
    b = snapshot.rounding_base()
    return f"Aantallen personen zijn afgerond op {b}-tallen; totalen kunnen daardoor afwijken van de som." if b > 1 else None


ALL_HIDDEN_SENTENCE = ("Alle aantallen in deze selectie zijn afgeschermd: het gaat om te weinig personen om te tonen "
                       "zonder dat iemand herkenbaar wordt. Kies een groter gebied of een ander jaar.")


def all_hidden(df: pl.DataFrame, count_cols: list[str] | None = None) -> bool:
    """True when the table has rows and every person count in it is hidden (then show ALL_HIDDEN_SENTENCE)."""
    cols = [c for c in (count_cols or [n for n in df.columns if KIND_BY_LABEL.get(n) == "count" or KINDS.get(n) == "count"])
            if c in df.columns]
    return bool(df.height and cols) and all(df[c].null_count() == df.height for c in cols)


def hidden_cells_caption(unit: str = "cliënten") -> str:
    """The line under a table with hidden cells: what 'afgeschermd' means (and that counts are rounded)."""
    text = (f"'{HIDDEN_CELL}' = minder dan {snapshot.suppression_threshold()} {unit}, of verborgen zodat zo'n klein aantal "
            "niet is terug te rekenen; de uren, dagen, bedragen en verhoudingsgetallen van die rij zijn dan ook verborgen.")
    note = rounding_caption()
    return text + (" " + note if note else "")


def protect(df: pl.DataFrame) -> pl.DataFrame:
    """Hide every figure derived from a suppressed client count (rates, shares), and the amounts hidden with
    it, as CBS does: the columns the catalogue declares ``derived`` or ``hidden`` (:func:`derived_columns`).

    The publishing step should already do this; this is a second line of defence so a rate can
    never be multiplied back into a hidden count."""
    if "clients" not in df.columns:
        return df
    hide = pl.col("clients").is_null()
    derived = sorted(c for c in derived_columns() if c in df.columns)
    return df.with_columns([pl.when(hide).then(None).otherwise(pl.col(c)).alias(c) for c in derived])


def derived_columns() -> set[str]:
    """Columns the snapshot catalogue says are derived from person counts or hidden with them: the snapshot's
    own (``meta.disclosure``, as it was published), else, for no snapshot or one without a catalogue, the
    catalogue of this code (hbh_monitor.disclosure, the ``-- disclosure:`` lines of the SQL headers)."""
    try:
        cat = snapshot.query("select column_name from meta.disclosure where role in ('derived', 'hidden')")
    except (FileNotFoundError, snapshot.DataUnavailable):
        from hbh_monitor import disclosure  # reads the SQL files: only when the snapshot has no catalogue

        return {c for d in disclosure.catalogue().values() for c in (*d.derived, *d.hidden)}
    return set(cat["column_name"].drop_nulls().to_list())


_RATE_WEIGHTS = {  # rate column -> population it is "per 1.000" of
    "clients_per_1000": "inhabitants",
    "clients_per_1000_75plus": "inhabitants_75plus",
}
# what a regio total adds up: counts, populations, hours and euros (rates are recomputed from them)
_SUM_COLS = ("clients", "new_clients", "inhabitants", "inhabitants_75plus", "indicated_hours", "declared_hours", "cost_eur")


def partial_sum(col: str) -> pl.Expr:
    """Sum of the published (non-NULL) parts; NULL if no part is published (polars would give 0)."""
    return pl.when(pl.col(col).is_not_null().any()).then(pl.col(col).sum()).otherwise(None).alias(col)


def _weighted_rate(rate: str, weight: str) -> pl.Expr:
    """Σ(rate·population)/Σ(population) over the parts whose rate is published.

    For exact per-gemeente rates this is Σclients/Σpopulation·1.000, whatever the rate's numerator."""
    prod = pl.col(rate) * pl.col(weight)
    return (
        pl.when(prod.is_not_null().any())
        .then(prod.sum() / pl.col(weight).filter(prod.is_not_null()).sum())
        .otherwise(None)
        .cast(pl.Float64)
        .alias(rate)
    )


def region_total(df: pl.DataFrame, by: tuple[str, ...] = ("year",)) -> pl.DataFrame:
    """Sum gemeente rows into one regio row per ``by`` group, then recompute the rates.

    Works for marts.gemeente_year (by year) and marts.age_year (by year, age_band).
    Suppressed (NULL) client counts of a gemeente are left out: the regio count is then a lower
    bound and its rate is that of the other gemeenten. Only published numbers are added up, so
    nothing hidden can be recomputed. Column ``_hidden`` lists the gemeenten left out."""
    df = protect(df)
    aggs = [partial_sum(c) for c in _SUM_COLS if c in df.columns]
    aggs += [_weighted_rate(r, w) for r, w in _RATE_WEIGHTS.items() if r in df.columns and w in df.columns]
    if "baseline_year" in df.columns:
        aggs.append(pl.col("baseline_year").max())
    aggs.append(pl.col("gemeente_name").filter(pl.col("clients").is_null()).unique().sort().alias("_hidden"))
    out = df.group_by(list(by), maintain_order=True).agg(aggs)
    if "share_of_clients" in df.columns:  # age_year: share of the year's (published) clients per band
        out = out.with_columns((pl.col("clients") / pl.col("clients").sum().over("year")).alias("share_of_clients"))
    out = out.with_columns(gemeente_code=pl.lit(REGIO), gemeente_name=pl.lit(REGIO_NAME))
    return _region_growth(out.sort(list(by)), df, by)


def _region_growth(out: pl.DataFrame, df: pl.DataFrame, by: tuple[str, ...]) -> pl.DataFrame:
    """Growth of the regio's clients (vs the previous year and the baseline year), as the marts compute it
    per gemeente: clients / clients then − 1. Not where a year leaves a gemeente out (a lower bound)."""
    if tuple(by) != ("year",) or "clients" not in out.columns:
        return out
    whole = {r["year"]: (r["clients"] if not r["_hidden"] else None) for r in out.iter_rows(named=True)}
    base = int(out["baseline_year"].max()) if "baseline_year" in out.columns and out["baseline_year"].max() else None

    def g(now: Any, then: Any) -> float | None:
        return None if now is None or then is None or then == 0 else now / then - 1

    cols = {}
    if "growth_vs_previous" in df.columns:
        cols["growth_vs_previous"] = [g(whole[y], whole.get(y - 1)) for y in out["year"]]
    if "growth_vs_baseline" in df.columns and base is not None:
        cols["growth_vs_baseline"] = [g(whole[y], whole.get(base)) for y in out["year"]]
    return out.with_columns([pl.Series(k, v, dtype=pl.Float64) for k, v in cols.items()])


def hidden_note(region: pl.DataFrame) -> str | None:
    """Which gemeenten (and age bands, years) a regio total leaves out, in one Dutch sentence."""
    if "_hidden" not in region.columns:
        return None
    rows = region.select([c for c in ("year", "age_band", "_hidden") if c in region.columns]).explode("_hidden")
    rows = rows.filter(pl.col("_hidden").is_not_null())
    if rows.is_empty():
        return None
    keys = ["_hidden"] + (["age_band"] if "age_band" in rows.columns else [])
    parts = []
    for grp in rows.group_by(keys, maintain_order=True).agg(pl.col("year")).sort(keys).iter_rows(named=True):
        band = f" {grp['age_band']}" if grp.get("age_band") else ""
        parts.append(f"{grp['_hidden']}{band} ({fmt_years(grp['year'])})")
    return (
        f"Regio totaal zonder de afgeschermde aantallen van: {'; '.join(parts)}. "
        "Daar is het regionale aantal een ondergrens en geldt het verhoudingsgetal voor de overige gemeenten."
    )


def for_gemeente(df: pl.DataFrame, code: str, by: tuple[str, ...] = ("year",)) -> pl.DataFrame:
    """Rows of one gemeente, or the regio total when ``code`` is REGIO; always protected."""
    if code == REGIO:
        return region_total(df, by)
    return protect(df.filter(pl.col("gemeente_code") == code)).sort(list(by))


REGIO_NOTE = (
    "**Regio totaal:** de aantallen (cliënten, inwoners, uren, kosten) van alle gemeenten zijn "
    "opgeteld; daarna zijn de verhoudingsgetallen opnieuw berekend (totaal cliënten / totaal inwoners "
    "× 1.000). Is het aantal cliënten van een gemeente afgeschermd, dan telt die gemeente voor dat "
    "cijfer niet mee: het regionale aantal is dan een ondergrens (≥) en het verhoudingsgetal geldt "
    "voor de overige gemeenten. Dat staat er dan steeds bij."
)
