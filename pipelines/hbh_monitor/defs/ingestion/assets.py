"""raw/<dataset>: every landing file of a dataset through its contract's row gate into DuckDB.

One asset per contract in data_contracts/. Files already loaded with the same content are
skipped (the ledger), so a nightly run only reads what is new or re-delivered.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from hbh_monitor import settings
from hbh_monitor.contracts import Contract, load_contracts
from hbh_monitor.ingest import ingest_dataset
from hbh_monitor.pseudonym import is_demo, pseudonym_key


def raw_asset(c: Contract) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", c.name],
        group_name="raw",
        kinds={"duckdb"},
        description=f"{c.description} Rows that pass the contract's row gate; the others are in meta.quarantine.",
        metadata={"contract": f"data_contracts/{c.name}.yaml", "contract_version": c.version, "table": c.table},
    )
    def _raw(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
        key = pseudonym_key() if c.pii_column else b""
        if c.pii_column and is_demo():
            context.log.warning("Demo-modus: BSN's worden gepseudonimiseerd met de openbare demosleutel.")
        with duckdb.get_connection() as con:
            results = ingest_dataset(con, c, settings.landing_dir(), key)
        for r in results:
            if r.status == "fout":
                context.log.error(r.message)  # names file and problem; BSN-like numbers are masked
        fresh = [r for r in results if not r.skipped and r.status == "geladen"]
        return dg.MaterializeResult(
            metadata={
                "files": len(results),
                "files_loaded": len(fresh),
                "files_unchanged": sum(r.skipped for r in results),
                "files_failed": sum(r.status == "fout" for r in results),
                "rows_in": sum(r.rows_in or 0 for r in fresh),
                "rows_loaded": sum(r.rows_loaded or 0 for r in fresh),
                "rows_quarantined": sum(r.rows_quarantined or 0 for r in fresh),
            }
        )

    return _raw


raw_assets = [raw_asset(c) for c in load_contracts().values()]
