"""Publishing safety: what council members see never breaks, whatever happens to a run.

- readers that open the serving file read-only per query, in separate processes, during a real
  refresh: 0 errors, and every snapshot they see is complete and
  identical to the snapshot of the same run seen by every other read;
- `kill -9` of a refresh at random points: the previous snapshot stays and is readable, the working
  database opens, the next run removes stale temp files and recovers (a file whose transaction was
  interrupted is simply loaded again, nothing is loaded twice);
- a failing blocking check holds the new snapshot back, and ``status.snapshot_status()`` says
  which snapshot is live and why the newer one was held back.

Each test works on a copy of the session's small run (tests/conftest.py ``small_run``: two gemeenten,
2023-2025), so the shared fixtures stay untouched and every run takes seconds. The runs that are killed go through the CLI (`dagster job execute`, as
`make pipeline`) in a process of their own; the others run the same job in this process.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb

from hbh_monitor import settings
from support import REFRESH_CLI as REFRESH
from support import ROOT, copy_run, refresh_in_process
SEED = int(os.environ.get("HBH_TEST_SEED", "20261123"))


def serving_of(data: Path) -> Path:
    return data / "serving" / "hbh_serving.duckdb"


FINGERPRINT_SQL = """
SELECT table_schema || '.' || table_name FROM information_schema.tables
WHERE table_catalog = current_database() ORDER BY 1
"""


def fingerprint(path: Path) -> tuple[str, dict]:
    """(run_id, {table: [rows, xor of row hashes]}) of one snapshot, read in one connection."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [t for (t,) in con.execute(FINGERPRINT_SQL).fetchall()]
        fp = {t: list(con.execute(f"SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM {t} AS t").fetchall()[0])
              for t in tables}
        (run_id,) = con.execute("SELECT run_id FROM meta.refresh").fetchall()[0]
    return run_id, fp


READER = textwrap.dedent(
    """
    import duckdb, json, sys, time
    from pathlib import Path
    path, stop, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    TABLES = "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_catalog = current_database() ORDER BY 1"
    seen, errors, n = {}, [], 0
    while not stop.exists():
        try:
            # as dashboards/snapshot.py: a fresh read-only connection per query, closed after it
            with duckdb.connect(path, read_only=True) as con:
                tables = [t for (t,) in con.execute(TABLES).fetchall()]
                fp = {t: list(con.execute(f"SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM {t} AS t").fetchall()[0])
                      for t in tables}
                rows = con.execute("SELECT run_id FROM meta.refresh").fetchall()
            n += 1
            if len(rows) != 1:
                errors.append(f"meta.refresh has {len(rows)} rows")
                continue
            run_id = rows[0][0]
            if run_id in seen and seen[run_id] != fp:
                errors.append(f"snapshot {run_id} changed between reads")
            seen.setdefault(run_id, fp)
        except Exception as e:  # every failure counts
            errors.append(f"{type(e).__name__}: {e}")
        time.sleep(0.25)  # a dashboard's pace; faster readers only slow the run on two cores
    out.write_text(json.dumps({"queries": n, "errors": errors, "seen": seen}))
    """
)


def test_readers_see_no_errors_and_only_complete_snapshots_during_a_refresh(small_run, tmp_path):
    data = tmp_path / "data"
    env = copy_run(small_run.data_dir, data)
    # A re-delivered file, so the run has something new to publish (a run with nothing new keeps the live one).
    _toggle_line_ends(sorted((data / "landing" / "declaraties").glob("*"))[-1])
    serving = serving_of(data)
    council = settings.council_path(serving)
    snapshots = [serving, serving, council]  # two readers on the full snapshot, one on the council one
    old = {p: fingerprint(p) for p in (serving, council)}

    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen([sys.executable, "-c", READER, str(path), str(stop), str(tmp_path / f"reader{i}.json")])
        for i, path in enumerate(snapshots)
    ]
    try:
        time.sleep(1.0)
        proc = refresh_in_process(env)
        time.sleep(1.0)
    finally:
        stop.touch()
        for r in readers:
            r.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr[-4000:]

    new = {p: fingerprint(p) for p in (serving, council)}
    for p in (serving, council):
        assert new[p][0] != old[p][0], f"the refresh published a new {p.name}"
        assert set(new[p][1]) == set(old[p][1]), "the new snapshot has the same tables"
    assert new[serving][0] == new[council][0], "both snapshots hold the same run"
    results = [json.loads((tmp_path / f"reader{i}.json").read_text()) for i in range(len(snapshots))]
    for path, res in zip(snapshots, results):
        assert res["errors"] == [], res["errors"][:5]
        assert res["queries"] > 20
        expected = dict((old[path], new[path]))
        for run_id, fp in res["seen"].items():
            # complete: exactly the snapshot of that run as published, every table
            assert fp == expected.get(run_id), f"unexpected snapshot {run_id} in {path.name}"
    assert {old[serving][0], new[serving][0]} <= set().union(*(r["seen"] for r in results[:2])), "readers saw the swap"


