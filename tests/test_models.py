"""The dependencies of a SQL model are the tables its SELECT reads (its syntax tree), not every text
that looks like ``layer.table``."""

from __future__ import annotations

from hbh_monitor import models
from support import ROOT


def _models(tmp_path, files: dict[str, str]) -> dict[str, models.SqlModel]:
    for rel, sql in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(sql, encoding="utf-8")
    return {m.table: m for m in models.sql_models(str(tmp_path))}


def test_dependencies_are_the_tables_read_not_names_in_strings_or_comments(tmp_path):
    found = _models(tmp_path, {
        "staging/clients.sql": (
            "-- staging.clients: one row per client.\n"
            'SELECT i.client_id, w.wijk_code FROM "raw"."indicaties" i\n'
            "JOIN raw.wijken AS w USING (wijk_code)  -- was: raw.bevolking\n"
        ),
        "marts/counts.sql": (
            "-- marts.counts: clients per wijk.\n"
            "WITH per_wijk AS (SELECT wijk_code, count(*) AS n FROM staging.clients GROUP BY ALL)\n"
            "SELECT wijk_code, n, 'zie ook marts.wijk_year' AS note /* niet meer: staging.oud */\n"
            "FROM per_wijk WHERE wijk_code IN (SELECT wijk_code FROM raw.wijken)\n"
        ),
    })
    assert found["staging.clients"].deps == ("raw.indicaties", "raw.wijken")
    assert found["marts.counts"].deps == ("raw.wijken", "staging.clients")


def test_every_model_of_the_project_parses_and_reads_only_known_tables():
    sql = models.sql_models(str(ROOT / "sql"))
    tables = {m.table for m in sql}
    raw = {f"raw.{p.stem}" for p in (ROOT / "data_contracts").glob("*.yaml")}
    for m in sql:
        assert m.deps, m.table
        assert set(m.deps) <= tables | raw, (m.table, set(m.deps) - tables - raw)
        assert m.table not in m.deps
