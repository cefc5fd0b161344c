"""Which snapshot is live, and why a newer one was held back.

Plain Python (no Dagster import), so the dashboards can call :func:`snapshot_status`.

The record is a small JSON file next to the serving snapshot (``status.json``, override with
``HBH_STATUS``). It cannot live in the snapshot itself: a held-back run by definition published
nothing. Two writers keep it current:

- :func:`record_published` — called by ``publish.publish_snapshot`` right after the new snapshot
  was swapped in (clears any earlier "held back");
- :func:`record_held_back` — called by the refresh job's failure hook when a step fails before
  the snapshot was published (a blocking check, a broken model, ...). Several failing steps of one
  run accumulate in one record.

- the sensors ``refresh_failed`` / ``refresh_canceled`` (``defs/schedules.py``, run by the Dagster
  daemon) — when a refresh run ends failed or stopped as a whole. A run killed outright (``kill -9``,
  power loss) writes nothing itself; the daemon's run monitoring marks it failed and then the sensor
  records it. Until then the record keeps describing the live snapshot, which is still the previous one.

Writes are atomic (temp file + ``os.replace``).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from hbh_monitor import settings


def status_path(serving: Path | None = None) -> Path:
    """``status.json`` next to the serving snapshot (``HBH_STATUS`` overrides)."""
    if os.environ.get("HBH_STATUS"):
        return Path(os.environ["HBH_STATUS"])
    return (serving or settings.serving_path()).with_name("status.json")


def _now() -> str:
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _write(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # e.g. a full disk: leave the previous record, not a half-written one
        raise


def record_published(run_id: str, published_at: datetime | str, serving: Path | None = None) -> None:
    """The snapshot of ``run_id`` (at ``serving``) is live now; nothing is held back. The latest earlier
    hold-back stays on record as ``last_held_back`` (e.g. a run lost in a crash, then recovered)."""
    path = status_path(serving)
    at = published_at.isoformat(timespec="seconds") if isinstance(published_at, datetime) else str(published_at)
    prev = _read(path)
    held = prev.get("held_back") or prev.get("last_held_back")  # kept: a lost run stays on record
    _write(path, {"live": {"run_id": run_id, "published_at": at}, "held_back": None,
                  "last_run": {"run_id": run_id, "at": _now(), "outcome": "gepubliceerd"},
                  **({"last_held_back": held} if held and held.get("run_id") != run_id else {})})


def record_unchanged(run_id: str, live_run_id: str, serving: Path | None = None) -> None:
    """Run ``run_id`` found nothing new: the live snapshot (of ``live_run_id``) stays, with its own
    publication time; nothing is held back."""
    path = status_path(serving)
    rec = _read(path)
    rec["held_back"] = None
    rec["last_run"] = {"run_id": run_id, "at": _now(), "outcome": "ongewijzigd",
                       "note": f"Niets nieuws; de momentopname van run {live_run_id} blijft gepubliceerd."}
    _write(path, rec)


def record_held_back(run_id: str, reason: str, failed_checks: list[str] | None = None,
                     path: Path | None = None, missing_deliveries: list[str] | None = None,
                     started_at: str | None = None) -> None:
    """Run ``run_id`` did not publish; the live snapshot stays. Merges with an earlier call of the same run.
    ``missing_deliveries``: landing files that could not be loaded (as named in the ingestion ledger).
    ``started_at`` (UTC ISO): when the run started; a live snapshot published after that is newer than
    this run, so the record goes to ``last_held_back`` and nothing is shown as held back."""
    path = path or status_path()
    rec = _read(path)
    live_at = (rec.get("live") or {}).get("published_at")
    if started_at and live_at and str(live_at) > started_at:
        # a later run published already (e.g. a run lost in a crash, reported once the queue moved on)
        rec["last_held_back"] = {"run_id": run_id, "at": _now(), "reasons": [reason],
                                 "failed_checks": list(failed_checks or []),
                                 "missing_deliveries": list(missing_deliveries or [])}
        _write(path, rec)
        return
    prev = rec.get("held_back") or {}
    same = prev.get("run_id") == run_id
    reasons = prev.get("reasons", []) if same else []
    checks = prev.get("failed_checks", []) if same else []
    missing = prev.get("missing_deliveries", []) if same else []
    if reason not in reasons:
        reasons.append(reason)
    for new, into in ((failed_checks, checks), (missing_deliveries, missing)):
        for c in new or []:
            if c not in into:
                into.append(c)
    rec["held_back"] = {"run_id": run_id, "at": _now(), "reasons": reasons, "failed_checks": checks,
                        "missing_deliveries": missing}
    _write(path, rec)


def _live_from_snapshot(serving: Path) -> dict[str, Any] | None:
    """run_id / published_at as recorded inside the live snapshot (the source of truth)."""
    if not serving.is_file():
        return None
    try:
        with duckdb.connect(str(serving), read_only=True) as con:
            row = con.execute("SELECT run_id, published_at FROM meta.refresh LIMIT 1").fetchall()
    except duckdb.Error:
        return None
    if not row:
        return None
    run_id, at = row[0]
    return {"run_id": run_id, "published_at": at.isoformat(timespec="seconds") if isinstance(at, datetime) else at}


def snapshot_status(serving: Path | None = None, path: Path | None = None) -> dict[str, Any]:
    """What the analyst page shows about publishing.

    Returns ``{live_run_id, live_published_at, held_back, reason, failed_checks, missing_deliveries,
    held_back_run_id, held_back_at, last_run}``; ``last_run`` is the latest run that got as far as
    publishing (``outcome`` gepubliceerd, or ongewijzigd when it found nothing new). ``live_*`` are None when nothing is published yet; ``held_back`` is True when
    a run after the live snapshot failed before publishing (``reason`` in Dutch, ``failed_checks``
    as ``"asset/key: check_name"``).
    """
    serving = serving or settings.serving_path()
    rec = _read(path or status_path(serving))
    live = _live_from_snapshot(serving) or (rec.get("live") if serving.is_file() else None) or {}
    hb = rec.get("held_back") or {}
    held = bool(hb) and hb.get("run_id") != live.get("run_id")
    return {
        "live_run_id": live.get("run_id"),
        "live_published_at": live.get("published_at"),
        "held_back": held,
        "reason": "; ".join(hb.get("reasons", [])) if held else None,
        "failed_checks": list(hb.get("failed_checks", [])) if held else [],
        "missing_deliveries": list(hb.get("missing_deliveries", [])) if held else [],
        "held_back_run_id": hb.get("run_id") if held else None,
        "held_back_at": hb.get("at") if held else None,
        "last_run": rec.get("last_run"),
    }


def remove_stale_tmp(target: Path) -> list[Path]:
    """Delete half-written snapshots (``<name>.tmp-<pid>`` and their ``.wal``) and status temp files
    left by a killed run. Called by ``publish.publish_snapshot`` before it writes a new snapshot:
    only the run holding the working database's write lock publishes, so every such file is stale."""
    stale = [p for p in target.parent.glob(f"{target.name}.tmp-*") if p.is_file()]
    stale += [p for p in target.parent.glob("status.json.tmp-*") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale
