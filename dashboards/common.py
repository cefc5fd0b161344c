"""Shared helpers for the HbH-monitor dashboards: data access, Dutch formatting, filters and output.

The pages only select, format and show; everything that touches the serving snapshot lives here.

Data access rules (measured behaviour of DuckDB 2.0 and Streamlit):
- read ONLY the published snapshot at ``settings.serving_path()``, read-only;
- open a new connection per query and close it (DuckDB's in-process instance cache would otherwise
  keep serving the old file after the pipeline swaps in a new snapshot with ``os.replace``);
- cache the *results* with ``st.cache_data``, keyed on the file's identity (mtime_ns, inode, size),
  so a new publication is picked up on the next rerun.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import plotly.graph_objects as go
import polars as pl
import streamlit as st

try:
    from hbh_monitor import settings
except ModuleNotFoundError:  # package not installed (yet): use the source tree next to dashboards/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipelines"))
    from hbh_monitor import settings

# --------------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------------

NO_DATA_MESSAGE = "Nog geen gepubliceerde gegevens: draai eerst de pipeline (make demo)."
DEMO_MESSAGE = (
    "**DEMO** · Demogegevens — fictieve gemeenten en cijfers. "
    "Niet gebruiken voor beleid, verantwoording of publicatie."
)
REGIO = "__regio__"  # sentinel value of the gemeente filter: all gemeenten together
REGIO_NAME = "Regio totaal"
ABONNEMENTSTARIEF_YEAR = 2019  # flat eigen bijdrage (abonnementstarief) for the Wmo since 2019
AGE_BANDS = ["0-64", "65-74", "75-84", "85+"]
# Ordinal, darker with age, with a hue change between neighbours: each >= 3:1 against white and
# neighbours >= 1.6:1 apart in lightness, so they stay apart for colour-blind readers and in grey.
AGE_COLORS = ["#bf812d", "#2166ac", "#542788", "#2d004b"]
TEXT_COLOR = "#333333"  # chart text (axis labels, notes): 12.6:1 on white

TABLES = (
    "marts.gemeente_year",
    "marts.wijk_year",
    "marts.age_year",
    "meta.refresh",
    "meta.model_docs",
    "meta.wijk_geometry",
    "meta.ingestion_ledger",
    "meta.quarantine_summary",
)

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
    "clients": "count",  # client counts: may be suppressed (NULL) -> shown as "<10"
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
_KIND_BY_LABEL = {LABELS[c]: k for c, k in KINDS.items()}
# Labels of person counts the pages use beyond LABELS: hidden ones say "afgeschermd" in downloads too.
for _label in ("Herindicaties", "Waarvan minder uren", "Indicaties", "Starts", "Beëindigingen", "Wachtend",
               "Cliënten"):
    _KIND_BY_LABEL.setdefault(_label, "count")
_RATE_WEIGHTS = {  # rate column -> population it is "per 1.000" of
    "clients_per_1000": "inhabitants",
    "clients_per_1000_75plus": "inhabitants_75plus",
}
_SUM_COLS = (
    "clients",
    "new_clients",
    "inhabitants",
    "inhabitants_75plus",
    "indicated_hours",
    "declared_hours",
    "cost_eur",
)
# Distinct hues, each >= 3:1 against white (WCAG 1.4.11); a gemeente keeps its colour on every page.
GEMEENTE_PALETTE = [
    "#1f77b4", "#d95f02", "#1b9e77", "#c51b7d", "#7570b3",
    "#8c510a", "#01665e", "#b2182b", "#4d4d4d", "#6a3d9a",
]
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


# --------------------------------------------------------------------------------------------------
# Dutch formatting
# --------------------------------------------------------------------------------------------------


def suppression_threshold() -> int:
    """The threshold the snapshot was published with (meta.refresh), else the configured one."""
    info = refresh_info() or {}
    value = info.get("suppression_threshold")
    return int(value) if value is not None else settings.suppression_threshold()


def rounding_base() -> int:
    """The multiple person counts of the snapshot are rounded to (meta.refresh), 1 = not rounded."""
    info = refresh_info() or {}
    value = info.get("rounding_base")
    return int(value) if value is not None else 1


# What a hidden cell shows, on screen and in downloads. Never "<10": a cell can be hidden only to protect another
# one (then it can be large), and saying which cells are small would tell what the hiding is meant to hide.
HIDDEN_CELL = "afgeschermd"


def suppressed_label() -> str:
    """What a suppressed (NULL) count looks like on screen and in downloads: "afgeschermd"."""
    return HIDDEN_CELL


def method_note() -> str:
    """The protection method in one Dutch paragraph (meta.refresh: threshold and rounding of this snapshot)."""
    t, b = suppression_threshold(), rounding_base()
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
    b = rounding_base()
    return f"Aantallen personen zijn afgerond op {b}-tallen; totalen kunnen daardoor afwijken van de som." if b > 1 else None


ALL_HIDDEN_SENTENCE = ("Alle aantallen in deze selectie zijn afgeschermd: het gaat om te weinig personen om te tonen "
                       "zonder dat iemand herkenbaar wordt. Kies een groter gebied of een ander jaar.")


def all_hidden(df: pl.DataFrame, count_cols: list[str] | None = None) -> bool:
    """True when the table has rows and every person count in it is hidden (then show ALL_HIDDEN_SENTENCE)."""
    cols = [c for c in (count_cols or [n for n in df.columns if _KIND_BY_LABEL.get(n) == "count" or KINDS.get(n) == "count"])
            if c in df.columns]
    return bool(df.height and cols) and all(df[c].null_count() == df.height for c in cols)


def hidden_cells_caption(unit: str = "cliënten") -> str:
    """The line under a table with hidden cells: what 'afgeschermd' means (and that counts are rounded)."""
    text = (f"'{HIDDEN_CELL}' = minder dan {suppression_threshold()} {unit}, of verborgen zodat zo'n klein aantal "
            "niet is terug te rekenen; de uren, dagen, bedragen en verhoudingsgetallen van die rij zijn dan ook verborgen.")
    note = rounding_caption()
    return text + (" " + note if note else "")


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
    """A count of clients: NULL means suppressed by the publishing step, shown as "<10", never 0."""
    return suppressed_label() if _missing(x) else fmt_number(x, 0)


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


# --------------------------------------------------------------------------------------------------
# Data access
# --------------------------------------------------------------------------------------------------


class DataUnavailable(Exception):
    """The snapshot exists but cannot be read (locked, wrong layout, ...)."""


def serving_path() -> Path:
    """The snapshot this app reads: in council mode the council snapshot, which holds no analyst tables."""
    if dashboard_mode() == "council":
        return settings.council_path()
    return settings.serving_path()


def has_data() -> bool:
    return serving_path().is_file()


def _decimals_to_float(df: pl.DataFrame) -> pl.DataFrame:
    """DECIMAL/HUGEINT arrive as polars Decimal (pandas object): Plotly would treat them as categories.

    Whole numbers (scale 0, e.g. a HUGEINT sum) become Int64, the rest Float64."""
    casts = []
    for n, t in df.schema.items():
        if isinstance(t, pl.Decimal):
            casts.append(pl.col(n).cast(pl.Int64 if t.scale == 0 else pl.Float64))
        elif t == pl.Int128:
            casts.append(pl.col(n).cast(pl.Int64))
    return df.with_columns(casts) if casts else df


@st.cache_data(show_spinner=False, max_entries=64)
def _read(path: str, file_key: tuple[int, int, int], sql: str) -> pl.DataFrame:
    """Run one query on a fresh read-only connection. ``file_key`` only keys the cache."""
    for attempt in range(3):
        try:
            with duckdb.connect(path, read_only=True) as con:
                return _decimals_to_float(con.sql(sql).pl())
        except duckdb.IOException:  # e.g. a lock held by a writer: retry briefly
            if attempt == 2:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def query(sql: str) -> pl.DataFrame:
    """Query the published snapshot (cached until the file changes). Raises FileNotFoundError /
    DataUnavailable; pages normally use :func:`load`."""
    p = serving_path()
    st_ = os.stat(p)  # FileNotFoundError if nothing is published yet
    try:
        return _read(str(p), (st_.st_mtime_ns, st_.st_ino, st_.st_size), sql)
    except duckdb.Error as e:
        raise DataUnavailable(f"{type(e).__name__}: {e}") from e


def load(table: str) -> pl.DataFrame:
    """A whole published table; on failure a friendly Dutch message is shown and the page stops."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    try:
        return query(f"select * from {table}")
    except FileNotFoundError:
        st.info(NO_DATA_MESSAGE, icon=":material/hourglass_empty:")
        st.stop()
    except DataUnavailable as e:
        st.error(
            "De gepubliceerde gegevens konden niet worden gelezen. Draai de pipeline opnieuw of "
            f"neem contact op met de beheerder.\n\nTechnische melding: `{e}`",
            icon=":material/error:",
        )
        st.stop()
    raise AssertionError("unreachable")


