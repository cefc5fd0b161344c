"""When the refresh runs: nightly at 02:00 Amsterdam time, and when new files land."""

import hashlib

import dagster as dg

from hbh_monitor import settings

refresh_job = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all(),
    description="Ingest new landing files, rebuild staging and marts, check, publish.",
    executor_def=dg.in_process_executor,  # one DuckDB writer; avoids per-step process start-up
)

nightly_refresh = dg.ScheduleDefinition(
    name="nightly_refresh",
    job=refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Amsterdam",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def landing_fingerprint() -> str:
    """Names, sizes and modification times of every landing file, hashed."""
    h = hashlib.sha256()
    root = settings.landing_dir()
    if root.is_dir():
        for p in sorted(root.rglob("*")):
            if p.is_file():
                st = p.stat()
                h.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


@dg.sensor(job=refresh_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Starts a refresh when files in the landing folder are added or changed.")
def landing_folder_sensor(context: dg.SensorEvaluationContext):
    fp = landing_fingerprint()
    if fp == context.cursor:
        return dg.SkipReason("geen nieuwe of gewijzigde bestanden")
    context.update_cursor(fp)
    return dg.RunRequest(run_key=fp)
