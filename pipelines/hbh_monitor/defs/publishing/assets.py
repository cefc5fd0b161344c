"""serving_snapshot: the published, suppressed copy of the marts the dashboards read."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from hbh_monitor.models import sql_models
from hbh_monitor.pseudonym import is_demo
from hbh_monitor.publish import discard_unpublished, publish_snapshot


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
    try:
        with duckdb.get_connection() as con:
            con.execute("CHECKPOINT")
            info = publish_snapshot(con, context.run_id, is_demo(), only_if_changed=True)
    except BaseException:
        # e.g. a full disk: the live snapshots stay; remove the half-written files (once the connection
        # has let go of them) so the space is free again and status.json can record the hold-back.
        removed = discard_unpublished()
        if removed:
            context.log.error(f"Publiceren mislukt; half geschreven bestanden verwijderd: {', '.join(p.name for p in removed)}")
        raise
    if info["unchanged"]:
        context.log.info(f"Niets nieuws: de momentopname van run {info['live_run_id']} blijft gepubliceerd.")
    return dg.MaterializeResult(metadata={"path": info["path"], "council_path": info["council_path"],
                                          "tables": ", ".join(info["tables"]), "unchanged": info["unchanged"],
                                          "suppression_threshold": info["suppression_threshold"]})