_TABLE_NAME = re.compile(r"^(marts|meta)\.[a-z0-9_]+$")


def table_exists(table: str) -> bool:
    """Whether the published snapshot has ``table`` (optional tables: pages degrade gracefully)."""
    schema, name = table.split(".")
    try:
        df = query(
            "select count(*) as n from information_schema.tables "
            f"where table_schema = '{schema}' and table_name = '{name}'"
        )
    except (FileNotFoundError, DataUnavailable):
        return False
    return bool(df["n"][0])


def load_optional(table: str) -> pl.DataFrame | None:
    """A whole published table, or None when the snapshot does not have it (older snapshot, mart not
    built yet, optional reference data). The page then shows what it can."""
    if not _TABLE_NAME.match(table):
        raise ValueError(f"bad table name {table!r}")
    if not table_exists(table):
        return None
    try:
        return query(f"select * from {table}")
    except (FileNotFoundError, DataUnavailable):
        return None


# --------------------------------------------------------------------------------------------------
# Deployment mode, analyst access, links
# --------------------------------------------------------------------------------------------------


def dashboard_mode() -> str:
    """HBH_DASHBOARD_MODE: ``all`` (default: every page) or ``council`` (only the council pages)."""
    mode = os.environ.get("HBH_DASHBOARD_MODE", "all").strip().lower()
    return mode if mode in ("all", "council") else "all"


