"""hbh-monitor's Dagster code location: the table of contents.

landing files → raw/* (ingestion) → staging/* → marts/* (sql/) → serving_snapshot (publishing).
"""

import dagster as dg

from hbh_monitor.defs.ingestion.assets import raw_assets
from hbh_monitor.defs.ingestion.checks import raw_checks
from hbh_monitor.defs.models.assets import model_assets
from hbh_monitor.defs.models.checks import model_checks
from hbh_monitor.defs.models.delivery_checks import delivery_checks
from hbh_monitor.defs.publishing.assets import serving_snapshot
from hbh_monitor.defs.publishing.geometry import wijk_geometry
from hbh_monitor.defs.resources import resources
from hbh_monitor.defs.schedules import landing_folder_sensor, nightly_refresh, refresh_canceled, refresh_failed, refresh_job

defs = dg.Definitions.merge(
    resources(),
    dg.Definitions(
        assets=[*raw_assets, *model_assets, serving_snapshot, wijk_geometry],
        asset_checks=[*raw_checks, *model_checks, *delivery_checks],
        jobs=[refresh_job],
        schedules=[nightly_refresh],
        sensors=[landing_folder_sensor, refresh_failed, refresh_canceled],
        executor=dg.in_process_executor,
    ),
)
