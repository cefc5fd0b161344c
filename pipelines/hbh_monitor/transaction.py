"""One write transaction on the working DuckDB file: all of it or nothing, and the real cause when it fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN, the block, COMMIT; on any error ROLLBACK and raise that error. A COMMIT that failed (a full disk)
    has ended the transaction already: the ROLLBACK's own error ("no transaction is active") would then
    replace the cause an operator needs to see, so it is dropped."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except Exception:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
