"""Readers for every delivered format (xlsx, Parquet, iWmo 3.2 XML, messy CSV) through the one gate.

Small files are written here; the official iWmo 3.2 example messages are read from
../shared/reference (never copied into the repo).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbh_monitor.contracts import contract
from hbh_monitor.ingest import DELIVERY_ORDER_DDL, LEDGER_DDL, ingest_dataset
from hbh_monitor.pseudonym import client_id
from hbh_monitor.readers import render
from hbh_monitor.readers.iwmo import parse_rows
from support import needs_shared

KEY = b"test-key"
ROOT = Path(__file__).resolve().parents[1]
IWMO = ROOT.parent / "shared" / "reference" / "iwmo"
needs_reference = needs_shared(IWMO, "the official iWmo examples and schemas")  # fails under CI when missing

NS301 = "http://www.istandaarden.nl/iwmo/3_2/wmo301/schema"
NS323 = "http://www.istandaarden.nl/iwmo/3_2/wmo323/schema"
NSB = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"


def elfproef(b: str) -> bool:
    return sum(w * int(d) for w, d in zip([9, 8, 7, 6, 5, 4, 3, 2, -1], b)) % 11 == 0 and b != "000000000"


VALID_BSNS = [b for b in (f"9999{n:05d}" for n in range(0, 3000)) if elfproef(b)][:40]
ZERO_BSN = next(b for b in (f"0{n:08d}" for n in range(12345600, 12346600)) if elfproef(b))


def ingest(tmp_path: Path, dataset: str):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    return con, {r.source_file: r for r in ingest_dataset(con, contract(dataset), tmp_path / "landing", KEY)}


def rows(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


def assert_no_bsn_on_disk(tmp_path: Path, con, *bsns: str) -> None:
    con.execute("CHECKPOINT")
    data = (tmp_path / "w.duckdb").read_bytes()
    for b in bsns:
        assert b.encode() not in data


# ---------------------------------------------------------------------------------------------
# render(): typed cells → gate text
# ---------------------------------------------------------------------------------------------


def test_render_turns_typed_values_into_gate_text():
    c = contract("declaraties")
    col = {x.name: x for x in c.columns}
    assert render(dt.datetime(2024, 3, 1), col["begindatum"]) == "2024-03-01"
    assert render(dt.date(2024, 3, 1), col["begindatum"]) == "2024-03-01"
    assert render(45352, col["begindatum"]) == "2024-03-01"  # Excel serial day number in a date column
    assert render(150.0, col["geleverd_volume"]) == "150"
    assert render(12.34, col["bedrag"]) == "12.34"
    assert render(Decimal("12.50"), col["bedrag"]) == "12.5"
    assert render(12345672, col["bsn"]) == "012345672"  # leading zero lost in a number cell
    assert render(1234567.0, col["aanbieder_agb"]) == "01234567"
    assert render("31-02-2024", col["begindatum"]) == "31-02-2024"
    assert render(None, col["bsn"]) is None


# ---------------------------------------------------------------------------------------------
# iWmo 3.2: the official example messages
# ---------------------------------------------------------------------------------------------


@needs_reference
def test_official_wmo301_example_parses_to_the_expected_row():
    code, parsed, rejects = parse_rows(IWMO / "iwmo-3.2/berichten/WMO301.xml")
    assert code == "WMO301" and rejects == []
    ((line, row),) = parsed
    assert line == 164  # the <wmo301:ToegewezenProduct> start tag
    assert row == {
        "bsn": "999900006", "geboortedatum": "1967-08-13", "geslacht": "1", "gemeente_code": "GM0384",
        "toewijzing_nummer": "101", "product_code": "01A01", "leveringsvorm": "ZIN", "aanbieder_agb": "42420001",
        "toewijzingsdatum": "2023-08-13", "ingangsdatum": "2023-01-01", "einddatum": "2023-12-31",
        "volume": "10", "eenheid": "01", "frequentie": "1", "reden_wijziging": None,
        "categorie": "01", "budget": None,
    }


@needs_reference
def test_official_wmo323_example_parses_to_euro_amounts():
    code, parsed, rejects = parse_rows(IWMO / "iwmo-3.2/berichten/WMO323.xml")
    assert code == "WMO323" and rejects == []
    assert [(r["bsn"], r["referentie_nummer"], r["bedrag"], r["geleverd_volume"], r["eenheid"]) for _, r in parsed] == [
        ("999900006", "RN001", "50.00", "4", "04"), ("999900006", "RN002", "240.00", "16", "04"),
        ("999900018", "RN003", "50.00", "4", "04"), ("999900018", "RN004", "240.00", "16", "04"),
    ]
    assert {(r["gemeente_code"], r["aanbieder_agb"], r["declaratie_nummer"], r["debet_credit"]) for _, r in parsed} == {
        ("GM0384", "65656055", "DN001", "D")}
    assert [line for line, _ in parsed] == [33, 52, 76, 95]


@needs_reference
def test_official_examples_through_the_gate(tmp_path):
    (tmp_path / "landing/declaraties").mkdir(parents=True)
    (tmp_path / "landing/indicaties").mkdir(parents=True)
    (tmp_path / "landing/declaraties/WMO323.xml").write_bytes((IWMO / "iwmo-3.2/berichten/WMO323.xml").read_bytes())
    (tmp_path / "landing/indicaties/WMO301.xml").write_bytes((IWMO / "iwmo-3.2/berichten/WMO301.xml").read_bytes())
    con, res = ingest(tmp_path, "declaraties")
    r = res["declaraties/WMO323.xml"]
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("geladen", 4, 4, 0)
    got = rows(con, "SELECT referentie_nummer, bedrag, gemeente_code, client_id, source_line FROM raw.declaraties ORDER BY 1")
    assert got[0] == ("RN001", 50.0, "GM0384", client_id(KEY, "999900006"), 33)
    assert sum(g[1] for g in got) == 580.0  # = TotaalIngediendBedrag 58000 cent
    assert rows(con, "SELECT file_format FROM meta.ingestion_ledger")[0][0] == "iwmo-wmo323"
    con.close()
    con, res = ingest(tmp_path, "indicaties")
    r = res["indicaties/WMO301.xml"]
    # the example allocates 10 minutes per day (frequentie 1): valid by the standard, so it loads
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (1, 1, 0)
    assert rows(con, "SELECT frequentie, source_line FROM raw.indicaties") == [("1", 164)]
    assert_no_bsn_on_disk(tmp_path, con, "999900006", "999900018")


def wmo301(products: str, afzender="9903", ontvanger="98104521", bsn="999900006", ns=NS301) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<m:Bericht xmlns:m="{ns}" xmlns:iwmo="{NSB}">
  <m:Header><m:BerichtCode>414</m:BerichtCode><m:BerichtVersie>3</m:BerichtVersie><m:BerichtSubversie>2</m:BerichtSubversie>
    <m:Afzender>{afzender}</m:Afzender><m:Ontvanger>{ontvanger}</m:Ontvanger></m:Header>
  <m:Client><m:Bsn>{bsn}</m:Bsn><m:Geboortedatum><iwmo:Datum>1940-02-01</iwmo:Datum></m:Geboortedatum><m:Geslacht>2</m:Geslacht>
    <m:ToegewezenProducten>
{products}
    </m:ToegewezenProducten>
  </m:Client>
</m:Bericht>
"""


