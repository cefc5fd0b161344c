"""Great Expectations suites derived from the data contracts, run on the loaded raw rows.

The row gate already keeps rows that break a rule out of ``raw.*``; the GX suite is the independent
second line that proves it on what was actually loaded (and would catch a gate bug).

How every row is validated within the performance budget:

* GX 1.x's SQL datasource cannot read DuckDB (every metric fails with IndexError, great_expectations
  GitHub #11579), so rows go to GX's pandas datasource.
* Each row is validated once, when its file is loaded: the check validates only the files the ledger
  marks as not yet validated under the current contract version (a new contract version re-validates
  everything). A nightly run therefore validates one month of declarations, not the whole history.
* Rows stream from DuckDB as Arrow batches of ``HBH_GX_CHUNK_ROWS`` (default 1,000,000) rows, so memory
  stays bounded however large a backfill is; unexpected counts are summed over the chunks.
* Only the contract columns are fetched; GX is imported lazily (its import alone takes 2–3 s).
* Each chunk is validated with result format BASIC (counts, no example values). Results are
  stored in a file-based GX context under ``data/gx`` and rendered as Data Docs
  (``data/gx/gx/uncommitted/data_docs/local_site/index.html``), and summarised in ``meta.gx_validations``.
* Results and their Data Docs pages older than ``HBH_GX_KEEP_DAYS`` (default 90) are removed when
  new ones are written, so ``data/gx`` does not grow night after night; the summary rows in
  ``meta.gx_validations`` are kept.
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

import duckdb

from hbh_monitor import settings
from hbh_monitor.contracts import Contract, relative_date
from hbh_monitor.sqltext import literal

VALIDATIONS_DDL = """
CREATE TABLE IF NOT EXISTS meta.gx_validations (
  dataset VARCHAR, suite VARCHAR, run_id VARCHAR, validated_at TIMESTAMP, files BIGINT, rows_validated BIGINT,
  chunks BIGINT, expectations BIGINT, failed_expectations BIGINT, success BOOLEAN, details VARCHAR
)
"""


def chunk_rows() -> int:
    return int(os.environ.get("HBH_GX_CHUNK_ROWS", "1000000"))


def derived_columns(c: Contract) -> list[tuple[str, str]]:
    """(name, SQL) of values a rule needs that are no column: the age at a date (contract ``ageAt``)."""
    out = []
    for col in c.columns:
        if col.age_at and col.age_at.get("column") in c.column_names:
            ref = col.age_at["column"]
            out.append((f"_leeftijd_{col.name}",
                        f"date_diff('year', {col.name}, {ref}) - CASE WHEN strftime({ref}, '%m%d') < "
                        f"strftime({col.name}, '%m%d') THEN 1 ELSE 0 END"))
    return out


def expectations_for(c: Contract, today: date | None = None) -> list[tuple[str, dict]]:
    """(GX expectation class name, kwargs) for every rule in the contract, on the loaded columns.

    Date bounds relative to today (``today+1 years``) are resolved on the day of validation, as the gate
    resolves them on the day of loading."""
    today = today or settings.today()
    out: list[tuple[str, dict]] = []
    for col in c.columns:
        name = col.pseudonymise_as or col.name
        if col.required:
            out.append(("ExpectColumnValuesToNotBeNull", {"column": name}))
        if col.pseudonymise_as:
            continue  # the BSN's pattern and elfproef are checked before it is replaced
        if col.pattern and col.logical_type == "string":
            out.append(("ExpectColumnValuesToMatchRegex", {"column": name, "regex": col.pattern}))
        if col.max_length is not None:
            out.append(("ExpectColumnValueLengthsToBeBetween", {"column": name, "max_value": int(col.max_length)}))
        if col.valid_values:
            out.append(("ExpectColumnValuesToBeInSet", {"column": name, "value_set": list(col.valid_values)}))
        if col.logical_type in ("integer", "number") and (col.minimum is not None or col.maximum is not None):
            out.append(("ExpectColumnValuesToBeBetween", {"column": name, "min_value": col.minimum, "max_value": col.maximum}))
        if col.logical_type == "date" and (col.minimum is not None or col.maximum is not None):
            out.append(("ExpectColumnValuesToBeBetween", {
                "column": name,
                "min_value": relative_date(col.minimum, today) if col.minimum is not None else None,
                "max_value": relative_date(col.maximum, today) if col.maximum is not None else None}))
        if col.not_before and col.not_before in c.column_names:
            out.append(("ExpectColumnPairValuesAToBeGreaterThanB", {
                "column_A": name, "column_B": col.not_before, "or_equal": True, "ignore_row_if": "either_value_is_missing"}))
        if col.maximum_by and col.maximum_by.get("column") in c.column_names:
            key = col.maximum_by["column"]
            for value, bound in (col.maximum_by.get("values") or {}).items():
                out.append(("ExpectColumnValuesToBeBetween", {
                    "column": name, "max_value": bound, "row_condition": f'{key}=="{value}"', "condition_parser": "pandas"}))
    for derived, _ in derived_columns(c):
        col = next(x for x in c.columns if derived == f"_leeftijd_{x.name}")
        out.append(("ExpectColumnValuesToBeBetween", {
            "column": derived, "min_value": int(col.age_at.get("minimum", 0)), "max_value": int(col.age_at.get("maximum", 120))}))
    return out


_CONTEXTS: dict[str, object] = {}


def _context():
    """The file-based GX context under ``data/gx``, opened once per process and data folder: a run
    validates every dataset in one process, and opening the context reads and writes its YAML each
    time. Its stores are files, so a context held from an earlier run still reads what is on disk; it is
    opened anew when its project file has gone."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root = settings.data_dir() / "gx"
    ctx = _CONTEXTS.get(str(root))
    if ctx is not None and (root / "gx" / "great_expectations.yml").is_file():
        return ctx
    root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(root))
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)  # keep the run log readable
    _CONTEXTS[str(root)] = ctx
    return ctx


