"""The row gate and ingestion on small hand-written exports (no Dagster needed here)."""

from __future__ import annotations

import json

import duckdb
import pytest

from hbh_monitor.contracts import contract
from hbh_monitor.ingest import ingest_dataset
from hbh_monitor.pseudonym import PseudonymKeyMissing, client_id, pseudonym_key

KEY = b"test-key"
HEADER = "bsn;geboortedatum;geslacht;gemeente_code;wijk_code;toewijzing_nummer;product_code;leveringsvorm;aanbieder_agb;toewijzingsdatum;ingangsdatum;einddatum;volume;eenheid;frequentie"
GOOD = "999900006;01-02-1940;2;GM9901;WK990101;1;01A01;ZIN;98000001;01-01-2020;15-01-2020;;150;01;2"


def _write(path, lines, encoding="utf-8", newline="\r\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode(encoding))


def _ingest(tmp_path, dataset="indicaties"):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    res = ingest_dataset(con, contract(dataset), tmp_path / "landing", KEY)
    return con, res


def test_good_and_bad_rows_are_all_accounted_for(tmp_path):
    _write(
        tmp_path / "landing/indicaties/a.csv",
        [
            HEADER,
            GOOD,
            GOOD.replace("999900006", "999900007"),  # elfproef fails
            GOOD.replace(";01-01-2020;", ";;"),  # required toewijzingsdatum empty (product_code is optional in iWmo)
            GOOD.replace("15-01-2020", "31-02-2020"),  # no such date
            GOOD.replace(";150;", ";twee;"),  # not a number
            GOOD.replace(";ZIN;", ";ZN;"),  # not an allowed value
            GOOD + ";extra",  # too many columns
        ],
    )
    con, (res,) = _ingest(tmp_path)
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (7, 1, 6)
    rules = [r[0] for r in con.execute("SELECT rules FROM meta.quarantine ORDER BY source_line").fetchall()]
    assert rules == ["elfproef:bsn", "required:toewijzingsdatum", "type:ingangsdatum", "type:volume", "values:leveringsvorm", "parse"]
    lines = [r[0] for r in con.execute("SELECT source_line FROM meta.quarantine ORDER BY source_line").fetchall()]
    assert lines == [3, 4, 5, 6, 7, 8]
    reasons = " ".join(r[0] for r in con.execute("SELECT reason FROM meta.quarantine").fetchall())
    assert "elfproef" in reasons and "'twee' is geen geheel getal" in reasons
    # the loaded row carries the pseudonym, not the BSN
    (cid,) = con.execute("SELECT client_id FROM raw.indicaties").fetchall()[0]
    assert cid == client_id(KEY, "999900006")
    # quarantine keeps only a masked BSN
    records = " ".join(r[0] or "" for r in con.execute("SELECT record FROM meta.quarantine").fetchall())
    assert "999900007" not in records and "999900006" not in records
    assert json.loads(con.execute("SELECT record FROM meta.quarantine WHERE rules = 'elfproef:bsn'").fetchall()[0][0])["bsn"] == "******007"


def test_windows_1252_comma_separated_and_bom(tmp_path):
    wijken = ["gemeente_code,gemeente_naam,wijk_code,wijk_naam", 'GM9901,Demostad,WK990101,"Centrum, Oude Stad"', "GM9901,Demostad,WK990102,Café-kwartier"]
    _write(tmp_path / "landing/wijken/w1252.csv", wijken, encoding="cp1252")
    _write(tmp_path / "landing/wijken/wbom.csv", [wijken[0], "GM9902,Duinwijk,WK990201,Ëiland"], encoding="utf-8-sig", newline="\n")
    con, res = _ingest(tmp_path, "wijken")
    assert [(r.source_file, r.rows_in, r.rows_loaded) for r in res] == [("wijken/w1252.csv", 2, 2), ("wijken/wbom.csv", 1, 1)]
    names = {r[0] for r in con.execute("SELECT wijk_naam FROM raw.wijken").fetchall()}
    assert names == {"Centrum, Oude Stad", "Café-kwartier", "Ëiland"}


def test_same_file_twice_changes_nothing_and_redelivery_replaces(tmp_path):
    f = tmp_path / "landing/indicaties/a.csv"
    _write(f, [HEADER, GOOD, GOOD.replace(";1;", ";2;")])
    con, _ = _ingest(tmp_path)
    con.close()
    con, (again,) = _ingest(tmp_path)
    assert again.skipped
    assert con.execute("SELECT count(*) FROM raw.indicaties").fetchall()[0][0] == 2
    con.close()
    _write(f, [HEADER, GOOD.replace(";150;", ";180;")])  # corrected re-delivery: one row left
    con, (redo,) = _ingest(tmp_path)
    assert not redo.skipped and redo.rows_loaded == 1
    assert con.execute("SELECT count(*), max(volume) FROM raw.indicaties").fetchall()[0] == (1, 180)
    statuses = [r[0] for r in con.execute("SELECT status FROM meta.ingestion_ledger ORDER BY loaded_at").fetchall()]
    assert statuses == ["vervangen", "geladen"]


def test_broken_files_get_a_clear_error_and_others_go_on(tmp_path):
    _write(tmp_path / "landing/indicaties/b_good.csv", [HEADER, GOOD])
    (tmp_path / "landing/indicaties/a_empty.csv").write_bytes(b"")
    (tmp_path / "landing/indicaties/c_export.pdf").write_bytes(b"%PDF-1.4")
    _write(tmp_path / "landing/indicaties/d_missing_column.csv", [HEADER.replace(";ingangsdatum", ""), GOOD.replace(";15-01-2020", "")])
    con, res = _ingest(tmp_path)
    by_file = {r.source_file: r for r in res}
    assert by_file["indicaties/a_empty.csv"].status == "fout"
    assert "a_empty.csv" in by_file["indicaties/a_empty.csv"].message and "leeg" in by_file["indicaties/a_empty.csv"].message
    assert by_file["indicaties/c_export.pdf"].status == "fout"
    assert by_file["indicaties/b_good.csv"].rows_loaded == 1
    missing = by_file["indicaties/d_missing_column.csv"]
    assert (missing.rows_in, missing.rows_loaded, missing.rows_quarantined) == (1, 0, 1)
    assert "ingangsdatum" in missing.message
    assert con.execute("SELECT reason FROM meta.quarantine WHERE source_file LIKE '%missing%'").fetchall()[0][0] == "kolom ingangsdatum ontbreekt in het bestand"


def test_non_demo_run_without_key_stops_with_a_clear_message(monkeypatch):
    for var in ("HBH_PSEUDONYM_KEY", "HBH_PSEUDONYM_KEY_FILE", "HBH_DEMO"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(PseudonymKeyMissing, match="HBH_PSEUDONYM_KEY"):
        pseudonym_key()
    monkeypatch.setenv("HBH_PSEUDONYM_KEY", "s3cret")
    assert pseudonym_key() == b"s3cret"


def test_a_warehouse_from_an_older_contract_gets_the_new_columns(tmp_path):
    """Upgrading: raw.indicaties made before reden_wijziging/urgentie existed takes new deliveries."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA raw")
    c = contract("indicaties")
    old_cols = [(n, t) for n, t in c.loaded_columns() if n not in ("reden_wijziging", "urgentie")]
    con.execute(f"CREATE TABLE raw.indicaties ({', '.join(f'{n} {t}' for n, t in old_cols)}, source_file VARCHAR, source_line BIGINT)")
    con.close()
    _write(tmp_path / "landing/indicaties/a.csv", [HEADER + ";urgentie", GOOD + ";hoog"])
    con, (res,) = _ingest(tmp_path)
    assert res.rows_loaded == 1
    assert con.execute("SELECT urgentie, reden_wijziging FROM raw.indicaties").fetchall() == [("hoog", None)]


def test_load_times_are_utc_whatever_the_server_time_zone(tmp_path):
    """meta.* times are naive UTC (the dashboards show them in Dutch time): a server set to
    Europe/Amsterdam must not write its local time, also not into a warehouse made before."""
    from datetime import datetime, timezone

    _write(tmp_path / "landing/indicaties/a.csv", [HEADER, GOOD, GOOD.replace("999900006", "999900007")])
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("SET TimeZone = 'Europe/Amsterdam'")
    # an older warehouse: the ledger tables with the old local-time defaults
    con.execute("CREATE SCHEMA meta")
    con.execute("CREATE TABLE meta.quarantine (dataset VARCHAR NOT NULL, source_file VARCHAR NOT NULL, "
                "source_line BIGINT, rules VARCHAR NOT NULL, reason VARCHAR NOT NULL, record VARCHAR, "
                "quarantined_at TIMESTAMP NOT NULL DEFAULT current_timestamp)")
    ingest_dataset(con, contract("indicaties"), tmp_path / "landing", KEY)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    (loaded,) = con.execute("SELECT loaded_at FROM meta.ingestion_ledger").fetchall()[0]
    (quarantined,) = con.execute("SELECT quarantined_at FROM meta.quarantine").fetchall()[0]
    for t in (loaded, quarantined):
        assert abs((now - t).total_seconds()) < 600, (t, now)
