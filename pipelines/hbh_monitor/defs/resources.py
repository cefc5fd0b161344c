"""The one place resources are configured: the working DuckDB file (``HBH_WAREHOUSE``)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from hbh_monitor import settings


def resources() -> dg.Definitions:
    settings.warehouse_path().parent.mkdir(parents=True, exist_ok=True)
    return dg.Definitions(resources={"duckdb": DuckDBResource(
        database=str(settings.warehouse_path()),
        connection_config=settings.duckdb_config(),  # HBH_DUCKDB_MEMORY_LIMIT / _THREADS / _TEMP_DIR
    )})
