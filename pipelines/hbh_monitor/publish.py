"""Publishing: the serving snapshot the dashboards read.

The dashboards never open the working database. After a run's checks pass, the marts are copied
into a new DuckDB file next to the live one, with small counts suppressed (council pages must
never show a cell small enough to point at a person), and the new file is swapped in with
``os.replace`` — atomic, so a reader sees either the old or the new snapshot, never half of one
(measured pattern: see docs and ../shared/stack-notes.md). Client rows never enter the snapshot.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from hbh_monitor import disclosure, money_disclosure, settings
from hbh_monitor.models import _variables, sql_models
from hbh_monitor.sqltext import ident
from hbh_monitor.status import record_published, record_unchanged, remove_stale_tmp

# Who sees which table, which columns count persons, which are derived: the catalogue in the SQL headers
# (hbh_monitor.disclosure). Marts the snapshot leaves out entirely:
NOT_PUBLISHED = {t: "audience unpublished" for t, d in disclosure.catalogue().items() if d.audience == "unpublished"}
# What only the analyst pages read: left out of the council snapshot (settings.council_path). The analyst marts
# of the catalogue (reconciliation findings per aanbieder × month, the waiting list, monthly and per-aanbieder
# detail, the forecast's fitted inputs) and the meta tables that name files, rules and runs.
ANALYST_ONLY = tuple(t for t, d in disclosure.catalogue().items() if d.audience == "analyst") + (
    "meta.ingestion_ledger", "meta.quarantine_summary", "meta.check_results", "meta.gx_validations",
    "meta.model_builds",
)
# Tables without catalogue lines (and the analyst audience) fall back on these names.
COUNT_COLUMNS = ("clients", "new_clients", "clients_baseline",
                 "starts", "waiting", "stops", "stops_client_ended", "herindicaties", "lowered", "raised", "indications")
# derived column → the counts it is computed from; hidden when any of them is hidden (analyst audience; the
# council audience recomputes its derived columns from the rounded counts, see the catalogue).
DERIVED = {
    "clients_per_1000": ("clients",),
    "clients_per_1000_75plus": ("clients", "clients_75plus"),  # clients aged 75+ per 1,000 inhabitants 75+
    "share_of_clients": ("clients",),
    "growth_vs_baseline": ("clients", "clients_baseline"),
    "growth_vs_previous": ("clients", "clients_previous"),  # clients_previous: the same cell a year earlier
    **{c: ("clients", "clients_baseline") for c in (
        "expected", "expected_with_trend", "demographic_growth", "excess_growth", "excess_growth_se",
        "excess_growth_low", "excess_growth_high", "total_growth", "total_growth_low", "total_growth_high",
        "excess_growth_net_of_trend", "pre_trend")},
    "share_pgb": ("clients", "clients_pgb"),
    **{f"share_hours_{g}": ("clients",) for g in ("weekly", "biweekly", "maatwerk")},
    **{c: ("starts",) for c in ("median_days_to_start", "p90_days_to_start", "mean_days_to_start")},
    "median_days_waiting": ("waiting",),
    "share_of_indications": ("indications",),
    **{c: ("herindicaties",) for c in ("hours_per_week_before", "hours_per_week_after", "change_hours_per_week",
                                       "mean_transition_days")},
    "share_of_clients_product": ("product_clients",),
    **money_disclosure.DERIVED,  # the money marts' declarations, read from the catalogue lines of their SQL headers
    # wijkgericht werken (marts.wijk_concentration): indices and shares of the wijk's ZIN clients
    **{c: ("zin_clients",) for c in ("hhi", "hhi_clients", "main_market_share")},
    "share_switched": ("zin_clients", "switched_clients"),
    # CBS beside our own (marts.cbs_comparison, marts.cbs_benchmark): CBS's rate, and what rests on either count
    **{c: ("cbs_clients",) for c in ("cbs_clients_per_1000", "cbs_percentile", "cbs_sentence")},
    **{c: ("clients", "cbs_clients") for c in ("cbs_difference", "cbs_difference_pct")},
    "external_clients": ("clients_base",),  # marts.external_growth: a published growth applied to our count
}
# Dimension columns that identify a cell (together with ``year``).
DIMENSIONS = ("gemeente_code", "wijk_code", "age_band", "product_code", "leveringsvorm", "aanbieder_agb", "urgentie",
              "scenario", "month")
# Cell dimensions whose cells add up to a total of the other dimensions: the wijken of a gemeente add up
# to marts.gemeente_year, the age bands (and aanbieders, urgenties) of a gemeente or wijk to its total — where a
# mart has the total as a row of its own ('alle', e.g. marts.time_to_start_year), it is a cell of the same group.
# Secondary suppression makes sure no such group has exactly one hidden cell, over every margin present, until
# nothing changes.
PART_OF_TOTAL = ("wijk_code", "age_band", "aanbieder_agb", "urgentie")
# Counts in one row that (about) add up to another count of the row: the parts of a total. A client can be in
# several parts (zin and pgb), so total - shown parts is not exact, but it bounds the hidden part; no row keeps
# exactly one hidden part while its total is shown.
COLUMN_PARTS = {"clients": [("clients_zin", "clients_pgb"), ("clients_weekly", "clients_biweekly", "clients_maatwerk")],
                "herindicaties": [("lowered", "raised")]}
# Amounts of a row (hours, euros) describe the clients the row counts: "4 uur, € 150" next to a hidden
# client count tells what about one person received. They are hidden with the row's ``clients``, and an
# amount of a part (indicated_hours_pgb) also with that part's count (clients_pgb).
_AMOUNT = re.compile(r"(^|_)(hours|eur)(_|$)")
_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    *catalog, schema, name = table.split(".")
    where = " AND table_catalog = ?" if catalog else ""
    return dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            f"{where} ORDER BY ordinal_position",
            [schema, name, *catalog],
        ).fetchall()
    )


def _is_count(name: str, dtype: str) -> bool:
    """A count of persons: the catalogue's, the known ones, and any integer column about clients."""
    return (name in COUNT_COLUMNS or name in disclosure.person_columns()
            or ("clients" in name and dtype.upper() in _INTEGER_TYPES))