def pending_files(con: duckdb.DuckDBPyConnection, c: Contract) -> list[str]:
    con.execute(VALIDATIONS_DDL)
    for col, typ in (("gx_contract_version", "VARCHAR"), ("gx_validated_at", "TIMESTAMP")):
        con.execute(f"ALTER TABLE meta.ingestion_ledger ADD COLUMN IF NOT EXISTS {col} {typ}")
    return [
        f
        for (f,) in con.execute(
            "SELECT source_file FROM meta.ingestion_ledger WHERE dataset = ? AND status = 'geladen' "
            "AND (gx_contract_version IS NULL OR gx_contract_version <> ?) ORDER BY source_file",
            [c.name, c.version],
        ).fetchall()
    ]


def validate_new_rows(con: duckdb.DuckDBPyConnection, c: Contract, run_id: str) -> dict:
    """Validate every row of the files not yet validated under this contract version."""
    files = pending_files(con, c)
    rules = expectations_for(c)
    suite_name = f"{c.name}_contract_v{c.version}"
    data_docs = str(settings.data_dir() / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html")
    if not files:  # nothing new to validate (most datasets on most nights): skip GX and its import
        con.execute(
            "INSERT INTO meta.gx_validations VALUES (?, ?, ?, ?, 0, 0, 0, ?, 0, true, NULL)",
            [c.name, suite_name, run_id, datetime.now(timezone.utc).replace(tzinfo=None), len(rules)],
        )
        return {"success": True, "suite": suite_name, "files": 0, "rows": 0, "chunks": 0,
                "expectations": len(rules), "failed": [], "data_docs": data_docs, "results_removed": 0}
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    ctx = _context()
    removed = _remove_old_results(ctx)
    # The suite is written whole, in one store call (adding expectations one by one makes a store
    # lookup and a config read per expectation).
    suite = ctx.suites.add_or_update(gx.ExpectationSuite(
        name=suite_name, expectations=[getattr(gx.expectations, cls)(**kwargs) for cls, kwargs in rules]))
    source = ctx.data_sources.add_or_update_pandas(f"{c.name}_source")
    asset = source.get_asset(c.name) if c.name in [a.name for a in source.assets] else source.add_dataframe_asset(c.name)
    batch_def = next((b for b in asset.batch_definitions if b.name == "chunk"), None) or asset.add_batch_definition_whole_dataframe("chunk")
    vd = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=f"{c.name}_validation", data=batch_def, suite=suite))

    unexpected: dict[str, int] = defaultdict(int)
    rows = chunks = evaluated = 0
    success = True
    run_names: set[str] = set()
    cols = [n for n, _ in c.loaded_columns()] + [f"{sql} AS {n}" for n, sql in derived_columns(c)]
    quoted = ", ".join(literal(f) for f in files)
    reader = con.sql(f"SELECT {', '.join(cols)} FROM {c.table} WHERE source_file IN ({quoted})").to_arrow_reader(chunk_rows())
    for batch in reader:
        if batch.num_rows == 0:
            continue
        df = batch.to_pandas()
        # BASIC: success and unexpected counts, without the lists of example values (SUMMARY would
        # make them for every expectation; ~35% of the time). The results go to the context's
        # store; Data Docs are built once at the end.
        name = f"{run_id}-{c.name}-{chunks + 1}"
        res = vd.run(batch_parameters={"dataframe": df}, result_format="BASIC",
                     run_id=RunIdentifier(run_name=name, run_time=datetime.now(timezone.utc)))
        run_names.add(name)
        for r in res.results:
            evaluated += 1
            if not r.success:
                success = False
                kw = r.expectation_config.kwargs
                key = f"{r.expectation_config.type}({kw.get('column') or kw.get('column_A') + ', ' + str(kw.get('column_B'))})"
                unexpected[key] += int(r.result.get("unexpected_count") or 0)
        rows += batch.num_rows
        chunks += 1
    # Render only this run's result pages (and the index, which also drops the pages of removed
    # results): rendering every stored result again would grow with every night.
    ctx.build_data_docs(resource_identifiers=[k for k in ctx.validation_results_store.list_keys()
                                              if k.run_id.run_name in run_names])
    if removed:
        _remove_empty_folders(settings.data_dir() / "gx" / "gx" / "uncommitted")
    expectations = len(rules)
    details = "; ".join(f"{k}: {v} rijen" for k, v in unexpected.items())
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if success:
        con.execute(
            f"UPDATE meta.ingestion_ledger SET gx_contract_version = ?, gx_validated_at = ? "
            f"WHERE dataset = ? AND status = 'geladen' AND source_file IN ({', '.join('?' for _ in files)})",
            [c.version, now, c.name, *files],
        )
    con.execute(
        "INSERT INTO meta.gx_validations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [c.name, suite_name, run_id, now, len(files), rows, chunks, expectations, len(unexpected), success, details or None],
    )
    return {
        "success": success,
        "suite": suite_name,
        "files": len(files),
        "rows": rows,
        "chunks": chunks,
        "expectations": expectations,
        "failed": [f"{k}: {v} rijen" for k, v in unexpected.items()],
        "data_docs": data_docs,
        "results_removed": removed,
    }


def _remove_old_results(ctx) -> int:
    """Remove the stored GX results older than ``HBH_GX_KEEP_DAYS`` (0: all earlier runs'); returns
    how many. Their Data Docs pages go when the index is next built."""
    cutoff = datetime.now(timezone.utc) - timedelta(days=settings.gx_keep_days())
    store = ctx.validation_results_store
    old = [k for k in store.list_keys() if _utc(k.run_id.run_time) < cutoff]
    for key in old:
        store.remove_key(key)
    return len(old)


def _remove_empty_folders(root) -> None:
    """The folders the removed results and pages leave behind (GX removes only the files)."""
    for folder, _, _ in os.walk(root, topdown=False):  # deepest first, so emptied parents go too
        if folder != str(root) and not os.listdir(folder):
            os.rmdir(folder)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
