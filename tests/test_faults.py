"""Fault injection around real refreshes: a night that lost data must not publish as if it did not.

Every test works on a private copy of the session's small run (tests/conftest.py ``small_run``: two gemeenten,
2023-2025; each refresh then takes seconds, not a minute),
injects one fault, runs the real refresh (job ``refresh`` of the real Definitions, in this process; the wrong-configuration
tests use the CLI, as `make pipeline`, since what they test is what the operator sees there) and asserts two things: what
was published (nothing new, or the right thing) and what the operator sees (exit code, run log,
``status.json``, the Datakwaliteit page). The faults and outcomes are listed in docs/operations.md.

Disk-full faults use a small size-limited tmpfs mounted over the folder (needs root); where the
machine does not allow a mount the tests are skipped, loudly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import pytest

import support
from support import ROOT

LONG_KEY = "x" * 40


def serving_of(data: Path) -> Path:
    return data / "serving" / "hbh_serving.duckdb"


def fingerprint(path: Path) -> tuple[str, dict]:
    """(run_id, {table: [rows, xor of row hashes]}) of one snapshot."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() ORDER BY 1").fetchall()]
        fp = {t: list(con.execute(f"SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM {t} AS t").fetchall()[0])
              for t in tables}
        (run_id,) = con.execute("SELECT run_id FROM meta.refresh").fetchall()[0]
    return run_id, fp


def refresh(env: dict, cli: bool = False) -> tuple[subprocess.CompletedProcess, float, str]:
    """The real refresh: job ``refresh`` of the real Definitions in this process, or with ``cli`` as an
    operator starts it (`make pipeline`, a subprocess); returns the (process-like) result, its wall time
    and its whole output (the CLI's event lines either way)."""
    t0 = time.monotonic()
    proc = support.run_refresh(env, timeout=300) if cli else support.refresh_in_process(env)
    return proc, time.monotonic() - t0, proc.stdout + proc.stderr


def status_of(serving: Path) -> dict:
    from hbh_monitor.status import snapshot_status

    return snapshot_status(serving=serving)


def status_json(serving: Path) -> dict:
    return json.loads((serving.parent / "status.json").read_text(encoding="utf-8"))