def auth_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (Streamlit OIDC login)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def require_analyst() -> None:
    """Analyst pages: with [auth] configured the user must be logged in, else the page stops with a
    login button. Without [auth] the pages are open (``all`` mode on a trusted network)."""
    if not auth_configured():
        return
    if getattr(st.user, "is_logged_in", False):
        with st.sidebar:
            st.caption(f"Ingelogd als {st.user.get('name') or st.user.get('email') or 'analist'}")
            st.button("Uitloggen", on_click=st.logout, key="logout")
        return
    st.info("Deze pagina is alleen voor analisten. Log in om verder te gaan.", icon=":material/lock:")
    st.button("Inloggen", on_click=st.login, key="login", type="primary")
    st.stop()


def dagster_url() -> str:
    return os.environ.get("HBH_DAGSTER_URL", "http://localhost:3000").rstrip("/")


def refresh_info() -> dict[str, Any] | None:
    """The single row of meta.refresh, or None if there is no (readable) snapshot."""
    try:
        df = query("select * from meta.refresh")
    except (FileNotFoundError, DataUnavailable):
        return None
    return df.row(0, named=True) if df.height else None


def is_demo() -> bool:
    info = refresh_info()
    return bool(info and info.get("is_demo"))


def baseline_year() -> int:
    """The baseline year the marts were built with (marts.gemeente_year), else the configured one."""
    try:
        value = query("select max(baseline_year) as b from marts.gemeente_year")["b"][0]
    except (FileNotFoundError, DataUnavailable):
        value = None
    return int(value) if value is not None else settings.baseline_year()


def model_doc(table: str) -> str | None:
    """The published "how calculated" text of a table: the Dutch lines of its SQL header, and where the
    technical (English) definition is. Without Dutch lines (an older snapshot), the English header."""
    try:
        docs = query("select * from meta.model_docs")
    except (FileNotFoundError, DataUnavailable):
        return None
    hit = docs.filter(pl.col("table_name") == table)
    if not hit.height:
        return None
    dutch = hit["description_nl"][0] if "description_nl" in hit.columns else None
    english = hit["description"][0] or ""
    sql = f"`{hit['source_sql'][0]}`" if "source_sql" in hit.columns and hit["source_sql"][0] else "de SQL"
    if not dutch:  # an older snapshot, or a model without a Dutch explanation yet
        return english + f"\n\n_SQL: {sql}_"
    return dutch + f"\n\n_Technische definitie per kolom (Engels): {sql} en de Dagster UI._"