def _toggle_line_ends(path: Path) -> None:
    """A re-delivery with the same rows but other bytes (CRLF <-> LF): ingestion must load it again."""
    b = path.read_bytes()
    path.write_bytes(b.replace(b"\r\n", b"\n") if b"\r\n" in b else b.replace(b"\n", b"\r\n"))


def _ledger(warehouse: Path) -> tuple[dict, dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loaded = {}
        for f, sha in con.execute(
            "SELECT source_file, sha256 FROM meta.ingestion_ledger WHERE status = 'geladen'"
        ).fetchall():
            loaded.setdefault(f, []).append(sha)
        counts = dict(con.execute(
            "SELECT source_file, count(*) FROM raw.declaraties GROUP BY ALL"
        ).fetchall())
    return loaded, counts


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_kill_9_at_random_points_never_breaks_the_snapshot_and_the_next_run_recovers(small_run, tmp_path):
    from hbh_monitor.status import snapshot_status

    data = tmp_path / "data"
    env = copy_run(small_run.data_dir, data)
    serving, warehouse = serving_of(data), data / "warehouse" / "hbh.duckdb"
    live_run, live_fp = fingerprint(serving)
    _, rows_before = _ledger(warehouse)

    # Re-deliver every declaraties file (same rows, other bytes) so the run has real ingestion work
    # to be killed in.
    decl = sorted((data / "landing" / "declaraties").glob("*"))
    for p in decl:
        _toggle_line_ends(p)

    rng = random.Random(SEED)
    # One random point in each phase of a run: inside the declaraties ingestion (per-file
    # transactions), inside the staging/marts rebuild, and inside publishing (the copy and swap).
    kills = [("raw__declaraties", rng.uniform(0.3, 2.0)), ("staging__", rng.uniform(0.0, 2.0)),
             ("serving_snapshot", rng.uniform(0.0, 0.3))]
    seen_runs = {live_run: live_fp}
    for i, (step, delay) in enumerate(kills):
        log = tmp_path / f"killed{i}.log"
        with log.open("w") as out:
            proc = subprocess.Popen(REFRESH, cwd=ROOT / "pipelines", env=env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + 300
            while proc.poll() is None and time.monotonic() < deadline:
                if f'Started execution of step "{step}' in log.read_text(errors="replace"):
                    time.sleep(delay)
                    break
                time.sleep(0.05)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        text = log.read_text(errors="replace")
        started = re.findall(r'Started execution of step "([^"]+)"', text)
        where = f"kill {delay:.1f} s after {step}* started (last step started: {started[-1] if started else 'none'})"
        # The live snapshot is always there, readable and complete: the previous one, or (when the
        # kill came after the swap) the killed run's complete new one.
        assert serving.is_file(), f"no snapshot after {where}"
        run_id, fp = fingerprint(serving)
        assert set(fp) == set(live_fp), f"incomplete snapshot after {where}"
        assert seen_runs.setdefault(run_id, fp) == fp, where
        # The working database is not corrupted (DuckDB replays its WAL).
        with duckdb.connect(str(warehouse), read_only=True) as con:
            con.execute("SELECT count(*) FROM meta.ingestion_ledger").fetchall()

    # Leave a half-written snapshot behind as a killed publish would, then recover.
    stale = serving.with_name(f"{serving.name}.tmp-999999")
    stale.write_bytes(b"half a snapshot")
    proc = refresh_in_process(env)
    assert proc.returncode == 0, f"recovery run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    assert not list(serving.parent.glob("*.tmp-*")), "stale temp files are cleaned up"

    run_id, fp = fingerprint(serving)
    assert run_id != live_run, "the recovery run published"
    assert set(fp) == set(live_fp)
    loaded, rows_after = _ledger(warehouse)
    for p in decl:
        rel = p.relative_to(data / "landing").as_posix()
        assert loaded.get(rel) == [_sha(p)], f"{rel}: exactly one loaded version, the current one"
    assert rows_after == rows_before, "every re-delivered file loaded exactly once (same rows as before)"
    st = snapshot_status(serving=serving)
    assert st["live_run_id"] == run_id and st["held_back"] is False


PUBLISHER = textwrap.dedent(
    """
    import sys, duckdb
    from pathlib import Path
    from hbh_monitor.publish import publish_snapshot
    con = duckdb.connect(sys.argv[1])
    i = 0
    while True:
        i += 1
        publish_snapshot(con, f"loop-{i}", True, Path(sys.argv[2]))
        print(i, flush=True)
    """
)


def test_kill_9_during_publishing_leaves_the_previous_snapshot(small_run, tmp_path, monkeypatch):
    """Publishing is the step that touches what readers see: kill it many times mid-copy."""
    from hbh_monitor.publish import publish_snapshot

    data = tmp_path / "data"
    env = copy_run(small_run.data_dir, data)
    serving, warehouse = serving_of(data), data / "warehouse" / "hbh.duckdb"
    live_run, live_fp = fingerprint(serving)
    council = settings.council_path(serving)  # published right after the full snapshot, same way
    _, council_fp = fingerprint(council)
    rng = random.Random(SEED + 1)
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", PUBLISHER, str(warehouse), str(serving)],
                                env=env, stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()  # one publish done: the import and connect are behind us
        time.sleep(rng.uniform(0.0, 0.4))
        proc.kill()
        proc.wait()
        proc.stdout.close()
        run_id, fp = fingerprint(serving)
        assert set(fp) == set(live_fp) and run_id.startswith("loop-")
        council_run, fp = fingerprint(council)
        assert set(fp) == set(council_fp) and (council_run.startswith("loop-") or council_run == live_run)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with duckdb.connect(str(warehouse)) as con:
        publish_snapshot(con, "after-kills", True, serving)
    assert fingerprint(serving)[0] == "after-kills"
    assert fingerprint(council)[0] == "after-kills"
    assert not list(serving.parent.glob("*.tmp-*"))


def test_failing_blocking_check_holds_the_snapshot_back_and_status_says_why(small_run, tmp_path):
    from hbh_monitor.status import snapshot_status

    data = tmp_path / "data"
    env = copy_run(small_run.data_dir, data)
    serving = serving_of(data)
    live_run, live_fp = fingerprint(serving)
    before = snapshot_status(serving=serving)
    assert before["live_run_id"] == live_run and before["held_back"] is False

    # Plant a failure: a corrected wijken delivery that drops the wijk with the most client-years.
    # Its clients now live in an unknown wijk, which a blocking check on the marts must stop.
    with duckdb.connect(str(data / "warehouse" / "hbh.duckdb"), read_only=True) as con:
        (wijk,) = con.execute(
            "SELECT wijk_code FROM staging.client_years GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
        ).fetchall()[0]
    dropped = 0
    for p in (data / "landing" / "wijken").glob("*"):
        lines = p.read_bytes().splitlines(keepends=True)
        keep = [ln for ln in lines if wijk.encode() not in ln]
        dropped += len(lines) - len(keep)
        p.write_bytes(b"".join(keep))
    assert dropped >= 1

    proc = refresh_in_process(env)
    assert proc.returncode != 0, "the run fails on the blocking check"
    assert "STEP_FAILURE" in proc.stdout + proc.stderr
    assert fingerprint(serving) == (live_run, live_fp), "the previous snapshot stays live, untouched"
    assert not list(serving.parent.glob("*.tmp-*"))

    st = snapshot_status(serving=serving)
    assert st["live_run_id"] == live_run
    assert st["live_published_at"] == before["live_published_at"]
    assert st["held_back"] is True
    assert st["failed_checks"], st
    assert all(": " in c for c in st["failed_checks"])  # "asset/key: check_name"
    assert "niet gepubliceerd" in st["reason"]
    assert st["held_back_run_id"] and st["held_back_run_id"] != live_run
    # The held-back run's id is the Dagster run that failed (the analyst can look it up in the UI).
    assert st["held_back_run_id"] in proc.stdout + proc.stderr


def test_a_refresh_that_ends_failed_or_stopped_as_a_whole_is_recorded_by_the_sensors(tmp_path, monkeypatch):
    """A run killed outright writes nothing itself; once run monitoring marks it failed (or an
    analyst stops it in the UI), the run-status sensors record in status.json that the previous
    snapshot stays live and why. Here: real failed and canceled runs in a Dagster instance, and the
    real sensors evaluated on them."""
    import dagster as dg

    from hbh_monitor.defs.schedules import refresh_canceled, refresh_failed
    from hbh_monitor.status import record_published, snapshot_status

    serving = tmp_path / "serving" / "hbh_serving.duckdb"
    serving.parent.mkdir()
    with duckdb.connect(str(serving)) as con:
        con.execute("CREATE SCHEMA meta")
        con.execute("CREATE TABLE meta.refresh AS SELECT 'earlier-run' AS run_id, TIMESTAMP '2026-11-22 02:10:00' AS published_at")
    monkeypatch.setenv("HBH_SERVING", str(serving))
    record_published("earlier-run", "2026-11-22T02:10:00", serving)

    @dg.op
    def dies():
        raise RuntimeError("the process went away")

    @dg.job(name="refresh")
    def refresh():
        dies()

    instance = dg.DagsterInstance.ephemeral()
    result = refresh.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    refresh_failed(dg.build_run_status_sensor_context(
        sensor_name="refresh_failed", dagster_event=failure, dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id)).for_run_failure())
    st = snapshot_status(serving=serving)
    assert st["live_run_id"] == "earlier-run"
    assert st["held_back"] is True and st["held_back_run_id"] == result.run_id
    assert "mislukt of afgebroken" in st["reason"] and "niet gepubliceerd" in st["reason"]

    import uuid

    stopped_id = str(uuid.uuid4())
    stopped = instance.create_run_for_job(refresh, run_id=stopped_id)
    instance.report_run_canceled(stopped)
    canceled = next(r.event_log_entry.dagster_event for r in instance.get_records_for_run(
        stopped_id, of_type=dg.DagsterEventType.RUN_CANCELED).records)
    refresh_canceled(dg.build_run_status_sensor_context(
        sensor_name="refresh_canceled", dagster_event=canceled, dagster_instance=instance,
        dagster_run=instance.get_run_by_id(stopped_id)))
    st = snapshot_status(serving=serving)
    assert st["held_back_run_id"] == stopped_id and "gestopt" in st["reason"]
    assert st["live_run_id"] == "earlier-run"


def test_a_last_bit_difference_in_a_double_is_not_new_content():
    """DuckDB sums doubles in parallel, so two runs over the same input can differ in the last bit of a
    figure; "nothing new" must still hold then, while a real change (one in a million) is new content."""
    import duckdb

    from hbh_monitor.publish import _content

    con = duckdb.connect()
    for catalog, value in (("a", "0.1::DOUBLE + 0.2::DOUBLE"), ("b", "0.3::DOUBLE"), ("c", "0.3000003::DOUBLE")):
        con.execute(f"ATTACH ':memory:' AS {catalog}")
        con.execute(f"CREATE SCHEMA {catalog}.marts")
        con.execute(f"CREATE TABLE {catalog}.marts.x AS SELECT 1 AS k, {value} AS v, 'Demostad' AS name")
    assert con.execute("SELECT (SELECT v FROM a.marts.x) <> (SELECT v FROM b.marts.x)").fetchone()[0]
    assert _content(con, "a") == _content(con, "b")
    assert _content(con, "a") != _content(con, "c")
