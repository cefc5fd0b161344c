"""The front door: each file judged on its own, no BSN byte on disk, encodings detected, Dutch errors.

Small files are written here and loaded with :func:`hbh_monitor.ingest.ingest_dataset` (no Dagster);
the oracles are counted from the files themselves, never from the pipeline's SQL.
"""

from __future__ import annotations

import duckdb

from hbh_monitor.contracts import contract
from hbh_monitor.ingest import ingest_dataset

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
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (5, 3, 2)
    loaded = con.execute("SELECT wijk_code, source_line FROM raw.wijken ORDER BY source_line").fetchall()
    assert loaded == [("WK990101", 2), ("WK990103", 6), ("WK990104", 8)]
    q = con.execute("SELECT source_line, reason FROM meta.quarantine ORDER BY source_line").fetchall()
    assert [x for x, _ in q] == [5, 7]
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