def _is_amount(name: str, dtype: str) -> bool:
    return dtype.upper().startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL")) and bool(_AMOUNT.search(name))


def _suppressed_select(con: duckdb.DuckDBPyConnection, table: str, threshold: int, rounding: int = 1,
                       catalogue: disclosure.Disclosure | None = None,
                       linked: list[tuple[str, str, str, str]] | None = None) -> str:
    """SELECT of ``table`` with small counts hidden (NULL) and a ``<count>_suppressed`` flag per count.

    - primary: a count below ``threshold`` is hidden. A NULL count that is not applicable (e.g.
      new_clients in the first year) stays NULL with flag false, so the UI shows "<10" only when hidden;
    - secondary: when exactly one cell of a group that adds up to a total (the wijken of a gemeente ×
      year, the age bands of a gemeente × year, the urgenties and their 'alle' row) is hidden, the
      next-smallest cell of the group is hidden too, so no hidden cell equals total − Σ shown; likewise
      when exactly one part of a row's total is hidden (``COLUMN_PARTS``: clients_zin / clients_pgb of
      clients, and the catalogue's ``parts`` lines), and when the hidden parts of a row together count fewer than
      ``threshold`` while its total is shown (total − shown parts would tell that small sum); repeated over all
      margins until stable;
    - a baseline column (clients_baseline, clients_laag_baseline: the count in the baseline year, on every row of
      the cell) is hidden when the baseline year's row hides that count;
    - amounts (hours, euros) are hidden when the row's client count is hidden, an amount of a part
      (``indicated_hours_pgb``) also when that part's count (``clients_pgb``) is;
    - derived figures (rates, shares, growth) are hidden when a count they are computed from is hidden;
      growth_vs_previous also when the previous year's count of the cell is hidden. Unknown derived
      columns (non-integer, named *clients*/share*/growth*) are hidden when any count of the row is.

    With a ``catalogue`` entry of the council audience (hbh_monitor.disclosure) and ``rounding`` > 1:
    - every shown person count is rounded to the nearest multiple of ``rounding``;
    - every ``derived`` column is computed again by its formula FROM the rounded counts of the snapshot (so
      a rate or share never carries more than the rounded count), ``hidden`` columns are NULL where one of
      their counts is hidden.

    Prepares a temporary table on ``con`` (the flags) and returns the SELECT that reads it.
    """
    types = _columns(con, table)
    cols = list(types)
    t = int(threshold)
    keys = [d for d in DIMENSIONS if d in cols]
    entity = keys  # the same cell over the years
    has_year = "year" in cols
    d = catalogue
    # the declared person counts, and any column that looks like one (a new count a header does not declare yet)
    counts = [c for c in cols if (d and c in d.persons) or _is_count(c, types[c])]
    # a count's value in the baseline year, repeated on every row of the cell (clients_baseline, clients_laag_baseline):
    # hidden wherever the baseline year's row hides that count
    baselines = {c: c.removesuffix("_baseline") for c in counts
                 if c.endswith("_baseline") and c.removesuffix("_baseline") in counts
                 and "baseline_year" in cols and has_year}
    cell_counts = [c for c in counts if c not in baselines]
    if not cell_counts:
        return f"SELECT * FROM {table}"

    tmp = "_suppress_" + table.replace(".", "_")
    made_from_protected = bool(d and d.recompute and d.audience == "council")  # NULL = hidden in an input
    base = max(1, int(rounding)) if d and d.declared and d.audience == "council" else 1
    # below the threshold, or rounded to below it (a threshold that is not a multiple of the base)
    small = (lambda c: f"({c} < {t} OR round({c} / {base}) * {base} < {t})") if base > 1 else (lambda c: f"{c} < {t}")
    primary = ", ".join((f"({c} IS NULL OR {small(c)})" if made_from_protected else f"coalesce({small(c)}, false)")
                        + f" AS _s_{c}" for c in cell_counts)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT *, {primary} FROM {table}")
    for col, source, scol, where in linked or ():  # the same count hidden in a table published before
        if col in cell_counts:
            scols = _columns(con, source)  # the same cell: every key both tables have, the year included
            on = " AND ".join(f"s.{k} = {tmp}.{k}" for k in keys + (["year"] if has_year else []) if k in scols)
            cond = f" AND {tmp}.{where}" if where else ""
            con.execute(f"UPDATE {tmp} SET _s_{col} = true WHERE EXISTS (SELECT 1 FROM {source} s WHERE {on} "
                        f"AND s.{scol}_suppressed){cond}")
    order_key = ", ".join(keys) or "rowid"
    groups = [(total, parts) for total, part_sets in COLUMN_PARTS.items() if total in cell_counts
              for parts in part_sets if all(p in cell_counts for p in parts)]
    groups += [(total, parts) for total, parts in (d.parts if d else ()) if total in cell_counts
               and all(p in cell_counts for p in parts) and (total, parts) not in groups]  # the catalogue's parts
    for _ in range(0 if made_from_protected else 100):  # cells over every margin, and parts within a row, until stable
        changed = 0
        for c in cell_counts:
            for part in (d for d in PART_OF_TOTAL if d in cols):
                group = [k for k in keys if k != part] + (["year"] if has_year else [])
                by = ", ".join(group)
                changed += con.execute(
                    f"UPDATE {tmp} SET _s_{c} = true WHERE rowid IN ("
                    f" SELECT rid FROM (SELECT rowid AS rid, {c} AS v, _s_{c} AS s,"
                    f"  count_if(_s_{c}) OVER ({'PARTITION BY ' + by if by else ''}) AS n,"
                    f"  row_number() OVER (PARTITION BY {by + ', ' if by else ''}_s_{c}, ({c} IS NULL)"
                    f"   ORDER BY {c}, {order_key}) AS r FROM {tmp})"
                    f" WHERE n = 1 AND NOT s AND v IS NOT NULL AND r = 1)"
                ).fetchall()[0][0]
        for total, parts in groups:
            hidden = " + ".join(f"_s_{p}::INTEGER" for p in parts)
            smallest = "least(" + ", ".join(f"CASE WHEN NOT _s_{p} THEN {p} END" for p in parts) + ")"
            # what the hidden parts hold together: total − shown parts tells it (to within the rounding), so it must
            # not be a small number either (parts 2 and 1 hidden next to a shown total 12 and part 9 give them away)
            hidden_sum = " + ".join(f"CASE WHEN _s_{p} THEN coalesce({p}, 0) ELSE 0 END" for p in parts)
            for p in parts:
                changed += con.execute(
                    f"UPDATE {tmp} SET _s_{p} = true WHERE ({hidden} = 1 OR ({hidden} > 1 AND {hidden_sum} < {t})) "
                    f"AND NOT _s_{total} AND NOT _s_{p} "
                    f"AND {p} IS NOT NULL AND {p} = {smallest}"
                ).fetchall()[0][0]
        if not changed:
            break

    flags = {c: f"_s_{c}" for c in cell_counts}
    extra = []
    part_by = f"PARTITION BY {', '.join(entity)}" if entity else ""
    for b, c in baselines.items():
        extra.append(
            f"(coalesce({small(b)}, false) OR coalesce(bool_or(_s_{c}) FILTER (WHERE year = baseline_year) "
            f"OVER ({part_by}), false)) AS _s_{b}"
        )
        flags[b] = f"_s_{b}"
    if "clients" in cell_counts and has_year:
        extra.append(f"coalesce(lag(_s_clients) OVER ({part_by} ORDER BY year), false) AS _s_clients_previous")
        flags["clients_previous"] = "_s_clients_previous"
    any_hidden = " OR ".join(flags[c] for c in counts)

    shown = (lambda c: f"(round({c} / {base}) * {base})::BIGINT") if base > 1 else (lambda c: c)
    out = []
    for c in cols:
        if c.endswith("_suppressed") and c.removesuffix("_suppressed") in counts:
            continue  # (re)made below
        if c in counts:
            out.append(f"CASE WHEN {flags[c]} THEN NULL ELSE {shown(c)} END AS {c}")
            out.append(f"{flags[c]} AS {c}_suppressed")
        elif d and c in d.hidden and any(w in flags for w in d.hidden[c]):
            cond = " OR ".join(flags[w] for w in d.hidden[c] if w in flags)
            out.append(f"CASE WHEN {cond} THEN NULL ELSE {c} END AS {c}")
        elif d and c in d.derived:
            out.append(c)  # recomputed below from the protected counts
        elif c in DERIVED and any(s in flags for s in DERIVED[c]):
            cond = " OR ".join(flags[s] for s in DERIVED[c] if s in flags)
            out.append(f"CASE WHEN {cond} THEN NULL ELSE {c} END AS {c}")
        elif "clients" in cell_counts and _is_amount(c, types[c]):
            parts = [p for p in cell_counts if p.startswith("clients_") and c.endswith(p.removeprefix("clients"))]
            cond = " OR ".join(flags[s] for s in ["clients", *parts])
            out.append(f"CASE WHEN {cond} THEN NULL ELSE {c} END AS {c}")
        elif c not in DERIVED and types[c].upper() not in _INTEGER_TYPES and (
            "clients" in c or c.startswith(("share", "growth"))
        ) and not types[c].upper().startswith("VARCHAR"):
            out.append(f"CASE WHEN {any_hidden} THEN NULL ELSE {c} END AS {c}")
        else:
            out.append(c)
    order = ", ".join(keys + (["year"] if has_year else []))
    src = f"(SELECT *{''.join(', ' + x for x in extra)} FROM {tmp})"
    select = f"SELECT {', '.join(out)} FROM {src}"
    if d and d.audience == "council" and d.derived:  # derived figures FROM the protected counts
        outer = [f"({d.derived[c]})::{types[c]} AS {c}" if c in d.derived else c
                 for c in [x.split(" AS ")[-1] if " AS " in x else x for x in out]]
        select = f"SELECT {', '.join(outer)} FROM ({select}) protected"
    return select + (f" ORDER BY {order}" if order else "")


