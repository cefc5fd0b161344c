"""The front door: each file judged on its own, no BSN byte on disk, encodings detected, Dutch errors.

Small files are written here and loaded with :func:`hbh_monitor.ingest.ingest_dataset` (no Dagster);
the oracles are counted from the files themselves, never from the pipeline's SQL.
"""

from __future__ import annotations

import duckdb

from hbh_monitor.contracts import contract
from hbh_monitor.gate import ClearRoom
from hbh_monitor.ingest import ensure_tables, ingest_dataset, ingest_file, landing_files

KEY = b"test-key"
HEADER = ("bsn;geboortedatum;geslacht;gemeente_code;wijk_code;toewijzing_nummer;product_code;leveringsvorm;"
          "aanbieder_agb;toewijzingsdatum;ingangsdatum;einddatum;volume;eenheid;frequentie")


def elfproef(b: str) -> bool:
    return sum(w * int(d) for w, d in zip([9, 8, 7, 6, 5, 4, 3, 2, -1], b)) % 11 == 0 and b != "000000000"


BSNS = [b for b in (f"9999{n:05d}" for n in range(0, 5000)) if elfproef(b)]


def good(i: int, bsn: str | None = None) -> str:
    return (f"{bsn or BSNS[i]};01-02-1940;2;GM9901;WK990101;{i + 1};01A01;ZIN;98000001;01-01-2020;"
            f"15-01-2020;;150;01;2")


def write(path, lines, encoding="utf-8", newline="\r\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode(encoding))


def ingest(tmp_path, dataset="indicaties"):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    return con, {r.source_file: r for r in ingest_dataset(con, contract(dataset), tmp_path / "landing", KEY)}


def test_a_bad_file_does_not_touch_the_files_after_it(tmp_path):
    """A file with unreadable lines, then clean files: the clean files get no quarantine rows, their
    own rows_in and the physical line of every row."""
    land = tmp_path / "landing/indicaties"
    write(land / "a_bad.csv", [HEADER, good(0), good(1) + ";extra;velden", good(2), "kapot", good(3)])
    for k in range(3):
        write(land / f"b_clean_{k}.csv", [HEADER] + [good(10 * (k + 1) + i) for i in range(4)])
    con, res = ingest(tmp_path)
    bad = res["indicaties/a_bad.csv"]
    assert (bad.rows_in, bad.rows_loaded, bad.rows_quarantined) == (5, 3, 2)
    for k in range(3):
        r = res[f"indicaties/b_clean_{k}.csv"]
        assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (4, 4, 0), r
        assert con.execute("SELECT count(*) FROM meta.quarantine WHERE source_file = ?", [r.source_file]).fetchall() == [(0,)]
        lines = [x for (x,) in con.execute("SELECT source_line FROM raw.indicaties WHERE source_file = ? ORDER BY 1",
                                            [r.source_file]).fetchall()]
        assert lines == [2, 3, 4, 5]
    assert [x for (x,) in con.execute("SELECT source_line FROM meta.quarantine ORDER BY 1").fetchall()] == [3, 5]
    assert [x for (x,) in con.execute("SELECT source_line FROM raw.indicaties WHERE source_file = 'indicaties/a_bad.csv' "
                                       "ORDER BY 1").fetchall()] == [2, 4, 6]


def test_the_clear_room_is_empty_after_every_file(tmp_path):
    """One clear room reads the files of a dataset in turn: after each file (loaded, partly
    quarantined, unreadable, or read line by line) no table or view of it is left, so no BSN of one
    file is still in memory when the next is read, and the next file loads as if it were alone."""
    land = tmp_path / "landing/indicaties"
    write(land / "a_bad.csv", [HEADER, good(0), good(1) + ";extra;velden", "kapot", good(3)])
    write(land / "b_binary.csv", ["\x00\x01\x02 geen tekst"])
    write(land / "c_cp1252.csv", [HEADER + ";opmerking", good(4) + ";café", good(5) + ";"], encoding="cp1252")
    write(land / "d_clean.csv", [HEADER] + [good(10 + i) for i in range(4)])
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_tables(con, contract("indicaties"))
    results = {}
    with ClearRoom() as room:
        for path in landing_files(tmp_path / "landing", "indicaties"):
            r = ingest_file(con, contract("indicaties"), path, tmp_path / "landing", KEY, room=room)
            results[path.name] = r
            left = room.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT internal "
                "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
            assert left == [], f"after {path.name} the clear room still holds {left}"
    assert {k: (r.status, r.rows_in, r.rows_loaded) for k, r in results.items()} == {
        "a_bad.csv": ("geladen", 4, 2), "b_binary.csv": ("fout", 0, 0), "c_cp1252.csv": ("geladen", 2, 2),
        "d_clean.csv": ("geladen", 4, 4)}


# ---------------------------------------------------------------------------------------------
# Encodings detected, errors in Dutch with file and line
# ---------------------------------------------------------------------------------------------

WIJKEN = ["gemeente_code;gemeente_naam;wijk_code;wijk_naam", "GM9901;Demostad;WK990101;Café-kwartier",
          "GM9901;Demostad;WK990102;Ëiland"]
ENGLISH = ("error", "invalid", "expected", "could not", "line ", "csv error", "file", "/tmp", "/work", "\\", "duckdb")


def dutch_only(text: str) -> None:
    low = text.lower()
    assert not [w for w in ENGLISH if w in low], text


def test_utf16_and_utf32_are_detected_by_their_bom_or_content(tmp_path):
    land = tmp_path / "landing/wijken"
    write(land / "a_utf16le_bom.csv", WIJKEN, encoding="utf-16")  # Excel "Unicode-tekst": BOM + LE
    write(land / "b_utf16be_bom.csv", [w.replace("WK9901", "WK9902") for w in WIJKEN], encoding="utf-16")
    (land / "b_utf16be_bom.csv").write_bytes(b"\xfe\xff" + ("\r\n".join(WIJKEN).replace("9901", "9902") + "\r\n").encode("utf-16-be"))
    write(land / "c_utf32_bom.csv", [w.replace("9901", "9903") for w in WIJKEN], encoding="utf-32")
    (land / "d_utf16le_nobom.csv").write_bytes(("\r\n".join(WIJKEN).replace("9901", "9904") + "\r\n").encode("utf-16-le"))
    write(land / "e_cp1252.csv", [w.replace("9901", "9905") for w in WIJKEN], encoding="cp1252")
    con, res = ingest(tmp_path, "wijken")
    for name, r in res.items():
        assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("geladen", 2, 2, 0), (name, r)
    names = sorted({n for (n,) in con.execute("SELECT wijk_naam FROM raw.wijken").fetchall()})
    assert names == ["Café-kwartier", "Ëiland"]


def test_a_binary_file_says_so_in_dutch_without_internal_paths(tmp_path):
    land = tmp_path / "landing/indicaties"
    land.mkdir(parents=True)
    (land / "a_binary.csv").write_bytes(bytes(range(256)) * 64)
    (land / "b_zip_as_csv.csv").write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(200) + b"\xff\xfe\x00\x01" * 50)
    write(land / "c_good.csv", [HEADER, good(0)])
    con, res = ingest(tmp_path)
    for name in ("indicaties/a_binary.csv", "indicaties/b_zip_as_csv.csv"):
        r = res[name]
        assert r.status == "fout"
        assert r.message.startswith(name + ": ")
        assert "geen tekstbestand" in r.message
        dutch_only(r.message[len(name):])
    assert res["indicaties/c_good.csv"].rows_loaded == 1