def product(nummer: int, categorie="01", code="01A01", volume="150", einde="") -> str:
    end = f"<m:Einddatum>{einde}</m:Einddatum>" if einde else ""
    return f"""      <m:ToegewezenProduct>
        <m:ToewijzingNummer>{nummer}</m:ToewijzingNummer>
        <m:Product><iwmo:Categorie>{categorie}</iwmo:Categorie><iwmo:Code>{code}</iwmo:Code></m:Product>
        <m:Toewijzingsdatum>2024-01-02</m:Toewijzingsdatum><m:Ingangsdatum>2024-01-15</m:Ingangsdatum>{end}
        <m:Omvang><iwmo:Volume>{volume}</iwmo:Volume><iwmo:Eenheid>01</iwmo:Eenheid><iwmo:Frequentie>2</iwmo:Frequentie></m:Omvang>
      </m:ToegewezenProduct>"""


def test_wmo301_rows_categories_and_wijk_from_the_client_registration(tmp_path):
    d = tmp_path / "landing/indicaties"
    d.mkdir(parents=True)
    (d / "m1.xml").write_text(wmo301("\n".join([product(1), product(2, categorie="02", code="02A01"),
                                                product(3, volume="twee", einde="2024-12-31")])))
    con, res = ingest(tmp_path, "indicaties")
    r = res["indicaties/m1.xml"]
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined) == (3, 1, 2)
    q = dict(rows(con, "SELECT rules, reason FROM meta.quarantine"))
    assert "productcategorie 02 is geen hulp bij het huishouden" in q["categorie"]
    assert "'twee' is geen geheel getal" in q["type:volume"]
    assert "999900006" not in json.dumps(rows(con, "SELECT record FROM meta.quarantine"))
    loaded = rows(con, "SELECT gemeente_code, aanbieder_agb, leveringsvorm, wijk_code, volume, source_line FROM raw.indicaties")
    assert loaded == [("GM9903", "98104521", "ZIN", None, 150, 7)]  # line of <m:ToegewezenProduct>
    assert_no_bsn_on_disk(tmp_path, con, "999900006")


