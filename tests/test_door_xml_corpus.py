"""Messy iWmo XML deliveries, each followed by a clean message: the XML half of the messy-input corpus.

Every variant is made here from the official WMO301 example (read from ../shared/reference, never
copied) with its outcome worked out by hand: status, rows in / loaded / quarantined and a word of the
Dutch reason. The clean neighbour after each variant must load as if it were alone (one toegewezen
product on the line of its ``ToegewezenProduct``), and no input BSN may reach the warehouse file's bytes.

Run with ``-s`` to see the table (variant → in / loaded / quarantined / reason).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from hbh_monitor.contracts import contract
from hbh_monitor.ingest import ingest_dataset
from support import require_shared

KEY = b"xml-corpus-key"
ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "iwmo"
EXAMPLE_BSN = "999900006"  # the official example's test BSN
PRODUCT_LINE = 164  # <wmo301:ToegewezenProduct> in the official WMO301 example


@pytest.fixture(scope="module")
def wmo301() -> str:
    return (require_shared(REFERENCE / "iwmo-3.2" / "berichten", "the official iWmo 3.2 example messages")
            / "WMO301.xml").read_text(encoding="utf-8")


def corpus(wmo301: str) -> list[tuple[str, bytes, tuple]]:
    """(file name, bytes, (status, in, loaded, quarantined, word in the reason or message))."""
    ok = ("geladen", 1, 1, 0, "")
    latin = wmo301.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"', 1)
    assert latin != wmo301, "the example declares its encoding"
    out = [
        ("official.xml", wmo301.encode(), ok),
        ("bom.xml", b"\xef\xbb\xbf" + wmo301.encode(), ok),
        ("latin1_declared.xml", latin.encode("latin-1"), ok),
        ("crlf.xml", wmo301.replace("\n", "\r\n").encode(), ok),
        # the BSN fails the elfproef: the product is quarantined, not the file
        ("bsn_elfproef.xml", wmo301.replace(EXAMPLE_BSN, "999900007").encode(), ("geladen", 1, 0, 1, "elfproef")),
        # a code the standard does not know
        ("unknown_eenheid.xml", re.sub(r"(<iwmo:Eenheid>)\d+(</iwmo:Eenheid>)", r"\g<1>99\g<2>", wmo301, count=1).encode(),
         ("geladen", 1, 0, 1, "eenheid")),
        ("truncated.xml", wmo301.encode()[: len(wmo301) // 2], ("fout", None, None, None, "houdt midden in een element op")),
        ("csv_named_xml.xml", b"bsn;volume\r\n123456782;3\r\n", ("fout", None, None, None, "begint niet met een XML-element")),
        ("empty.xml", b"", ("fout", None, None, None, "leeg")),
        ("doctype_entity.xml",
         wmo301.replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>", 1).encode(),
         ("fout", None, None, None, "DOCTYPE")),
        ("wrong_release.xml", wmo301.replace("iwmo/3_2/", "iwmo/3_1/").encode(), ("fout", None, None, None, "3.1")),
    ]
    legacy = REFERENCE / "iwmo-2.x" / "voorbeeldberichten" / "xml" / "CasusB-01-WMO301_toewijzing.xml"
    if legacy.is_file():
        out.append(("iwmo_2x.xml", legacy.read_bytes(), ("fout", None, None, None, "iWmo")))
    return out


def test_messy_xml_each_file_on_its_own(tmp_path, wmo301):
    land = tmp_path / "landing/indicaties"
    land.mkdir(parents=True)
    items = corpus(wmo301)
    for k, (name, data, _) in enumerate(items):
        (land / f"{k:02d}a_{name}").write_bytes(data)
        (land / f"{k:02d}b_clean_neighbour.xml").write_bytes(wmo301.encode())
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    res = {r.source_file: r for r in ingest_dataset(con, contract("indicaties"), tmp_path / "landing", KEY)}

    def counted(f: str) -> tuple[int, int]:
        return (con.execute("SELECT count(*) FROM raw.indicaties WHERE source_file = ?", [f]).fetchall()[0][0],
                con.execute("SELECT count(*) FROM meta.quarantine WHERE source_file = ?", [f]).fetchall()[0][0])

    table = [("variant", "status", "in", "geladen", "quarantaine", "reden / melding")]
    problems = []
    for k, (name, _, (status, n_in, n_ok, n_q, word)) in enumerate(items):
        f = f"indicaties/{k:02d}a_{name}"
        r = res[f]
        reasons = "; ".join(sorted({x for (x,) in con.execute(
            "SELECT reason FROM meta.quarantine WHERE source_file = ?", [f]).fetchall()}))
        message = r.message or ""
        table.append((name, r.status, r.rows_in, r.rows_loaded, r.rows_quarantined, (reasons or message)[:110]))
        if (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) != (status, n_in, n_ok, n_q):
            problems.append(f"{name}: {(r.status, r.rows_in, r.rows_loaded, r.rows_quarantined)} != "
                            f"{(status, n_in, n_ok, n_q)} ({reasons or message})")
        if r.rows_in is not None and counted(f) != (r.rows_loaded, r.rows_quarantined):
            problems.append(f"{name}: tables hold {counted(f)}, ledger {(r.rows_loaded, r.rows_quarantined)}")
        if word and word.lower() not in (reasons + " " + message).lower():
            problems.append(f"{name}: '{word}' not in {reasons or message!r}")
        if status == "fout" and ("/tmp" in message or "Traceback" in message or "Error" in message):
            problems.append(f"{name}: the message shows internals: {message!r}")
        nb = f"indicaties/{k:02d}b_clean_neighbour.xml"
        rn = res[nb]
        lines = [x for (x,) in con.execute(
            "SELECT source_line FROM raw.indicaties WHERE source_file = ?", [nb]).fetchall()]
        if (rn.status, rn.rows_in, rn.rows_loaded, rn.rows_quarantined) != ("geladen", 1, 1, 0) \
                or counted(nb) != (1, 0) or lines != [PRODUCT_LINE]:
            problems.append(f"neighbour of {name}: {rn}, lines {lines}")
    widths = [max(len(str(row[i])) for row in table) for i in range(5)]
    print("\n" + "\n".join(" | ".join(str(v).ljust(w) for v, w in zip(row[:5], widths)) + " | " + str(row[5])
                           for row in table))
    assert not problems, "\n".join(problems)
    con.execute("CHECKPOINT")
    con.close()
    assert EXAMPLE_BSN.encode() not in (tmp_path / "w.duckdb").read_bytes()