# --------------------------------------------------------------------------------------------------
# Aggregation (regio totaal) and defensive suppression
# --------------------------------------------------------------------------------------------------


def protect(df: pl.DataFrame) -> pl.DataFrame:
    """Hide every figure derived from a suppressed client count (rates, shares), as CBS does.

    The publishing step should already do this; this is a second line of defence so a rate can
    never be multiplied back into a hidden count."""
    if "clients" not in df.columns:
        return df
    hide = pl.col("clients").is_null()
    derived = [
        c
        for c in ("clients_per_1000", "clients_per_1000_75plus", "share_of_clients", "growth_vs_baseline", "growth_vs_previous",
                  *derived_columns())
        if c in df.columns
    ]
    return df.with_columns([pl.when(hide).then(None).otherwise(pl.col(c)).alias(c) for c in dict.fromkeys(derived)])


def derived_columns() -> set[str]:
    """Columns the snapshot's catalogue (meta.disclosure) says are derived from person counts or hidden with them."""
    try:
        cat = query("select column_name from meta.disclosure where role in ('derived', 'hidden')")
    except (FileNotFoundError, DataUnavailable):
        return set()
    return set(cat["column_name"].drop_nulls().to_list())


def _partial_sum(col: str) -> pl.Expr:
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
    aggs = [_partial_sum(c) for c in _SUM_COLS if c in df.columns]
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


# --------------------------------------------------------------------------------------------------
# Page furniture: header, demo banner, sidebar, filters
# --------------------------------------------------------------------------------------------------


def page_header(title: str, intro: str | None = None) -> None:
    """Title, DEMO banner and intro; stops the page with a friendly message if nothing is published."""
    st.title(title)
    if not has_data():
        st.info(NO_DATA_MESSAGE, icon=":material/hourglass_empty:")
        st.stop()
    if is_demo():
        st.warning(DEMO_MESSAGE, icon=":material/science:")
    if intro:
        st.caption(intro)
    # the summary opens the page but depends on the filters below it: summary() fills this slot later
    st.session_state["_hbh_summary_slot"] = st.empty()


def sidebar_info() -> None:
    """Publication time and data period of the snapshot in the sidebar (every page)."""
    with st.sidebar:
        info = refresh_info()
        if info is None:
            st.caption("Nog geen gegevens gepubliceerd." if not has_data() else "Gegevens niet leesbaar.")
            return
        if info.get("is_demo"):
            st.badge("DEMO · fictieve gegevens", color="orange", icon=":material/science:")
        def nowrap(text: str) -> str:  # a date never breaks at its hyphens
            return f'<span style="white-space:nowrap">{text}</span>'

        st.markdown(
            f"**Gepubliceerd:** {nowrap(fmt_datetime(info.get('published_at')))}  \n"
            f"**Gegevens over:** {nowrap(fmt_date(info.get('data_from')))} t/m {nowrap(fmt_date(info.get('data_to')))}",
            unsafe_allow_html=True,
        )
        # The Dagster run id is for analysts: it is on Datakwaliteit, not in every council member's sidebar.


def incomplete_year_note(year: int) -> None:
    """Warn when the chosen year is not complete in the data (data_to before 31 December)."""
    info = refresh_info() or {}
    data_to = info.get("data_to")
    if data_to is not None and data_to.year == year and data_to < dt.date(year, 12, 31):
        st.info(
            f"{year} is nog niet compleet: de gegevens lopen t/m {fmt_date(data_to)}. "
            "Vergelijkingen met eerdere, volledige jaren vallen daardoor mogelijk te laag uit.",
            icon=":material/event_busy:",
        )


def gemeente_options(df: pl.DataFrame) -> dict[str, str]:
    """gemeente_code -> name, sorted by name."""
    pairs = df.select("gemeente_code", "gemeente_name").unique().sort("gemeente_name").rows()
    return dict(pairs)


def gemeente_colors(df: pl.DataFrame) -> dict[str, str]:
    """gemeente_name -> colour, stable across pages (alphabetical order of all gemeenten)."""
    names = list(gemeente_options(df).values())
    return {n: GEMEENTE_PALETTE[i % len(GEMEENTE_PALETTE)] for i, n in enumerate(names)}