# What a reader sees of a snapshot, compared to tell a run with nothing new: every mart, and the meta
# tables about the data (not the run's own records: GX and model-build rows of a run that found nothing
# to validate or rebuild, a touched file's new modification time).
_COMPARED_META = {
    "meta.ingestion_ledger": "dataset, source_file, sha256, status, rows_in, rows_loaded, rows_quarantined, message",
    "meta.quarantine_summary": "*", "meta.wijk_geometry": "*", "meta.model_docs": "*",
}


def _content(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, tuple]:
    """{table: (rows, order-independent hash of the rows)} of the marts and ``_COMPARED_META`` in ``catalog``.

    Floating-point columns are compared to 7 significant digits: DuckDB sums doubles in parallel, so the
    same input can give a different last bit from run to run, which is not a new figure (at 12 digits a value
    next to a rounding boundary still flipped now and then). New data is never missed by this: every new or
    changed landing file changes meta.ingestion_ledger (its sha256), which is compared exactly."""
    tables = [t for (t,) in con.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_catalog = ? ORDER BY 1",
        [catalog]).fetchall() if t.startswith("marts.") or t in _COMPARED_META]
    out = {}
    for t in tables:
        schema, name = t.split(".")
        columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = ? AND table_schema = ? "
            "AND table_name = ? ORDER BY ordinal_position", [catalog, schema, name]).fetchall()
        wanted = None if _COMPARED_META.get(t, "*") == "*" else {c.strip() for c in _COMPARED_META[t].split(",")}
        parts = [f"printf('%.6e', {ident(c)})" if kind in ("DOUBLE", "FLOAT", "REAL") else ident(c)
                 for c, kind in columns if wanted is None or c in wanted]
        out[t] = tuple(con.execute(f"SELECT count(*), coalesce(bit_xor(hash(x)), 0) FROM "
                                   f"(SELECT {', '.join(parts)} FROM {catalog}.{t}) AS x").fetchall()[0])
    return out