@contextlib.contextmanager
def tmpfs(path: Path, size_bytes: int):
    """Mount a tmpfs of ``size_bytes`` over ``path`` (a full disk on demand); the old content is copied in."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("!!!! disk-full test needs root to mount a size-limited tmpfs: SKIPPED")
    keep = path.with_name(path.name + ".orig")
    path.rename(keep)
    path.mkdir()
    size_kb = max(64, size_bytes // 1024)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        path.rmdir()
        keep.rename(path)
        pytest.skip(f"!!!! cannot mount a tmpfs here ({proc.stderr.strip()}): disk-full test SKIPPED")
    try:
        for p in keep.iterdir():
            shutil.copy2(p, path / p.name)
        yield path
    finally:
        kept = {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
        subprocess.run(["umount", "-l", str(path)], check=False)
        path.rmdir()
        shutil.rmtree(keep)
        path.mkdir()
        for name, data in kept.items():
            (path / name).write_bytes(data)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def toggle_line_ends(path: Path) -> None:
    """The same rows in other bytes: a corrected re-delivery the run has to load again."""
    b = path.read_bytes()
    path.write_bytes(b.replace(b"\r\n", b"\n") if b"\r\n" in b else b.replace(b"\n", b"\r\n"))


# --- 1. configuration checked up front -----------------------------------------------------------------


def _fresh(run, tmp_path: Path) -> tuple[Path, dict]:
    """A new installation: only the landing folder, a configured (non-demo) run."""
    data = tmp_path / "data"
    env = support.copy_run(run.data_dir, data, subs=("landing",))
    env.pop("HBH_DEMO", None)
    return data, env


def _written(data: Path) -> list[str]:
    """What a run left in the data folder besides the landing folder and DAGSTER_HOME."""
    return sorted(p.name for p in data.iterdir() if p.name not in ("landing", "dagster_home"))


@pytest.mark.parametrize("case", ["no_key", "short_key", "no_landing", "empty_landing"])
def test_wrong_configuration_stops_in_seconds_with_one_message_and_writes_nothing(small_run, tmp_path, case):
    data, env = _fresh(small_run, tmp_path)
    expect = {
        "no_key": "Geen pseudonimiseringssleutel ingesteld",
        "short_key": "minimaal 32",
        "no_landing": "bestaat niet",
        "empty_landing": "is leeg",
    }[case]
    if case == "short_key":
        env["HBH_PSEUDONYM_KEY"] = "k"  # one character: the documented minimum is 32
    elif case != "no_key":
        env["HBH_PSEUDONYM_KEY"] = LONG_KEY
    if case == "no_landing":
        shutil.rmtree(data / "landing")
    elif case == "empty_landing":
        shutil.rmtree(data / "landing")
        (data / "landing").mkdir()

    proc, seconds, out = refresh(env, cli=True)
    assert proc.returncode != 0, f"{case}: the run must fail\n{out[-3000:]}"
    assert _written(data) == [], f"{case}: the run wrote {_written(data)} (warehouse, GX files, status.json ...)"
    assert "STEP_START" not in out, "no step may start on a wrong configuration"
    assert "Configuratie niet in orde" in out and expect in out, out[-3000:]
    print(f"{case}: failed after {seconds:.1f} s with: {expect!r}")


def test_a_read_only_data_folder_fails_fast_and_leaves_the_snapshot(small_run, tmp_path):
    """The existing data folder mounted read-only (as a full or remounted disk would be): one message
    within the time Dagster needs to start, not connection retries per step for minutes."""
    data = tmp_path / "data"
    env = support.copy_run(small_run.data_dir, data)
    serving = serving_of(data)
    before = fingerprint(serving)
    status_before = (serving.parent / "status.json").read_bytes()
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")  # Dagster's own storage stays writable
    (tmp_path / "dagster_home").mkdir()
    (tmp_path / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    ro = None
    if os.geteuid() == 0:
        ro = subprocess.run(["mount", "--bind", "-o", "ro", str(data), str(data)], capture_output=True, text=True)
        if ro.returncode != 0:
            ro = None
    if ro is None:
        if os.geteuid() == 0:
            pytest.skip("!!!! cannot make a read-only bind mount here: SKIPPED")
        for p in [data, *data.rglob("*")]:
            if p.is_dir():
                p.chmod(0o555)
    try:
        proc, seconds, out = refresh(env)
    finally:
        if ro is not None:
            subprocess.run(["umount", str(data)], check=False)
    assert proc.returncode != 0
    assert "niet schrijfbaar" in out, out[-3000:]
    assert "STEP_START" not in out
    assert fingerprint(serving) == before
    assert (serving.parent / "status.json").read_bytes() == status_before
    print(f"read-only data folder: failed after {seconds:.1f} s")


# --- 2. machine faults and failed files stop the run before publishing --------------------------------


def test_disk_full_during_ingestion_stops_the_run_with_the_real_cause(small_run, tmp_path):
    data = tmp_path / "data"
    env = support.copy_run(small_run.data_dir, data)
    serving = serving_of(data)
    live = fingerprint(serving)
    redelivered = sorted((data / "landing" / "declaraties").glob("*"))
    assert redelivered
    for p in redelivered:
        toggle_line_ends(p)
    warehouse_dir = data / "warehouse"
    size = sum(p.stat().st_size for p in warehouse_dir.iterdir())
    with tmpfs(warehouse_dir, size + 200_000):  # the warehouse fits, the re-delivered files' rows do not
        proc, _, out = refresh(env)
    assert proc.returncode != 0, "a run on a full disk must not succeed"
    assert "geen schijfruimte meer" in out and "No space left on device" in out, out[-4000:]
    assert "STEP_FAILURE - Execution of step \"raw__declaraties\" failed" in out, "the disk is full during ingestion"
    assert fingerprint(serving) == live, "nothing new is published"
    st = status_of(serving)
    assert st["held_back"] is True and st["live_run_id"] == live[0]
    assert "geen schijfruimte meer" in st["reason"], st
    # The re-delivered files are not recorded as broken files: the machine failed, not the file.
    with duckdb.connect(str(warehouse_dir / "hbh.duckdb"), read_only=True) as con:
        fout = con.execute("SELECT source_file, message FROM meta.ingestion_ledger WHERE status = 'fout'").fetchall()
    assert fout == [], fout


def test_out_of_memory_stops_the_run_as_a_machine_fault(small_run, tmp_path):
    """DuckDB capped far below what a load needs (HBH_DUCKDB_MEMORY_LIMIT), with files to load again."""
    data = tmp_path / "data"
    env = support.copy_run(small_run.data_dir, data)
    serving = serving_of(data)
    live = fingerprint(serving)
    for p in sorted((data / "landing" / "declaraties").glob("*2025*")):
        toggle_line_ends(p)
    env["HBH_DUCKDB_MEMORY_LIMIT"] = "4MB"
    proc, _, out = refresh(env)
    assert proc.returncode != 0
    assert fingerprint(serving) == live
    st = status_of(serving)
    assert st["held_back"] is True and "Machinefout: onvoldoende geheugen" in st["reason"], st
    with duckdb.connect(str(data / "warehouse" / "hbh.duckdb"), read_only=True) as con:
        fout = con.execute("SELECT source_file FROM meta.ingestion_ledger WHERE status = 'fout'").fetchall()
    assert fout == [], f"files recorded as broken for the machine's fault: {fout}"


def test_a_file_that_failed_to_load_blocks_publishing_until_an_operator_accepts_it(small_run, tmp_path, monkeypatch):
    data = tmp_path / "data"
    env = support.copy_run(small_run.data_dir, data)
    serving = serving_of(data)
    live = fingerprint(serving)
    broken = data / "landing" / "declaraties" / "98104521_2025_correctie.csv"
    broken.write_bytes(b"")  # a delivery that arrived empty (a failed transfer)

    proc, _, out = refresh(env)
    assert proc.returncode != 0, "a missing delivery must not publish silently"
    assert fingerprint(serving) == live
    st = status_of(serving)
    assert st["held_back"] is True
    assert "raw/declaraties: no_failed_files" in st["failed_checks"], st
    assert st["missing_deliveries"] == ["declaraties/98104521_2025_correctie.csv"], st

    # The Datakwaliteit page names the missing delivery.
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("HBH_SERVING", str(serving))
    monkeypatch.delenv("HBH_STATUS", raising=False)
    at = AppTest.from_file(str(ROOT / "dashboards" / "app.py"), default_timeout=60).run()
    at.switch_page("views/datakwaliteit.py").run()
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "98104521_2025_correctie.csv" in text and "niet geladen" in text, text

    # The operator accepts it by name: the re-run publishes, and says nothing is held back.
    env["HBH_ACCEPT_FAILED_FILES"] = "declaraties/98104521_2025_correctie.csv"
    proc, _, out = refresh(env)
    assert proc.returncode == 0, out[-4000:]
    assert fingerprint(serving)[0] != live[0]
    assert status_of(serving)["held_back"] is False


# --- 3. every figure's inputs complete or held back ---------------------------------------------------


def drop_rows(path: Path, **match) -> int:
    """Remove the rows of a delivered CSV whose columns equal ``match`` (column names as in the header)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    sep = ";" if ";" in lines[0] else ","
    header = lines[0].strip().split(sep)
    idx = {header.index(k): str(v) for k, v in match.items()}
    keep = [ln for ln in lines[1:] if not all(ln.rstrip("\r\n").split(sep)[i] == v for i, v in idx.items())]
    path.write_text(lines[0] + "".join(keep), encoding="utf-8")
    return len(lines) - 1 - len(keep)