def gemeente_select(df: pl.DataFrame, *, key: str, allow_all: bool = True) -> str:
    names = gemeente_options(df)
    options = ([REGIO] if allow_all else []) + list(names)
    return st.selectbox(
        "Gemeente",
        options,
        format_func=lambda c: "Alle gemeenten (regio totaal)" if c == REGIO else names.get(c, c),
        key=key,
    )


def gemeente_label(df: pl.DataFrame, code: str) -> str:
    return REGIO_NAME if code == REGIO else gemeente_options(df).get(code, code)


def latest_complete_year(years: list[int]) -> int:
    """The newest of ``years`` that the data cover in full (data_to on 31 December), else the newest."""
    options = sorted({int(y) for y in years}, reverse=True)
    data_to = (refresh_info() or {}).get("data_to")
    for y in options:
        if data_to is None or dt.date(y, 12, 31) <= data_to:
            return y
    return options[0]


def year_select(years: list[int], *, key: str, label: str = "Jaar") -> int:
    """Newest year first; the latest complete year selected by default."""
    options = sorted({int(y) for y in years}, reverse=True)
    return st.selectbox(label, options, index=options.index(latest_complete_year(options)), key=key, format_func=str)


def summary(text: str) -> None:
    """The page's opening summary: what changed and what it means, with the figures (summaries.py)."""
    slot = st.session_state.get("_hbh_summary_slot") or st.empty()
    with slot.container(border=True, key="hbh_summary"):
        st.markdown(f"**Samengevat.** {text}")


# --------------------------------------------------------------------------------------------------
# Charts, downloads and "Hoe berekend?"
# --------------------------------------------------------------------------------------------------


def style_figure(
    fig: go.Figure,
    *,
    y_format: str = ",d",
    x_years: bool = True,
    height: int | None = None,
) -> go.Figure:
    """Dutch separators (1.234,5), years without a thousands separator, no external resources."""
    fig.update_layout(
        separators=",.",
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
        hovermode="closest",
        font=dict(color=TEXT_COLOR),
    )
    if height:
        fig.update_layout(height=height)
    if x_years:
        fig.update_xaxes(tickformat="d", hoverformat="d", dtick=1)
    fig.update_yaxes(tickformat=",~f", hoverformat=y_format, rangemode="tozero")
    return fig


def mark_policy_years(fig: go.Figure, years: list[int], baseline_year: int | None) -> None:
    """Vertical markers for the baseline year and the abonnementstarief (2019), if in range."""
    if not years:
        return
    lo, hi = min(years), max(years)
    marks: dict[int, list[str]] = {}
    if baseline_year is not None and lo <= baseline_year <= hi:
        marks.setdefault(int(baseline_year), []).append(f"basisjaar {baseline_year}")
    if lo <= ABONNEMENTSTARIEF_YEAR <= hi:
        marks.setdefault(ABONNEMENTSTARIEF_YEAR, []).append(f"abonnementstarief ({ABONNEMENTSTARIEF_YEAR})")
    for i, (year, texts) in enumerate(sorted(marks.items())):
        fig.add_vline(
            x=year,
            line_dash="dash" if "basisjaar" in texts[0] else "dot",
            line_color="#666",
            line_width=1,
            annotation_text=" + ".join(texts).capitalize(),
            annotation_position="top left" if i == 0 else "top right",
            annotation_font_size=11,
            annotation_font_color=TEXT_COLOR,
        )


def _hidden_mask(df: pl.DataFrame) -> pl.Expr | None:
    """Rows whose person count is hidden (a NULL count column)."""
    counts = [n for n in df.columns if _KIND_BY_LABEL.get(n) == "count"]
    return pl.any_horizontal([pl.col(n).is_null() for n in counts]) if counts else None


# A text cell that starts with one of these is a formula to Excel/LibreOffice (CSV and xlsx alike)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """Neutralise spreadsheet formula injection: a text starting with = + - @ (or tab/CR) gets a leading
    apostrophe, so it stays text in Excel and LibreOffice. Non-text values pass unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _export_decimals(name: str, col: pl.Series) -> int:
    """Decimals of a numeric column in a download: as on screen (the kind's rounding, else the fewest that
    show every value), so whole numbers are written as integers (57238, not 57238,0)."""
    kind = _KIND_BY_LABEL.get(name)
    if kind in ("rate", "pct"):
        return 1
    if kind in ("count", "pop", "int", "year") or not col.dtype.is_float():
        return 0
    return _decimals(col)


def _dutch_text(value: Any, decimals: int) -> str:
    """A number as CSV text the Dutch Excel reads as a number: 1234,5 (no thousands separator)."""
    return f"{float(value):.{decimals}f}".replace(".", ",")


def _hidden_rows(df: pl.DataFrame) -> list[bool]:
    mask = _hidden_mask(df)
    return df.select(mask.alias("h"))["h"].to_list() if mask is not None else [False] * df.height


def _export_frame(df: pl.DataFrame) -> pl.DataFrame:
    """The data as a download shows it: hidden cells as 'afgeschermd' (the word the tables use: a hidden
    count, and the empty figures of a row whose count is hidden; another empty cell stays empty), whole
    numbers as integers, and every text cell safe from formula injection."""
    exprs = []
    hidden = _hidden_rows(df)
    for name, dtype in df.schema.items():
        col = df[name]
        if dtype.is_numeric():
            d = _export_decimals(name, col)
            if col.null_count():
                exprs.append(pl.Series(name, [(HIDDEN_CELL if h else None) if v is None else _dutch_text(v, d)
                                              for v, h in zip(col.to_list(), hidden)], dtype=pl.String))
            elif d == 0 and dtype.is_float():
                exprs.append(col.round(0).cast(pl.Int64))
            elif dtype.is_float():
                exprs.append(col.round(d))
        elif dtype == pl.String:
            exprs.append(col.map_elements(safe_text, return_dtype=pl.String))
    return df.with_columns(exprs) if exprs else df


def to_csv_bytes(df: pl.DataFrame) -> bytes:
    """CSV as Dutch Excel opens it: ';' separated, decimal comma, UTF-8 with BOM."""
    buf = io.BytesIO()
    out = _export_frame(df)
    # a float column keeps its decimals on every row (10,0 next to 12,5), as on screen
    out = out.with_columns([pl.col(n).map_elements(lambda v, d=_export_decimals(n, df[n]): _dutch_text(v, d),
                                                   return_dtype=pl.String)
                            for n, t in out.schema.items() if t.is_float()])
    out.write_csv(buf, separator=";", include_bom=True)
    return buf.getvalue()


_EXCEL_FORMATS = {"count": "#,##0", "pop": "#,##0", "int": "#,##0", "rate": "#,##0.0", "pct": "0.0", "year": "0"}


def _excel_format(name: str, col: pl.Series) -> str | None:
    """The number format of every numeric column (Excel shows it with the reader's separators: 1.234,5)."""
    if not col.dtype.is_numeric():
        return None
    kind = _KIND_BY_LABEL.get(name)
    if kind in _EXCEL_FORMATS:
        return _EXCEL_FORMATS[kind]
    if "jaar" in name.lower() and not col.dtype.is_float():
        return "0"
    d = _export_decimals(name, col)
    return "#,##0" if d == 0 else "#,##0." + "0" * d


def _provenance(title: str, filters: str) -> list[tuple[str, str]]:
    info = refresh_info() or {}
    rows = [
        ("Onderwerp", title),
        ("Selectie", filters),
        ("Bron", "HbH-monitor, gepubliceerde momentopname (alleen geaggregeerde cijfers)"),
        ("Gepubliceerd", fmt_datetime(info.get("published_at"))),
        ("Gegevens over", f"{fmt_date(info.get('data_from'))} t/m {fmt_date(info.get('data_to'))}"),
        ("Run", str(info.get("run_id") or "–")),
        (suppressed_label(), "Afgeschermd: minder dan "
         f"{suppression_threshold()} personen, of verborgen zodat zo'n klein aantal niet uit een totaal, een ander "
         "jaar of een andere tabel is terug te rekenen. Verhoudingsgetallen, uren en bedragen van zo'n rij zijn ook "
         "verborgen."),
    ]
    if rounding_base() > 1:
        rows.append(("Afronding", f"Aantallen personen zijn afgerond op {rounding_base()}-tallen (werkwijze CBS); "
                     "verhoudingsgetallen zijn berekend uit de afgeronde aantallen."))
    if info.get("is_demo"):
        rows.insert(0, ("DEMO", "Demogegevens — fictieve gemeenten en cijfers"))
    return rows