def _same_as_live(con: duckdb.DuckDBPyConnection, target: Path) -> str | None:
    """The run_id of the live snapshot at ``target`` when the snapshot being written (``snap``) holds
    exactly what it holds (the marts and ``_COMPARED_META``, the data period and settings in meta.refresh);
    else None."""
    if not target.is_file():
        return None
    try:
        con.execute(f"ATTACH '{target}' AS live (READ_ONLY)")
    except duckdb.Error:
        return None  # unreadable live snapshot: publish
    try:
        cols = "data_from, data_to, is_demo, suppression_threshold, rounding_base"
        live = con.execute(f"SELECT run_id, {cols} FROM live.meta.refresh").fetchall()
        new = con.execute(f"SELECT {cols} FROM snap.meta.refresh").fetchall()
        if len(live) != 1 or live[0][1:] != new[0] or _content(con, "live") != _content(con, "snap"):
            return None
        return live[0][0]
    except duckdb.Error:
        return None
    finally:
        con.execute("DETACH live")


def discard_unpublished(target: Path | None = None) -> list[Path]:
    """Remove what a failed publication left next to the snapshot and the council snapshot (half-written
    temp files and their WAL), so a full disk does not stay full; the live snapshots are not touched."""
    target = target or settings.serving_path()
    return remove_stale_tmp(target) + remove_stale_tmp(settings.council_path(target))