def drop_kwb_wijk(landing: Path, wijk: str) -> int:
    """Remove the wijk's rows from every CBS Kerncijfers export (StatLine pads codes: ``"WK990101  "``)."""
    n = 0
    for path in (landing / "cbs_kwb").glob("*"):
        lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        keep = [ln for ln in lines if f'"{wijk} ' not in ln and f'"{wijk}"' not in ln]
        n += len(lines) - len(keep)
        path.write_text("".join(keep), encoding="utf-8")
    return n


def kwb_inhabitants(landing: Path, wijk: str, year: int) -> int | None:
    """AantalInwoners of the wijk in the demo's Kerncijfers export of ``year`` (read from the file itself)."""
    import csv

    for path in (landing / "cbs_kwb").glob(f"*_{year}.csv"):
        for row in csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"):
            if row["WijkenEnBuurten"].strip() == wijk:
                return int(row["AantalInwoners_5"])
    return None


def test_missing_own_population_is_taken_from_cbs_kwb_without_a_75plus_figure(small_run, tmp_path):
    """A wijk-year missing from the municipality's own population, but in CBS Kerncijfers: the rate is
    computed over CBS's inhabitants and says so; the 75+ rate stays empty (KWB has no 75+ band), for the
    wijk and for its gemeente (a sum without that wijk's 75+ would be too small)."""
    data = tmp_path / "data"
    env = support.copy_run(small_run.data_dir, data)
    with duckdb.connect(str(data / "warehouse" / "hbh.duckdb"), read_only=True) as con:
        candidates = con.execute(
            "SELECT wijk_code, gemeente_code, year FROM marts.wijk_year WHERE clients > 0 ORDER BY clients DESC").fetchall()
    wijk, gemeente, year, kwb = next((w, g, y, k) for w, g, y in candidates
                                     if (k := kwb_inhabitants(data / "landing", w, y)) is not None)
    (pop_file,) = (data / "landing" / "bevolking").glob("*")
    assert drop_rows(pop_file, wijk_code=wijk, jaar=year) > 0

    proc, _, out = refresh(env)
    assert proc.returncode == 0, out[-4000:]
    with duckdb.connect(str(serving_of(data)), read_only=True) as con:
        row = con.execute("SELECT inhabitants, inhabitants_75plus, clients_per_1000_75plus, population_source "
                          "FROM marts.wijk_year WHERE wijk_code = ? AND year = ?", [wijk, year]).fetchone()
        gem = con.execute("SELECT inhabitants_75plus, clients_per_1000_75plus FROM marts.gemeente_year "
                          "WHERE gemeente_code = ? AND year = ?", [gemeente, year]).fetchone()
        others = con.execute("SELECT count(*) FROM marts.wijk_year WHERE population_source = 'CBS KWB'").fetchone()[0]
    assert row == (kwb, None, None, "CBS KWB")
    assert gem == (None, None)
    assert others == 1, "only the wijk-year without own figures takes CBS's"