def to_excel_bytes(
    df: pl.DataFrame, *, title: str = "", filters: str = "", provenance: list[tuple[str, str]] | None = None
) -> bytes:
    """Excel workbook (openpyxl): sheet 'Gegevens' = exactly the data shown, sheet 'Toelichting'.

    Numbers stay numbers with a Dutch-readable format on every numeric column; a hidden cell is the text
    'afgeschermd'; text cells are safe from formula injection."""
    if provenance is None:
        provenance = _provenance(title, filters)
    import openpyxl
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Gegevens"
    ws.append(list(df.columns))
    decimals = {n: _export_decimals(n, df[n]) for n, t in df.schema.items() if t.is_numeric()}
    for row, hidden in zip(df.iter_rows(), _hidden_rows(df)):
        out = []
        for name, v in zip(df.columns, row):
            if v is None and name in decimals:
                out.append(HIDDEN_CELL if hidden else None)
            elif name in decimals and v is not None:
                out.append(int(round(v)) if decimals[name] == 0 else round(float(v), decimals[name]))
            elif isinstance(v, str):
                out.append(safe_text(v))
            else:
                out.append(v)
        ws.append(out)
    for idx, name in enumerate(df.columns, start=1):
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = max(10, min(40, len(str(name)) + 2))
        fmt = _excel_format(name, df[name])
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                cell.number_format = fmt
    ws.freeze_panes = "A2"
    info = wb.create_sheet("Toelichting")
    info.append(["Onderdeel", "Toelichting"])
    for k, v in provenance:
        info.append([safe_text(k), safe_text(v)])
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def download_buttons(df: pl.DataFrame, *, name: str, key: str, title: str = "", filters: str = "") -> None:
    """CSV and Excel download of exactly ``df`` (the data shown).

    The workbook (~35 ms with openpyxl) is only built when the button is clicked (deferred callable);
    its provenance is collected now, in the script run."""
    base = ("DEMO_" if is_demo() else "") + "hbh_" + slug(name)
    provenance = _provenance(title, filters)
    row = st.container(horizontal=True)  # buttons sized to their label, also in a narrow column
    c1 = c2 = row
    with c1:
        st.download_button(
            "CSV",
            data=to_csv_bytes(df),
            file_name=f"{base}.csv",
            mime="text/csv",
            key=f"{key}_csv",
            on_click="ignore",
            icon=":material/download:",
            help="Puntkomma-gescheiden, decimale komma (opent zo in Nederlandse Excel)",
        )
    with c2:
        st.download_button(
            "Excel",
            data=lambda: to_excel_bytes(df, provenance=provenance),
            file_name=f"{base}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{key}_xlsx",
            on_click="ignore",
            icon=":material/download:",
        )


def how_calculated(tables: list[str], extra: str | None = None) -> None:
    """The "Hoe berekend?" expander: the published description of each mart used."""
    with st.expander("Hoe berekend?", icon=":material/calculate:"):
        for t in tables:
            st.markdown(f"**Bron: `{t}`**")
            st.markdown(model_doc(t) or "_Voor deze tabel is geen beschrijving gepubliceerd._")
        if extra:
            st.markdown(extra)
        st.caption(method_note())


REGIO_NOTE = (
    "**Regio totaal:** de aantallen (cliënten, inwoners, uren, kosten) van alle gemeenten zijn "
    "opgeteld; daarna zijn de verhoudingsgetallen opnieuw berekend (totaal cliënten / totaal inwoners "
    "× 1.000). Is het aantal cliënten van een gemeente afgeschermd, dan telt die gemeente voor dat "
    "cijfer niet mee: het regionale aantal is dan een ondergrens (≥) en het verhoudingsgetal geldt "
    "voor de overige gemeenten. Dat staat er dan steeds bij."
)


def show_chart(
    fig: go.Figure,
    data: pl.DataFrame,
    *,
    name: str,
    key: str,
    tables: list[str],
    title: str,
    filters: str,
    extra: str | None = None,
    alt: str | None = None,
) -> None:
    """A Plotly chart followed by its downloads (exactly ``data``) and the "Hoe berekend?" expander.

    ``title`` is drawn above the chart; ``alt`` (default: the title) is its text alternative for screen
    readers, best the page's summary sentence with the figures in it."""
    config = PLOTLY_CONFIG | {"toImageButtonOptions": {"filename": "hbh_" + slug(name)}}
    plot(fig, key=key, title=title, alt=alt or f"{title}. Selectie: {filters}.", config=config)
    download_buttons(data, name=name, key=key, title=title, filters=filters)
    how_calculated(tables, extra)