def publish_snapshot(con: duckdb.DuckDBPyConnection, run_id: str, is_demo: bool, target: Path | None = None,
                     only_if_changed: bool = False) -> dict:
    """Write the snapshot next to ``target`` and swap it in (then the council snapshot).

    ``only_if_changed`` (the refresh job): when the new snapshot holds exactly what the live one holds
    (a night with nothing new), nothing is swapped and the live snapshot keeps its publication time;
    status.json records that the run found nothing new (``unchanged`` in the result)."""
    target = target or settings.serving_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(target)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    published_at = datetime.now(timezone.utc).replace(tzinfo=None)
    threshold = settings.suppression_threshold()
    rounding = settings.rounding_base()
    marts = [m for m in sql_models() if m.layer == "marts" and m.table not in NOT_PUBLISHED]
    con.execute(f"ATTACH '{tmp}' AS snap")
    try:
        con.execute("CREATE SCHEMA snap.marts")
        con.execute("CREATE SCHEMA snap.meta")
        _publish_marts(con, marts, threshold, rounding)
        con.execute(
            "CREATE TABLE snap.meta.refresh AS SELECT ?::TIMESTAMP AS published_at, ? AS run_id, ? AS is_demo, "
            "data_from, data_to, ? AS suppression_threshold, ? AS rounding_base FROM staging.data_period",
            [published_at, run_id, is_demo, threshold, rounding],
        )
        con.execute("CREATE TABLE snap.meta.disclosure (table_name VARCHAR, audience VARCHAR, column_name VARCHAR, "
                    "role VARCHAR, detail VARCHAR)")
        con.executemany("INSERT INTO snap.meta.disclosure VALUES (?, ?, ?, ?, ?)", disclosure.catalogue_rows())
        con.execute("CREATE TABLE snap.meta.model_docs (table_name VARCHAR, description VARCHAR, source_sql VARCHAR, "
                    "description_nl VARCHAR)")
        for m in sql_models():
            con.execute(
                "INSERT INTO snap.meta.model_docs VALUES (?, ?, ?, ?)",
                [m.table, m.description, str(m.path.relative_to(settings.project_root())), m.description_nl or None],
            )
        con.execute("CREATE TABLE snap.meta.ingestion_ledger AS SELECT * FROM meta.ingestion_ledger ORDER BY loaded_at, source_file")
        con.execute(
            # rules only: a reason text can quote a delivered value (e.g. a birth date).
            "CREATE TABLE snap.meta.quarantine_summary AS SELECT dataset, source_file, rules, count(*) AS rows "
            "FROM meta.quarantine GROUP BY ALL ORDER BY dataset, source_file, rows DESC"
        )
        # Optional reference/validation tables, copied when the run produced them.
        present = {r[0] for r in con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_catalog = current_database()"
        ).fetchall()}
        for optional in ("meta.wijk_geometry", "meta.check_results", "meta.gx_validations"):
            if optional in present:
                con.execute(f"CREATE TABLE snap.{optional} AS SELECT * FROM {optional}")
        if "meta.model_builds" in present:  # how each model was last brought up to date
            con.execute("CREATE TABLE snap.meta.model_builds AS SELECT model, version, mode, rows, changed_keys, reason, "
                        "built_at FROM meta.model_builds ORDER BY model")
        same_as = _same_as_live(con, target) if only_if_changed else None
    finally:
        con.execute("DETACH snap")
    if same_as and settings.council_path(target).is_file():
        remove_stale_tmp(target)
        record_unchanged(run_id, same_as, target)
        return {"path": str(target), "council_path": str(settings.council_path(target)), "tables": [m.table for m in marts],
                "suppression_threshold": threshold, "unchanged": True, "live_run_id": same_as}
    os.replace(tmp, target)
    council = publish_council_snapshot(con, target)
    record_published(run_id, published_at, target)  # status.json: which snapshot is live
    return {"path": str(target), "council_path": str(council), "tables": [m.table for m in marts],
            "suppression_threshold": threshold, "rounding_base": rounding, "unchanged": False}