def test_missing_population_for_a_wijk_year_holds_back_instead_of_a_wrong_rate(small_run, tmp_path):
    data = tmp_path / "data"
    env = support.copy_run(small_run.data_dir, data)
    serving = serving_of(data)
    live = fingerprint(serving)
    with duckdb.connect(str(data / "warehouse" / "hbh.duckdb"), read_only=True) as con:
        wijk, year = con.execute(
            "SELECT wijk_code, year FROM marts.wijk_year WHERE clients > 0 ORDER BY clients DESC LIMIT 1").fetchall()[0]
    (pop_file,) = (data / "landing" / "bevolking").glob("*")
    assert drop_rows(pop_file, wijk_code=wijk, jaar=year) > 0
    drop_kwb_wijk(data / "landing", wijk)  # and CBS's figure, which would otherwise stand in for it

    proc, _, out = refresh(env)
    assert proc.returncode != 0, "a rate over an incomplete population must not be published"
    assert fingerprint(serving) == live, "the previous (correct) snapshot stays"
    st = status_of(serving)
    assert "marts/wijk_year: rates_plausible" in st["failed_checks"], st
    assert f"bevolking {wijk} {year}" in st["reason"], st


def test_missing_tariff_for_a_declared_product_year_holds_back_instead_of_a_wrong_cost(small_run, tmp_path):
    data = tmp_path / "data"
    env = support.copy_run(small_run.data_dir, data)
    serving = serving_of(data)
    live = fingerprint(serving)
    with duckdb.connect(str(data / "warehouse" / "hbh.duckdb"), read_only=True) as con:
        gem, product, year = con.execute(
            "SELECT gemeente_code, product_code, year FROM staging.declaraties GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
        ).fetchall()[0]
    (catalogue,) = (data / "landing" / "producten").glob("*")
    assert drop_rows(catalogue, gemeente_code=gem, product_code=product, jaar=year) == 1

    proc, _, out = refresh(env)
    assert proc.returncode != 0, "a cost without its tariff must not be published"
    assert fingerprint(serving) == live
    st = status_of(serving)
    assert "staging/declaraties: every_declaration_has_a_tariff" in st["failed_checks"], st
    assert f"tarief {gem} {product} {year}" in st["reason"], st


