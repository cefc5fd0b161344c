"""The one place resources are configured: the working DuckDB file (``HBH_WAREHOUSE``)."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from hbh_monitor import settings


class WarehouseResource(DuckDBResource):
    """The working DuckDB file. Before a run opens it, the configuration is checked
    (:func:`hbh_monitor.settings.preflight`): a missing or short key, a read-only folder or an absent
    landing folder stops the run in seconds with one message, before anything is written (instead of
    every step retrying its connection for minutes).

    The file is opened once per run and held open until the run ends; every step gets a connection of
    its own to it (a DuckDB cursor: its own transaction, temporary tables and variables). Opening the
    file and checkpointing it on close in each of the run's ~140 steps took a quarter of a small run.
    A killed run leaves its write-ahead log, which DuckDB replays on the next open, as before."""

    _database: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        settings.preflight()
        settings.warehouse_path().parent.mkdir(parents=True, exist_ok=True)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._database is not None:
            self._database.close()  # checkpoints: the file is complete for readers after the run
            self._database = None

    def _open(self) -> duckdb.DuckDBPyConnection:
        """Like DuckDBResource: another process may hold the file for a moment (an analyst's query), so
        wait and retry, 0.1 s doubling, ten times."""
        config = {"custom_user_agent": "dagster", **self.connection_config}
        for attempt in range(11):
            try:
                return duckdb.connect(self.database, read_only=False, config=config)
            except (RuntimeError, duckdb.IOException):
                if attempt == 10:
                    raise
                time.sleep(0.1 * 2**attempt)
        raise AssertionError("unreachable")

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._database is None:
            self._database = self._open()
        con = self._database.cursor()
        try:
            yield con
        finally:
            con.close()


def resources() -> dg.Definitions:
    return dg.Definitions(resources={"duckdb": WarehouseResource(
        database=str(settings.warehouse_path()),
        connection_config=settings.duckdb_config(),  # HBH_DUCKDB_MEMORY_LIMIT / _THREADS / _TEMP_DIR
    )})