def test_xml_matches_local_names_in_both_namespaces_and_ignores_foreign_ones(tmp_path):
    msg = wmo301(product(7)).replace(
        "<iwmo:Code>01A01</iwmo:Code>", "<iwmo:Code>01A01</iwmo:Code><x:Code xmlns:x='urn:other'>ZZZZZ</x:Code>"
    ).replace("<m:ToewijzingNummer>7</m:ToewijzingNummer>", "<iwmo:ToewijzingNummer>7</iwmo:ToewijzingNummer>")
    p = tmp_path / "a.xml"
    p.write_text(msg)
    _, parsed, _ = parse_rows(p)
    assert [(r["toewijzing_nummer"], r["product_code"]) for _, r in parsed] == [("7", "01A01")]


# ---------------------------------------------------------------------------------------------
# Broken files: a clear ledger status and message naming the file (and line)
# ---------------------------------------------------------------------------------------------


def _ledger(con, name):
    return rows(con, "SELECT status, message, rows_in, rows_loaded, rows_quarantined FROM meta.ingestion_ledger WHERE source_file LIKE ?", ["%" + name])[0]


def test_broken_xml_corpus(tmp_path):
    d = tmp_path / "landing/indicaties"
    d.mkdir(parents=True)
    good = wmo301("\n".join(product(n) for n in range(1, 4)))
    (d / "a_good.xml").write_text(good)
    (d / "b_empty.xml").write_bytes(b"")
    truncated = good[: good.index("<m:ToewijzingNummer>2")]
    (d / "c_truncated.xml").write_text(truncated)
    (d / "d_wrong_ns.xml").write_text(wmo301(product(1), ns="urn:example:not-iwmo"))
    (d / "e_wmo305.xml").write_text(wmo301(product(1), ns="http://www.istandaarden.nl/iwmo/3_2/wmo305/schema"))
    (d / "f_wmo323_in_wrong_folder.xml").write_text(wmo301(product(1), ns=NS323))
    (d / "g_doctype.xml").write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    (d / "h_not_xml.xml").write_text("bsn;naam\n1;2\n")
    if IWMO.is_dir():
        (d / "i_iwmo2.xml").write_bytes((IWMO / "iwmo-2.x/voorbeeldberichten/xml/CasusA-02-WMO301_toewijzing.xml").read_bytes())
    con, res = ingest(tmp_path, "indicaties")
    assert res["indicaties/a_good.xml"].rows_loaded == 3
    status, msg, *_ = _ledger(con, "b_empty.xml")
    assert status == "fout" and "b_empty.xml" in msg and "leeg" in msg
    status, msg, *_ = _ledger(con, "c_truncated.xml")
    assert status == "fout" and "c_truncated.xml" in msg and f"regel {truncated.count(chr(10)) + 1}" in msg
    assert rows(con, "SELECT count(*) FROM raw.indicaties WHERE source_file LIKE '%truncated%'")[0][0] == 0
    status, msg, *_ = _ledger(con, "d_wrong_ns.xml")
    assert status == "fout" and "urn:example:not-iwmo" in msg
    status, msg, *_ = _ledger(con, "e_wmo305.xml")
    assert status == "fout" and "WMO305" in msg and "wmo305/schema" in msg
    status, msg, *_ = _ledger(con, "f_wmo323_in_wrong_folder.xml")
    assert status == "fout" and "declaraties" in msg
    status, msg, *_ = _ledger(con, "g_doctype.xml")
    assert status == "fout" and "DOCTYPE" in msg
    status, msg, *_ = _ledger(con, "h_not_xml.xml")
    assert status == "fout" and "h_not_xml.xml" in msg and "regel 1" in msg
    if IWMO.is_dir():
        status, msg, *_ = _ledger(con, "i_iwmo2.xml")
        assert status == "fout" and "http://www.istandaarden.nl/iwmo/2_0/wmo301/schema/2_0" in msg and "3.2" in msg