def test_a_parse_error_has_one_clear_dutch_reason_and_the_physical_line(tmp_path):
    land = tmp_path / "landing/wijken"
    write(land / "w.csv", [
        WIJKEN[0],
        'GM9901;Demostad;WK990101;"Centrum',  # a quoted field over three physical lines
        'Oude Stad',
        'Haven"',
        "GM9901;Demostad;WK990102;Noord;te veel",   # line 5: one field too many
        "GM9901;Demostad;WK990103;Zuid",           # line 6
        "GM9901;Demostad",                          # line 7: too few fields
        "GM9901;Demostad;WK990104;Oost",           # line 8
    ])
    con, res = ingest(tmp_path, "wijken")
    r = res["wijken/w.csv"]
    # the three-line name is read as one record (line 2); a name with line breaks breaks its pattern
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (5, 2, 3)
    loaded = con.execute("SELECT wijk_code, source_line FROM raw.wijken ORDER BY source_line").fetchall()
    assert loaded == [("WK990103", 6), ("WK990104", 8)]
    q = con.execute("SELECT source_line, reason FROM meta.quarantine WHERE rules = 'parse' ORDER BY source_line").fetchall()
    assert [x for x, _ in q] == [5, 7]
    assert con.execute("SELECT source_line, rules FROM meta.quarantine WHERE rules <> 'parse'").fetchall() == [(2, "pattern:wijk_naam")]
    for _, reason in q:
        dutch_only(reason)
        assert ";" not in reason and reason.count("velden") >= 1, reason
    assert "5 velden" in q[0][1] and "4" in q[0][1]
    assert "2 velden" in q[1][1]