def plot(fig: go.Figure, *, key: str, title: str, alt: str | None = None, config: dict | None = None,
         show_title: bool = True, **kwargs: Any) -> Any:
    """st.plotly_chart with a title and a text alternative.

    The alternative goes in ``layout.meta.alt``; the page script (a11y.py) gives the chart
    ``role="figure"`` and that ``aria-label`` (Plotly's SVG has none, the map's canvas says "Map")."""
    text = alt or title
    # Streamlit's chart theme draws axis labels and legends in a light grey (< 4.5:1 on white)
    for axes in (fig.update_xaxes, fig.update_yaxes):
        axes(tickfont_color=TEXT_COLOR, title_font_color=TEXT_COLOR)
    fig.update_layout(legend_font_color=TEXT_COLOR, legend_title_font_color=TEXT_COLOR)
    fig.update_traces(colorbar=dict(tickfont_color=TEXT_COLOR, title_font_color=TEXT_COLOR),
                      selector=lambda t: "colorbar" in t)
    meta = dict(fig.layout.meta) if isinstance(fig.layout.meta, dict) else {}
    fig.update_layout(meta=meta | {"alt": text if text.startswith(title) else f"{title}. {text}"})
    if show_title:
        fig.update_layout(title=dict(text=title, x=0, xanchor="left", y=0.98, yanchor="top",
                                     font=dict(size=14, color=TEXT_COLOR)))
        top = (fig.layout.margin.t or 0) if fig.layout.margin else 0
        fig.update_layout(margin=dict(t=max(top, 40) + 30))  # the title above the legend
    return st.plotly_chart(fig, key=key, config=config or PLOTLY_CONFIG, **kwargs)


# Years as printf "%d": Streamlit's "plain" format showed some years of an Int32 column as 2017.0000000000002.
YEAR_FORMAT = "%d"


def _decimals(col: pl.Series) -> int:
    """The fewest decimals (0, 1 or 2) that show every value of a float column exactly as rounded."""
    values = col.drop_nulls()
    for d in (0, 1):
        if values.is_empty() or ((values - values.round(d)).abs() < 1e-9).all():
            return d
    return 2


def _number(name: str, col: pl.Series) -> Any:
    """Dutch-localised (1.234,5), with the same number of decimals on every row: "localized" alone drops
    trailing zeros (855 next to 848,2); ``step`` fixes the display precision."""
    if "jaar" in name.lower() or _KIND_BY_LABEL.get(name) == "year":
        return st.column_config.NumberColumn(name, format=YEAR_FORMAT)
    step = 10.0 ** -_decimals(col) if col.dtype.is_float() else 1
    return st.column_config.NumberColumn(name, format="localized", step=step)


def _pin_first(df: pl.DataFrame, config: dict[str, Any]) -> dict[str, Any]:
    """The first column (what a row is: wijk, gemeente, aanbieder, jaar) stays visible when a narrow
    screen scrolls the table sideways."""
    if df.width:
        first = df.columns[0]
        config[first] = (st.column_config.NumberColumn(first, format=YEAR_FORMAT, pinned=True)
                         if first in config and "jaar" in first.lower() else
                         st.column_config.Column(first, pinned=True) if first not in config else config[first])
    return config


def localized_numbers(df: pl.DataFrame) -> dict[str, Any]:
    """column_config that shows every numeric column in Dutch format (1.234,5), years plain; the first
    column pinned."""
    return _pin_first(df, {name: _number(name, df[name]) for name, dtype in df.schema.items() if dtype.is_numeric()})


def number_column_config(df: pl.DataFrame) -> dict[str, Any]:
    """column_config for st.dataframe: Dutch-localised numbers, years without separator."""
    return _pin_first(df, {
        name: _number(name, df[name])
        for name in df.columns
        if _KIND_BY_LABEL.get(name) in ("count", "pop", "int", "rate", "pct", "year")
    })