_MART_REF = re.compile(r"\bmarts\.([a-z_][a-z0-9_]*)\b")


def _publish_marts(con: duckdb.DuckDBPyConnection, marts: list, threshold: int, rounding: int) -> None:
    """Every mart into snap.marts: counts protected (``_suppressed_select``); a council model output (catalogue
    line ``recompute``) made by its own SQL from the published, protected input tables instead of the true
    counts, so nothing it shows rests on a hidden count. Inputs of such a model that the snapshot does not hold
    for the council (the forecast's fitted inputs) are computed the same way into temporary tables."""
    cat = disclosure.catalogue()
    by_table = {m.table: m for m in sql_models()}
    for name, value in _variables().items():
        con.execute(f"SET VARIABLE {name} = {value}")
    recomputed = [m for m in marts if cat.get(m.table) and cat[m.table].recompute and cat[m.table].audience == "council"]
    # a count published twice ("same" lines) is hidden in the second table where the first hides it
    links: dict[str, list] = {}
    for t, d in cat.items():
        for col, other, ocol, where in d.same:
            # a model output made from the published tables (recompute) already reads the other table's protected
            # count: nothing to hide there for it
            if d.recompute:
                continue
            if d.audience == "council" and cat.get(other) and cat[other].audience == "council":
                links.setdefault(other, []).append((ocol, f"snap.{t}", col, where))
    order = sorted((m for m in marts if m not in recomputed), key=lambda m: m.table in links)
    for m in order:
        con.execute(f"CREATE TABLE snap.{m.table} AS "
                    f"{_suppressed_select(con, m.table, threshold, rounding, cat.get(m.table), links.get(m.table))}")
    made: dict[str, str] = {}  # mart -> where its council version is

    def council_version(table: str) -> str:
        d = cat.get(table)
        if table in made:
            return made[table]
        if d and d.audience == "council" and not d.recompute:
            return f"snap.{table}"
        if not (d and d.recompute):
            return table  # no person counts (amounts only, e.g. marts.unmet_demand): the warehouse's
        model = by_table[table]
        sql = _MART_REF.sub(lambda r: council_version(f"marts.{r.group(1)}"), model.select)
        work = f"_council_{model.name}"  # a temporary table: nothing of this reaches the warehouse file
        con.execute(f"CREATE OR REPLACE TEMP TABLE {work} AS {sql}")
        if d.audience == "council":
            target = f"snap.{table}"
            con.execute(f"CREATE TABLE {target} AS {_suppressed_select(con, f'main.{work}', threshold, rounding, d)}")
        else:
            target = work
        made[table] = target
        return target

    for m in recomputed:
        council_version(m.table)


def publish_council_snapshot(con: duckdb.DuckDBPyConnection, published: Path) -> Path:
    """Copy the published snapshot without the ANALYST_ONLY tables into settings.council_path(published),
    swapped in the same way. Made from the snapshot just published, so both hold the same run; a run
    killed between the two swaps leaves the previous council snapshot, whole, until the next run."""
    target = settings.council_path(published)
    remove_stale_tmp(target)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    con.execute(f"ATTACH '{published}' AS pub (READ_ONLY)")
    con.execute(f"ATTACH '{tmp}' AS council")
    try:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_catalog = 'pub' "
            "ORDER BY 1"
        ).fetchall()
        for schema in ("marts", "meta"):
            con.execute(f"CREATE SCHEMA council.{schema}")
        kept = [t for (t,) in tables if t not in ANALYST_ONLY]
        for t in kept:
            where = (f" WHERE table_name NOT IN ({', '.join(repr(k) for k in ANALYST_ONLY)})"
                     if t == "meta.model_docs" else "")
            con.execute(f"CREATE TABLE council.{t} AS SELECT * FROM pub.{t}{where}")
    finally:
        con.execute("DETACH council")
        con.execute("DETACH pub")
    os.replace(tmp, target)
    return target
