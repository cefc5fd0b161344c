"""When the refresh runs: nightly at 02:00 Amsterdam time, and when new files land."""

import hashlib
from datetime import datetime, timezone

import dagster as dg

from hbh_monitor import settings

@dg.failure_hook(name="hold_back_snapshot")
def hold_back_snapshot(context: dg.HookContext) -> None:
    """A step failed before publishing: record that the live snapshot stays and why (status.json)."""
    from hbh_monitor.ingest import machine_fault, mask_digits
    from hbh_monitor.status import record_held_back

    if isinstance(context.op_exception, settings.ConfigError):
        return  # a configuration stopped the run before anything was written; the run log says what

    failed, missing, inputs = [], [], []
    records = context.instance.get_records_for_run(
        context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=1000
    ).records
    for r in records:
        ev = r.event_log_entry.dagster_event.event_specific_data
        if not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(f"{ev.asset_key.to_user_string()}: {ev.check_name}")
            for key, into in (("missing_deliveries", missing), ("missing_inputs", inputs)):
                listed = getattr((ev.metadata or {}).get(key), "value", "-")
                into += [f.strip() for f in str(listed).split(",") if f.strip() not in ("", "-")]
    if type(context.op_exception).__name__ == "DagsterAssetCheckFailedError":
        reason = "Blokkerende controle niet geslaagd; de nieuwe gegevens zijn niet gepubliceerd."
        if inputs:
            reason += f" Invoer ontbreekt voor cijfers die ervan afhangen: {', '.join(inputs[:20])}."
    else:
        first = mask_digits(str(context.op_exception or "onbekende fout").strip().splitlines()[0])[:300]
        reason = f"Stap {context.step_key} mislukt ({first}); de nieuwe gegevens zijn niet gepubliceerd."
        fault = machine_fault(context.op_exception) if context.op_exception else None
        if fault and "Machinefout" not in first:  # the machine, not the data: say so first
            reason = f"Machinefout: {fault}. {reason}"
    context.log.error(reason)  # the run log says it too, in the operator's words
    record_held_back(context.run_id, reason, failed, missing_deliveries=missing)


refresh_job = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all(),
    description="Ingest new landing files, rebuild staging and marts, check, publish.",
    executor_def=dg.in_process_executor,  # one DuckDB writer; avoids per-step process start-up
    hooks={hold_back_snapshot},  # a failed step before publishing → status.json says why (status.py)
)

def _record_run_ended(context: dg.RunStatusSensorContext, what: str) -> None:
    from hbh_monitor.ingest import mask_digits
    from hbh_monitor.status import record_held_back

    message = getattr(getattr(context, "failure_event", None), "message", None) or ""
    detail = mask_digits(message.strip().splitlines()[0])[:300] if message.strip() else ""
    started_at = None
    try:
        record = context.instance.get_run_record_by_id(context.dagster_run.run_id)
        if record and record.start_time:
            started_at = datetime.fromtimestamp(record.start_time, timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")
    except Exception:  # a test context without an instance: no start time
        pass
    record_held_back(
        context.dagster_run.run_id,
        f"De run is {what}{f' ({detail})' if detail else ''} voordat er gepubliceerd werd; "
        "de nieuwe gegevens zijn niet gepubliceerd.",
        started_at=started_at,
    )


@dg.run_failure_sensor(monitored_jobs=[refresh_job], default_status=dg.DefaultSensorStatus.RUNNING,
                       description="A refresh that failed as a whole (also one killed outright, once run "
                                   "monitoring marks it failed): status.json says the live snapshot stays and why.")
def refresh_failed(context: dg.RunFailureSensorContext) -> None:
    _record_run_ended(context, "mislukt of afgebroken")


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.CANCELED, monitored_jobs=[refresh_job],
                      default_status=dg.DefaultSensorStatus.RUNNING,
                      description="A refresh stopped from the UI: status.json says the live snapshot stays.")
def refresh_canceled(context: dg.RunStatusSensorContext) -> None:
    _record_run_ended(context, "gestopt")


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
