"""The SQL models in ``sql/<layer>/<table>.sql``: one SELECT a file, making table ``<layer>.<table>``.

Each file starts with a comment block that says what a row is and how each number is made; that
text becomes the Dagster asset description and the dashboards' "hoe berekend". Dependencies are
read from the ``<layer>.<table>`` names the SELECT mentions, so adding a model is adding a file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from hbh_monitor import settings

LAYERS = ("staging", "marts")
_REF = re.compile(r"\b(raw|staging|marts)\.([a-z_][a-z0-9_]*)\b")


@dataclass(frozen=True)
class SqlModel:
    layer: str
    name: str
    path: Path
    select: str
    description: str
    deps: tuple[str, ...]  # "layer.table" names

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"


def _parse(path: Path) -> SqlModel:
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line[2:].strip())
    body = "\n".join(l for l in text.splitlines() if not l.startswith("--"))
    layer, name = path.parent.name, path.stem
    table = f"{layer}.{name}"
    deps = sorted({f"{a}.{b}" for a, b in _REF.findall(re.sub(r"--.*", "", body))} - {table})
    description = " ".join(header)
    if description.startswith(table + ":"):
        description = description[len(table) + 1 :].strip()
    return SqlModel(layer, name, path, body.strip().rstrip(";"), description, tuple(deps))


@cache
def sql_models(directory: str | None = None) -> tuple[SqlModel, ...]:
    root = Path(directory) if directory else settings.sql_dir()
    return tuple(_parse(p) for layer in LAYERS for p in sorted((root / layer).glob("*.sql")))


def build(con: duckdb.DuckDBPyConnection, model: SqlModel) -> int:
    """(Re)create the model's table from its SELECT; returns its row count."""
    con.execute(f"SET VARIABLE baseline_year = {settings.baseline_year()}")
    # marts.waiting_list: allocated and not started after N days (HBH_WAITING_DAYS, default 14)
    con.execute(f"SET VARIABLE waiting_days = {int(os.environ.get('HBH_WAITING_DAYS') or 14)}")
    con.execute(f"SET VARIABLE volume_tolerance = {settings.volume_tolerance()}")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {model.layer}")
    con.execute(f"CREATE OR REPLACE TABLE {model.table} AS\n{model.select}")
    return con.execute(f"SELECT count(*) FROM {model.table}").fetchall()[0][0]