# --- 4. a run with nothing new is not a new publication ----------------------------------------------


def test_a_run_with_nothing_new_keeps_the_publication_and_says_so(small_run, tmp_path):
    data = tmp_path / "data"
    env = support.copy_run(small_run.data_dir, data)
    serving = serving_of(data)
    live = fingerprint(serving)
    before = status_of(serving)

    proc, _, out = refresh(env)
    assert proc.returncode == 0, out[-4000:]
    assert fingerprint(serving) == live, "the same snapshot stays live, under its own run"
    st = status_of(serving)
    assert st["live_run_id"] == live[0] and st["live_published_at"] == before["live_published_at"]
    assert st["held_back"] is False
    assert st["last_run"]["outcome"] == "ongewijzigd" and st["last_run"]["run_id"] != live[0], st
    assert st["last_run"]["run_id"] in out
    assert not list(serving.parent.glob("*.tmp-*"))


# --- 5. disk full while publishing --------------------------------------------------------------------


def test_disk_full_while_publishing_cleans_up_and_records_the_hold_back(small_run, tmp_path):
    data = tmp_path / "data"
    env = support.copy_run(small_run.data_dir, data)
    serving = serving_of(data)
    live = fingerprint(serving)
    used = sum(p.stat().st_size for p in serving.parent.iterdir())
    with tmpfs(serving.parent, used + 2_000_000):  # room for status.json, not for a new snapshot
        free_before = free_bytes(serving.parent)
        proc, _, out = refresh(env)
        assert proc.returncode != 0, out[-4000:]
        left = sorted(p.name for p in serving.parent.glob("*.tmp-*"))
        assert left == [], f"half-written files keep the disk full: {left}"
        assert free_bytes(serving.parent) >= free_before - 64 * 1024
        assert fingerprint(serving) == live, "the live snapshot is untouched"
        assert fingerprint(serving.with_name("hbh_serving_council.duckdb"))[0] == live[0]
        st = status_of(serving)
    assert st["held_back"] is True and st["live_run_id"] == live[0]
    assert "geen schijfruimte meer" in st["reason"] and "serving_snapshot" in st["reason"], st


# --- 6. the run queue recovers after a crash of the whole Dagster process group -----------------------