def test_an_unclosed_quote_is_reported_from_its_line_and_the_rows_before_load(tmp_path):
    land = tmp_path / "landing/wijken"
    write(land / "w.csv", [WIJKEN[0], "GM9901;Demostad;WK990101;Noord", 'GM9901;Demostad;WK990102;"Zuid',
                           "GM9901;Demostad;WK990103;Oost"])
    con, res = ingest(tmp_path, "wijken")
    r = res["wijken/w.csv"]
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (2, 1, 1)
    (line, reason), = con.execute("SELECT source_line, reason FROM meta.quarantine").fetchall()
    assert line == 3 and "aanhalingsteken" in reason, reason
    dutch_only(reason)


# ---------------------------------------------------------------------------------------------
# Plausibility rules from the contracts
# ---------------------------------------------------------------------------------------------


def test_impossible_dates_ages_and_volumes_are_quarantined_with_a_dutch_reason(tmp_path):
    from datetime import date

    later = date.today().replace(year=date.today().year + 2).strftime("%d-%m-%Y")
    fields = HEADER.split(";")

    def variant(i: int, **kw) -> str:
        vals = dict(zip(fields, good(i).split(";")))
        vals.update(kw)
        return ";".join(vals[f] for f in fields)

    write(tmp_path / "landing/indicaties/a.csv", [
        HEADER,
        variant(0),                                                     # 2: fine
        variant(1, einddatum="14-01-2020"),                             # 3: ends before it starts
        variant(2, geboortedatum="01-02-2021"),                         # 4: born after the start
        variant(3, geboortedatum="01-02-1890"),                         # 5: 129 years old at the start
        variant(4, toewijzingsdatum=later, ingangsdatum=later),         # 6: issued in the future
        variant(5, einddatum="31-12-2099"),                             # 7: 2099
        variant(6, volume="800", eenheid="04"),                         # 8: 800 hours in a period
        variant(7, volume="800", eenheid="01"),                         # 9: 800 minutes: fine
    ])
    con, res = ingest(tmp_path)
    r = res["indicaties/a.csv"]
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (8, 2, 6)
    q = dict(con.execute("SELECT source_line, rules || ' | ' || reason FROM meta.quarantine").fetchall())
    assert sorted(q) == [3, 4, 5, 6, 7, 8]
    assert "order:einddatum" in q[3] and "ligt vóór ingangsdatum" in q[3]
    assert "age:geboortedatum" in q[4] and "leeftijd op ingangsdatum is -" in q[4]
    assert "age:geboortedatum" in q[5] and "129 jaar" in q[5]
    assert "range:toewijzingsdatum" in q[6] and "later dan" in q[6]
    assert "range:einddatum" in q[7] and "31-12-2099" in q[7]
    assert "range:volume" in q[8] and "eenheid 04" in q[8]
    for reason in q.values():
        dutch_only(reason.split(" | ")[1])


def test_free_text_gets_a_pattern_and_length_rule(tmp_path):
    write(tmp_path / "landing/aanbieders/a.csv", [
        "aanbieder_agb;naam",
        "98000001;Thuiszorg 't Hof B.V.",
        '98000002;"=HYPERLINK(""http://x"",""klik"")"',
        "98000003;+31 20 123",
        "98000004;" + "Zorg " * 60,
    ])
    con, res = ingest(tmp_path, "aanbieders")
    r = res["aanbieders/a.csv"]
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (4, 1, 3)
    q = dict(con.execute("SELECT source_line, rules FROM meta.quarantine").fetchall())
    assert q == {3: "pattern:naam", 4: "pattern:naam", 5: "length:naam"}
    assert "formule" in con.execute("SELECT reason FROM meta.quarantine WHERE source_line = 3").fetchall()[0][0]


def test_the_gx_suite_is_derived_from_the_plausibility_rules_too(tmp_path, monkeypatch):
    """Rows written around the gate with impossible dates, ages and volumes fail the GX suite."""
    from hbh_monitor.validation import validate_new_rows

    monkeypatch.setenv("HBH_DATA_DIR", str(tmp_path))
    write(tmp_path / "landing/indicaties/a.csv", [HEADER, good(0)])
    con, _ = ingest(tmp_path)
    c = contract("indicaties")
    cols = ", ".join(n for n, _ in c.loaded_columns())
    # one row each: ends before it starts, 130 years old, 800 hours, toewijzing in 2099
    for change in ("einddatum = DATE '2019-01-01'", "geboortedatum = DATE '1889-01-01'",
                   "volume = 800, eenheid = '04'", "toewijzingsdatum = DATE '2099-01-01'"):
        con.execute(f"INSERT INTO raw.indicaties SELECT {cols}, source_file, (SELECT max(source_line) + 1 FROM raw.indicaties) "
                    "FROM raw.indicaties WHERE source_line = 2")
        con.execute(f"UPDATE raw.indicaties SET {change} WHERE source_line = (SELECT max(source_line) FROM raw.indicaties)")
    summary = validate_new_rows(con, c, "run-1")
    failed = " ".join(summary["failed"])
    assert not summary["success"]
    assert "expect_column_pair_values_a_to_be_greater_than_b(einddatum, ingangsdatum): 1 rijen" in failed
    assert "expect_column_values_to_be_between(_leeftijd_geboortedatum): 1 rijen" in failed
    assert "expect_column_values_to_be_between(volume): 1 rijen" in failed
    assert "expect_column_values_to_be_between(toewijzingsdatum): 1 rijen" in failed