def test_broken_tabular_corpus(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = tmp_path / "landing/declaraties"
    d.mkdir(parents=True)
    (d / "a_empty.xlsx").write_bytes(b"")
    (d / "b_not_a_zip.xlsx").write_bytes(b"bsn;bedrag\n999900006;12,50\n")
    (d / "c_not_parquet.parquet").write_bytes(b"PAR1 this is not parquet")
    cols = {c: [_decl("R1", VALID_BSNS[0])[c]] for c in DECL if c != "bedrag"}
    pq.write_table(pa.table(cols), d / "d_missing_column.parquet")
    (d / "e_long_line.csv").write_text("bsn;bedrag\n999900006;" + "9" * 2_100_000 + "\n999900018;1\n")
    con, res = ingest(tmp_path, "declaraties")
    status, msg, *_ = _ledger(con, "a_empty.xlsx")
    assert status == "fout" and "a_empty.xlsx" in msg and "leeg" in msg
    status, msg, *_ = _ledger(con, "b_not_a_zip.xlsx")
    assert status == "fout" and "b_not_a_zip.xlsx" in msg and "Excel" in msg
    status, msg, *_ = _ledger(con, "c_not_parquet.parquet")
    assert status == "fout" and "c_not_parquet.parquet" in msg and "Parquet" in msg
    status, msg, n_in, n_ok, n_q = _ledger(con, "d_missing_column.parquet")
    # every row refused for a missing column: the file is "fout" (the failed-files check sees it)
    assert (status, n_in, n_ok, n_q) == ("fout", 1, 0, 1) and "bedrag" in msg
    assert "kolom bedrag ontbreekt in het bestand" in rows(con, "SELECT reason FROM meta.quarantine WHERE source_file LIKE '%d_missing%'")[0][0]
    status, msg, n_in, n_ok, n_q = _ledger(con, "e_long_line.csv")
    assert status == "fout" and n_in == n_ok + n_q == 2  # fout: it lacks required columns too
    reason, line, record = rows(con, "SELECT reason, source_line, record FROM meta.quarantine WHERE source_file LIKE '%long_line%' AND rules = 'parse'")[0]
    assert line == 2 and "langer dan 131.072 tekens" in reason and (record is None or len(record) <= 2000)


# ---------------------------------------------------------------------------------------------
# Excel and Parquet with typed cells
# ---------------------------------------------------------------------------------------------

# the columns of a declaraties export (the contract also has optional iWmo-only columns)
DECL = ["declaratie_nummer", "gemeente_code", "aanbieder_agb", "bsn", "referentie_nummer", "toewijzing_nummer",
        "product_code", "begindatum", "einddatum", "geleverd_volume", "eenheid", "bedrag", "debet_credit"]


def _decl(ref: str, bsn: str, **kw) -> dict:
    row = dict(declaratie_nummer="D1", gemeente_code="GM9901", aanbieder_agb="98104521", bsn=bsn, referentie_nummer=ref,
               toewijzing_nummer=100001, product_code="01A01", begindatum=dt.date(2024, 3, 1),
               einddatum=dt.date(2024, 3, 31), geleverd_volume=600, eenheid="01", bedrag=275.5, debet_credit="D")
    row.update(kw)
    return row


def test_xlsx_real_dates_numbers_text_dates_and_row_numbers(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([c.upper() if i % 2 else c for i, c in enumerate(DECL)])  # header case does not matter
    ws.append([_decl("R1", VALID_BSNS[0])[c] for c in DECL])
    ws.append([_decl("R2", int(ZERO_BSN), begindatum="01-03-2024", einddatum="2024-03-31",
                     geleverd_volume=600.0, toewijzing_nummer="100001")[c] for c in DECL])
    ws.append([None] * len(DECL))  # empty row: not a row
    ws.append([_decl("R3", VALID_BSNS[1], begindatum="31-02-2024")[c] for c in DECL])
    ws.append([_decl("R4", VALID_BSNS[2], begindatum=dt.datetime(2024, 3, 1, 0, 0), bedrag=Decimal("10.25"))[c] for c in DECL])
    (tmp_path / "landing/declaraties").mkdir(parents=True)
    wb.save(tmp_path / "landing/declaraties/a.xlsx")
    con, res = ingest(tmp_path, "declaraties")
    r = res["declaraties/a.xlsx"]
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("geladen", 4, 3, 1)
    got = rows(con, "SELECT referentie_nummer, client_id, begindatum, geleverd_volume, bedrag, source_line FROM raw.declaraties ORDER BY 1")
    assert got == [
        ("R1", client_id(KEY, VALID_BSNS[0]), dt.date(2024, 3, 1), 600, 275.5, 2),
        ("R2", client_id(KEY, ZERO_BSN), dt.date(2024, 3, 1), 600, 275.5, 3),
        ("R4", client_id(KEY, VALID_BSNS[2]), dt.date(2024, 3, 1), 600, 10.25, 6),
    ]
    assert rows(con, "SELECT rules, source_line FROM meta.quarantine") == [("type:begindatum", 5)]
    assert rows(con, "SELECT file_format FROM meta.ingestion_ledger")[0][0] == "xlsx"
    assert_no_bsn_on_disk(tmp_path, con, *VALID_BSNS[:3], ZERO_BSN)


def test_parquet_typed_columns_and_row_numbers(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    recs = [_decl("R1", VALID_BSNS[0]), _decl("R2", VALID_BSNS[1]), _decl("R3", VALID_BSNS[2])]
    cols = {c: [r[c] for r in recs] for c in DECL}
    cols["bsn"] = pa.array([int(r["bsn"]) for r in recs[:2]] + [int(ZERO_BSN)], pa.int64())  # BSN stored as number
    # a timestamp at midnight is a date; one with a time of day is not
    cols["begindatum"] = pa.array([dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 1, 10, 30), dt.datetime(2024, 3, 1)],
                                  pa.timestamp("us"))
    cols["geleverd_volume"] = pa.array([600.0, 75.0, 90.0], pa.float64())
    cols["Extra Kolom"] = ["a", "b", "c"]
    (tmp_path / "landing/declaraties").mkdir(parents=True)
    pq.write_table(pa.table(cols), tmp_path / "landing/declaraties/a.parquet")
    con, res = ingest(tmp_path, "declaraties")
    r = res["declaraties/a.parquet"]
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("geladen", 3, 2, 1)
    got = rows(con, "SELECT referentie_nummer, client_id, begindatum, einddatum, geleverd_volume, source_line FROM raw.declaraties ORDER BY 1")
    assert got == [
        ("R1", client_id(KEY, VALID_BSNS[0]), dt.date(2024, 3, 1), dt.date(2024, 3, 31), 600, 2),
        ("R3", client_id(KEY, ZERO_BSN), dt.date(2024, 3, 1), dt.date(2024, 3, 31), 90, 4),
    ]
    assert rows(con, "SELECT rules, source_line FROM meta.quarantine") == [("type:begindatum", 3)]
    assert_no_bsn_on_disk(tmp_path, con, *VALID_BSNS[:3], ZERO_BSN)


@needs_reference
def test_xsd_validation_when_a_schema_folder_is_configured(tmp_path, monkeypatch):
    pytest.importorskip("lxml")
    monkeypatch.setenv("HBH_IWMO_XSD_DIR", str(IWMO / "iwmo-3.2/xsd"))
    d = tmp_path / "landing/declaraties"
    d.mkdir(parents=True)
    good = (IWMO / "iwmo-3.2/berichten/WMO323.xml").read_text()
    (d / "a_valid.xml").write_text(good)
    (d / "b_invalid.xml").write_text(good.replace("<iwmo:Bedrag>5000</iwmo:Bedrag>", "<iwmo:Bedrag>50,00</iwmo:Bedrag>"))
    con, res = ingest(tmp_path, "declaraties")
    assert res["declaraties/a_valid.xml"].rows_loaded == 4
    status, msg, *_ = _ledger(con, "b_invalid.xml")
    assert status == "fout" and "WMO323.xsd" in msg and "regel" in msg


# ---------------------------------------------------------------------------------------------
# Property test: messy CSV exports
# ---------------------------------------------------------------------------------------------

BREAK = {  # column → a value that surely breaks one of its rules
    "bsn": "123456789", "begindatum": "31-02-2020", "geleverd_volume": "twee", "bedrag": "12,3,4",
    "debet_credit": "X", "product_code": "", "gemeente_code": "9901",
}
TEXT = st.text(alphabet="abcXYZ é€;,\"'\n", max_size=12)
ROW = st.fixed_dictionaries({
    "bsn": st.sampled_from(VALID_BSNS),
    # within the contract's plausibility: not after today, at most a month of minutes (eenheid 01)
    "begindatum": st.dates(dt.date(2000, 1, 1), dt.date.today()),
    "geleverd_volume": st.integers(0, 44_640),
    "cents": st.integers(0, 9_999_999),
    "debet_credit": st.sampled_from(["D", "C"]),
    "opmerking": TEXT,
    "broken": st.one_of(st.none(), st.sampled_from(sorted(BREAK))),
})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    records=st.lists(ROW, min_size=0, max_size=12),
    sep=st.sampled_from([";", ","]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    decimal_comma=st.booleans(),
    thousands=st.booleans(),
    iso=st.booleans(),
    crlf=st.booleans(),
)
def test_messy_csv_every_row_accounted_for_and_valid_rows_typed(tmp_path_factory, records, sep, encoding, decimal_comma,
                                                              thousands, iso, crlf):
    tmp = tmp_path_factory.mktemp("csv")
    header = [c for c in DECL] + ["opmerking"]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n" if crlf else "\n")
    w.writerow(header)
    expected = {}
    for i, r in enumerate(records, start=1):
        euros = Decimal(r["cents"]).scaleb(-2)
        bedrag = f"{euros:.2f}"
        if decimal_comma:
            whole, frac = bedrag.split(".")
            if thousands:
                whole = f"{int(whole):,}".replace(",", ".")
            bedrag = f"{whole},{frac}"
        day = r["begindatum"]
        vals = {
            "declaratie_nummer": "D1", "gemeente_code": "GM9901", "aanbieder_agb": "98104521", "bsn": r["bsn"],
            "referentie_nummer": f"R{i}", "toewijzing_nummer": "100001", "product_code": "01A01",
            "begindatum": day.isoformat() if iso else day.strftime("%d-%m-%Y"), "einddatum": day.isoformat(),
            "geleverd_volume": str(r["geleverd_volume"]), "eenheid": "01", "bedrag": bedrag,
            "debet_credit": r["debet_credit"], "opmerking": r["opmerking"],
        }
        if r["broken"]:
            vals[r["broken"]] = BREAK[r["broken"]]
        else:
            expected[f"R{i}"] = (client_id(KEY, r["bsn"]), day, r["geleverd_volume"], euros, r["debet_credit"])
        w.writerow([vals[h] for h in header])
    path = tmp / "landing/declaraties/export.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    con, res = ingest(tmp, "declaraties")
    r = res["declaraties/export.csv"]
    assert r.status == "geladen", r.message
    assert r.rows_in == len(records) == r.rows_loaded + r.rows_quarantined
    assert r.rows_loaded == len(expected)
    got = {ref: (cid, day, vol, bedrag, dc) for ref, cid, day, vol, bedrag, dc in rows(
        con, "SELECT referentie_nummer, client_id, begindatum, geleverd_volume, bedrag, debet_credit FROM raw.declaraties")}
    assert got == expected
    con.close()


# ---------------------------------------------------------------------------------------------
# staging.indicaties: the wijk of an indicatie without one comes from the client registration
# ---------------------------------------------------------------------------------------------


def test_missing_wijk_is_taken_from_the_registration_valid_at_the_start():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA staging")
    con.execute(LEDGER_DDL + DELIVERY_ORDER_DDL)  # staging orders deliveries by the ledger
    con.execute(contract("indicaties").create_table_sql())
    con.execute(contract("clienten").create_table_sql())
    con.execute("CREATE TABLE staging.producten (gemeente_code VARCHAR, product_code VARCHAR, year INTEGER, "
                "weeks_per_visit INTEGER, product_kind VARCHAR)")
    cols = [n for n, _ in contract("indicaties").loaded_columns()]

    def indicatie(cid, nummer, start, wijk=None):
        vals = dict.fromkeys(cols)
        vals.update(client_id=cid, gemeente_code="GM9903", toewijzing_nummer=nummer, ingangsdatum=start,
                    wijk_code=wijk, volume=60, eenheid="01", frequentie="2", product_code="01A01")
        con.execute(f"INSERT INTO raw.indicaties ({', '.join(cols)}, source_file, source_line) "
                    f"VALUES ({', '.join('?' * len(cols))}, 'f', ?)", [vals[c] for c in cols] + [nummer])

    reg = [(1, "WK990301", "2010-01-01"), (1, "WK990302", "2020-06-01"), (2, "WK990303", "2023-01-01"),
           (2, "WK990304", "2024-01-01")]
    for cid, wijk, since in reg:
        con.execute("INSERT INTO raw.clienten (client_id, wijk_code, geldig_vanaf, source_file, source_line) "
                    "VALUES (?, ?, ?, 'c', 1)", [cid, wijk, since])
    indicatie(1, 1, dt.date(2019, 5, 1))  # before the move: the old wijk
    indicatie(1, 2, dt.date(2021, 5, 1))  # after the move: the new wijk
    indicatie(1, 3, dt.date(2021, 5, 1), wijk="WK990309")  # delivered wijk wins
    indicatie(2, 4, dt.date(2015, 1, 1))  # before any registration: the latest one
    indicatie(3, 5, dt.date(2015, 1, 1))  # no registration at all: no wijk
    sql = (ROOT / "sql/staging/indicaties.sql").read_text()
    got = dict(con.execute(f"SELECT toewijzing_nummer, wijk_code FROM ({sql}) ORDER BY 1").fetchall())
    assert got == {1: "WK990301", 2: "WK990302", 3: "WK990309", 4: "WK990304", 5: None}
