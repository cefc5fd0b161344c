"""A run launcher whose runs the daemon's run monitoring can see.

Dagster's ``DefaultRunLauncher`` starts each run as a process of the code server, but cannot tell the
run monitoring whether that process still lives. When the whole process group dies (``kill -9`` of the
daemon's group, the OOM killer, a power cut) the run stays STARTED forever, and with
``run_queue.max_concurrent_runs: 1`` every later run waits in the queue behind it.

:class:`ProcessCheckingRunLauncher` is the default launcher plus a health check: the run's process id,
recorded by Dagster in the run's "Started process for run (pid: N)" event, must still be a live
process that started no later than that event (so a re-used pid does not count). When it is not, run
monitoring (``run_monitoring.enabled`` in dagster.yaml, ``max_resume_run_attempts: 0``) marks the run
failed; the queue moves on, and the ``refresh_failed`` sensor records in status.json that the run was
lost and the previous snapshot stays. Configured in docs/deploy/dagster.yaml::

    run_launcher:
      module: hbh_monitor.launcher
      class: ProcessCheckingRunLauncher
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from dagster import DagsterEventType
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def process_started_at(pid: int) -> float | None:
    """Start time (epoch seconds) of live process ``pid``; None when there is none (or only a zombie).
    On a system without /proc: the current time when the pid exists (no protection against re-use)."""
    stat = Path(f"/proc/{pid}/stat")
    if not Path("/proc/self/stat").exists():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return time.time()
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] in ("Z", "X"):  # zombie or dead
        return None
    boot = _boot_time()
    return (boot or 0) + int(fields[19]) / _CLOCK_TICKS if boot else time.time()


def run_worker(instance, run_id: str) -> tuple[int, float] | None:
    """(pid, time of the event) of the run's process, from its "Started process for run" event."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ENGINE_EVENT, limit=1000).records
    for r in reversed(records):
        data = r.event_log_entry.dagster_event.event_specific_data
        pid = getattr(getattr(data, "metadata", {}).get("pid"), "value", None)
        if pid is not None and "Started process for run" in (r.event_log_entry.dagster_event.message or ""):
            return int(pid), r.event_log_entry.timestamp
    return None


class ProcessCheckingRunLauncher(DefaultRunLauncher):
    """``DefaultRunLauncher`` + a run worker health check on the run's process id (see module doc)."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        worker = run_worker(self._instance, run.run_id)
        if worker is None:  # not started far enough to know: let start_timeout_seconds deal with it
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no process recorded yet")
        pid, started = worker
        alive_since = process_started_at(pid)
        if alive_since is None or alive_since > started + 5:
            return CheckRunHealthResult(
                WorkerStatus.FAILED,
                f"het proces van de run (pid {pid}) bestaat niet meer (afgebroken, bv. kill -9 of geheugentekort)",
            )
        return CheckRunHealthResult(WorkerStatus.RUNNING, f"pid {pid} leeft")
