"""The one place resources are configured: the working DuckDB file (``HBH_WAREHOUSE``)."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

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
    _held: ExitStack = PrivateAttr(default_factory=ExitStack)  # the open file, until the run ends

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        settings.preflight()
        settings.warehouse_path().parent.mkdir(parents=True, exist_ok=True)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._held.close()  # closes the file, which checkpoints it: complete for readers after the run
        self._database = None

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._database is None:  # DuckDBResource's own open (its retry while another process holds the file)
            self._database = self._held.enter_context(super().get_connection())
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
