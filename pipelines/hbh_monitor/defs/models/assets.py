"""staging/* and marts/*: one asset per SQL model in sql/<layer>/<table>.sql."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from hbh_monitor import settings
from hbh_monitor.models import SqlModel, build, sql_models


def model_asset(m: SqlModel) -> dg.AssetsDefinition:
    @dg.asset(
        key=[m.layer, m.name],
        deps=[dg.AssetKey(d.split(".")) for d in m.deps],
        group_name=m.layer,
        kinds={"duckdb", "sql"},
        description=m.description,
        metadata={"sql": str(m.path.relative_to(settings.project_root())), "table": m.table},
    )
    def _model(duckdb: DuckDBResource) -> dg.MaterializeResult:
        with duckdb.get_connection() as con:
            result = build(con, m)
        return dg.MaterializeResult(metadata={k: v for k, v in result.items() if v is not None})

    return _model


model_assets = [model_asset(m) for m in sql_models()]
