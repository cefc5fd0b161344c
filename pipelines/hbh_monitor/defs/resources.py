"""The one place resources are configured: the working DuckDB file (``HBH_WAREHOUSE``)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from hbh_monitor import settings


class WarehouseResource(DuckDBResource):
    """The working DuckDB file. Before a run opens it, the configuration is checked
    (:func:`hbh_monitor.settings.preflight`): a missing or short key, a read-only folder or an absent
    landing folder stops the run in seconds with one message, before anything is written (instead of
    every step retrying its connection for minutes)."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        settings.preflight()
        settings.warehouse_path().parent.mkdir(parents=True, exist_ok=True)


def resources() -> dg.Definitions:
    return dg.Definitions(resources={"duckdb": WarehouseResource(
        database=str(settings.warehouse_path()),
        connection_config=settings.duckdb_config(),  # HBH_DUCKDB_MEMORY_LIMIT / _THREADS / _TEMP_DIR
    )})
