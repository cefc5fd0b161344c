"""serving_snapshot: the published, suppressed copy of the marts the dashboards read."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from hbh_monitor.models import sql_models
from hbh_monitor.pseudonym import is_demo
from hbh_monitor.publish import publish_snapshot


@dg.asset(
    key=["serving_snapshot"],
    deps=[dg.AssetKey([m.layer, m.name]) for m in sql_models() if m.layer == "marts"]
    + [dg.AssetKey(["reference", "wijk_geometry"])],  # copied into the snapshot for the map
    group_name="publish",
    kinds={"duckdb"},
    description="Atomically swapped DuckDB file with the marts (aggregates only, small counts suppressed) for the "
                "dashboards, and the council snapshot next to it (the same without the analyst tables).",
)
def serving_snapshot(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        con.execute("CHECKPOINT")
        info = publish_snapshot(con, context.run_id, is_demo())
    return dg.MaterializeResult(metadata={"path": info["path"], "council_path": info["council_path"],
                                          "tables": ", ".join(info["tables"]),
                                          "suppression_threshold": info["suppression_threshold"]})
