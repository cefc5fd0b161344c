"""Checks on raw/<dataset>: nothing lost (rows in = loaded + quarantined, per file) and no broken file
(a file that could not be loaded blocks publishing unless an operator accepts it)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from hbh_monitor import settings
from hbh_monitor.contracts import Contract, load_contracts


def rows_accounted_for(c: Contract) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(["raw", c.name]), name="rows_accounted_for", blocking=True,
                    description="For every loaded file: rows in = rows in the raw table + rows in quarantine.")
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            rows = con.execute(
                f"""
                WITH l AS (SELECT source_file, rows_in, rows_loaded, rows_quarantined
                           FROM meta.ingestion_ledger WHERE dataset = ?
                           AND (status = 'geladen' OR (status = 'fout' AND rows_in IS NOT NULL))),
                     r AS (SELECT source_file, count(*) AS n FROM {c.table} GROUP BY ALL),
                     q AS (SELECT source_file, count(*) AS n FROM meta.quarantine WHERE dataset = ? GROUP BY ALL)
                SELECT l.source_file, l.rows_in, coalesce(r.n, 0), coalesce(q.n, 0)
                FROM l LEFT JOIN r USING (source_file) LEFT JOIN q USING (source_file)
                """,
                [c.name, c.name],
            ).fetchall()
        bad = [f for f, n_in, n_raw, n_q in rows if n_in != n_raw + n_q]
        return dg.AssetCheckResult(
            passed=not bad,
            metadata={
                "files": len(rows),
                "rows_in": sum(r[1] for r in rows),
                "rows_loaded": sum(r[2] for r in rows),
                "rows_quarantined": sum(r[3] for r in rows),
                "files_not_accounted_for": ", ".join(bad) or "-",
            },
        )

    return _check


def no_failed_files(c: Contract) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(["raw", c.name]), name="no_failed_files", blocking=True,
                    description="Every delivered file was loaded: a file whose latest load failed holds the "
                                "publication back (the figures would miss its rows), unless an operator accepts "
                                "it by name in HBH_ACCEPT_FAILED_FILES.")
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            failed = con.execute(
                "SELECT source_file, message FROM (SELECT source_file, status, message, row_number() OVER "
                "(PARTITION BY source_file ORDER BY loaded_at DESC, status = 'fout') AS r "
                "FROM meta.ingestion_ledger WHERE dataset = ?) WHERE r = 1 AND status = 'fout' ORDER BY source_file",
                [c.name],
            ).fetchall()
        accepted = settings.accepted_failed_files()
        blocking = [f for f, _ in failed if f not in accepted]
        return dg.AssetCheckResult(
            passed=not blocking,
            metadata={"failed_files": len(failed), "missing_deliveries": ", ".join(blocking) or "-",
                      "accepted_by_operator": ", ".join(f for f, _ in failed if f in accepted) or "-",
                      "messages": "\n".join(m for _, m in failed) or "-"},
        )

    return _check


def reference_exists(c: Contract, column: str, reference: str) -> dg.AssetChecksDefinition:
    """Every value of ``column`` occurs in ``reference`` ("<dataset>.<column>", from the contract)."""
    ref_ds, ref_col = reference.split(".")
    ref_table = load_contracts()[ref_ds].table

    @dg.asset_check(asset=dg.AssetKey(["raw", c.name]), name=f"{column}_in_{ref_ds}",
                    additional_deps=[dg.AssetKey(["raw", ref_ds])],
                    description=f"Every {column} occurs in {ref_table}.{ref_col} (contract reference).")
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            missing = con.execute(
                f"SELECT {column}, count(*) FROM {c.table} WHERE {column} IS NOT NULL "
                f"AND {column} NOT IN (SELECT {ref_col} FROM {ref_table}) GROUP BY ALL ORDER BY 2 DESC"
            ).fetchall()
        return dg.AssetCheckResult(
            passed=not missing,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rows_with_unknown_value": sum(n for _, n in missing),
                      "unknown_values": ", ".join(f"{v} ({n})" for v, n in missing[:10]) or "-"},
        )

    return _check


raw_checks = [f(c) for c in load_contracts().values() for f in (rows_accounted_for, no_failed_files)]
raw_checks += [reference_exists(c, col.name, col.references) for c in load_contracts().values() for col in c.columns if col.references]


def gx_contract_suite(c: Contract) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(["raw", c.name]), name="gx_contract_suite", blocking=True,
                    description=f"Great Expectations suite derived from data_contracts/{c.name}.yaml, on every "
                                "row of the files loaded since the last validation (each row once).")
    def _check(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource) -> dg.AssetCheckResult:
        from hbh_monitor.validation import validate_new_rows

        with duckdb.get_connection() as con:
            summary = validate_new_rows(con, c, context.run.run_id)
        return dg.AssetCheckResult(
            passed=summary["success"],
            metadata={
                "suite": summary["suite"],
                "files_validated": summary["files"],
                "rows_validated": summary["rows"],
                "chunks": summary["chunks"],
                "expectations": summary["expectations"],
                "failed": "\n".join(summary["failed"]) or "-",
                "data_docs": dg.MetadataValue.path(summary["data_docs"]),
                "old_results_removed": summary["results_removed"],
            },
        )

    return _check


raw_checks += [gx_contract_suite(c) for c in load_contracts().values()]