# ---------------------------------------------------------------------------------------------
# Delivery order and structural failures
# ---------------------------------------------------------------------------------------------


def test_the_later_delivery_wins_by_delivery_time_not_by_name(tmp_path):
    """A file delivered later wins in staging even when its name sorts first."""
    from pathlib import Path

    staging = (Path(__file__).resolve().parents[1] / "sql/staging/aanbieders.sql").read_text()
    write(tmp_path / "landing/aanbieders/2024_z_eerste_levering.csv", ["aanbieder_agb;naam", "98000001;Oude naam"])
    con, _ = ingest(tmp_path, "aanbieders")
    con.close()
    write(tmp_path / "landing/aanbieders/2024_a_correctie.csv", ["aanbieder_agb;naam", "98000001;Nieuwe naam"])
    con, res = ingest(tmp_path, "aanbieders")
    assert res["aanbieders/2024_a_correctie.csv"].rows_loaded == 1
    assert con.execute(staging).fetchall() == [("98000001", "Nieuwe naam")]
    first = dict(con.execute("SELECT source_file, first_seen_at FROM meta.ingestion_ledger").fetchall())
    assert first["aanbieders/2024_a_correctie.csv"] > first["aanbieders/2024_z_eerste_levering.csv"]


def test_a_file_missing_a_required_column_is_fout_and_the_failed_files_check_sees_it(tmp_path):
    from dagster_duckdb import DuckDBResource

    from hbh_monitor.defs.ingestion.checks import no_failed_files, rows_accounted_for

    # ingangsdatum is required (volume is not: a budget-only toewijzing has none)
    write(tmp_path / "landing/indicaties/a.csv", [HEADER.replace(";ingangsdatum", ""), good(0).replace(";15-01-2020", "")])
    write(tmp_path / "landing/indicaties/b.csv", [HEADER, good(1)])
    con, res = ingest(tmp_path)
    r = res["indicaties/a.csv"]
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("fout", 1, 0, 1)
    assert "ingangsdatum" in r.message and r.message.startswith("indicaties/a.csv: ")
    con.close()
    resource = DuckDBResource(database=str(tmp_path / "w.duckdb"))
    c = contract("indicaties")
    check = no_failed_files(c)(duckdb=resource)
    assert not check.passed and "a.csv" in check.metadata["messages"].value
    assert rows_accounted_for(c)(duckdb=resource).passed


def test_the_fast_path_and_the_line_by_line_reader_give_the_same_rows(tmp_path):
    """A file whose every line is one record is split by DuckDB (fast); the result must equal the
    csv module's, rows, lines, values and reasons alike."""
    from hbh_monitor.gate import ClearRoom
    from hbh_monitor.ingest import read_fingerprint
    from hbh_monitor.readers.csv import read_csv

    fields = HEADER.split(";")
    rows = [good(i) for i in range(6)]
    rows[1] = rows[1].replace(";ZIN;", ';"ZIN";')                  # a quoted field
    rows[2] = rows[2].replace(";01A01;", ';"01A;01";')              # a separator inside quotes
    rows[3] = rows[3].replace(";WK990101;", ';"WK""99";')           # a doubled quote
    rows[4] = rows[4].replace(";15-01-2020;", ";;")                 # an empty required field
    lines = [HEADER + ";opmerking", *[r + ";x" for r in rows[:3]], ";" * len(fields), *[r + ";" for r in rows[3:]]]
    f = tmp_path / "a.csv"
    f.write_bytes(("\n".join(lines)).encode())  # no line feed after the last line
    c = contract("indicaties")
    outcomes = []
    for fast in (True, False):
        digest, utf8, plain = read_fingerprint(f)
        assert plain.plain
        with ClearRoom() as room:
            d = read_csv(f, c, utf8, plain if fast else None, room.con)
            assert (d.source is not None) == fast
            out = room.gate(c, d, KEY, [])
            outcomes.append((out.rows_in, out.rows_loaded, out.rows_quarantined, out.loaded.read_all().to_pylist(),
                             out.quarantine.to_pylist()))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][:3] == (6, 3, 3)
    assert [r["source_line"] for r in outcomes[0][3]] == [2, 3, 8]  # line 5 holds only separators