def _daemon(env: dict, log: Path) -> subprocess.Popen:
    """dagster-daemon with the repository's workspace, in a process group of its own (as systemd runs it)."""
    with log.open("a") as out:
        return subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _submit(env: dict) -> None:
    """Submit a refresh to the queue, as the schedule or an analyst in the UI would."""
    subprocess.run([str(Path(sys.executable).parent / "dagster"), "job", "launch", "-w", "workspace.yaml", "-j", "refresh"],
                   cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=300)


def _wait(what, predicate, timeout: float, daemon_log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(1)
    raise AssertionError(f"waited {timeout:.0f} s for {what}\n--- daemon log ---\n{daemon_log.read_text()[-4000:]}")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_the_run_queue_recovers_after_the_whole_process_group_is_killed(small_run, tmp_path):
    import yaml
    from dagster import DagsterInstance, DagsterRunStatus

    from hbh_monitor.launcher import run_worker

    data = tmp_path / "data"
    env = support.copy_run(small_run.data_dir, data)
    serving = serving_of(data)
    live = fingerprint(serving)
    for p in (data / "landing" / "declaraties").glob("*"):
        toggle_line_ends(p)  # real work for the first run, so it is killed in the middle of it
    home = data / "dagster_home"
    cfg = yaml.safe_load((ROOT / "docs" / "deploy" / "dagster.yaml").read_text())  # the deployment's config
    cfg["run_monitoring"]["poll_interval_seconds"] = 5  # only faster, for the test
    # The same queue (QueuedRunCoordinator, the same limit), looked at every second instead of every 5 s
    # (Dagster takes that interval only in the run_coordinator form of the block).
    cfg["run_coordinator"] = {"module": "dagster._core.run_coordinator", "class": "QueuedRunCoordinator",
                              "config": {**cfg.pop("run_queue"), "dequeue_interval_seconds": 1}}
    (home / "dagster.yaml").write_text(yaml.safe_dump(cfg))
    instance = DagsterInstance.from_config(str(home))
    log = tmp_path / "daemon.log"

    def runs():
        return sorted(instance.get_runs(), key=lambda r: instance.get_run_record_by_id(r.run_id).create_timestamp)

    daemon = _daemon(env, log)
    try:
        _submit(env)
        (run1,) = _wait("the first run to start", lambda: [r for r in runs() if r.status == DagsterRunStatus.STARTED],
                        300, log)
        worker = _wait("the run's process", lambda: run_worker(instance, run1.run_id), 60, log)
        time.sleep(3)
        os.killpg(daemon.pid, 9)  # the whole group: daemon, code server and the run's process
        daemon.wait()
        _wait("the group to be gone", lambda: not _group_alive(daemon.pid), 30, log)
        assert not Path(f"/proc/{worker[0]}").exists(), "the run's process was in the killed group"
        assert instance.get_run_by_id(run1.run_id).status == DagsterRunStatus.STARTED  # orphaned

        _submit(env)  # the next night's run, queued behind the orphan
        run2 = [r for r in runs() if r.run_id != run1.run_id][0]
        daemon = _daemon(env, log)  # the service comes back (systemd Restart=on-failure, reboot)
        _wait("the orphaned run to be marked failed",
              lambda: instance.get_run_by_id(run1.run_id).status == DagsterRunStatus.FAILURE, 180, log)
        _wait("the queued run to finish",
              lambda: instance.get_run_by_id(run2.run_id).status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE),
              900, log)
        assert instance.get_run_by_id(run2.run_id).status == DagsterRunStatus.SUCCESS, log.read_text()[-4000:]
    finally:
        if _group_alive(daemon.pid):
            os.killpg(daemon.pid, 15)
            try:
                daemon.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, 9)
    assert fingerprint(serving)[0] == run2.run_id != live[0], "the recovered queue published the new data"
    rec = status_json(serving)
    lost = rec.get("held_back") or rec.get("last_held_back")
    assert lost and lost["run_id"] == run1.run_id, rec
    assert "bestaat niet meer" in " ".join(lost["reasons"]), rec
