"""iWmo 3.2 as a municipality holds it: the official example messages field by field, every Omvang
the standard allows converted to hours per week (or explicitly "geen uren"), and schema errors on
their real line.

The official examples are read from ../shared/reference (never copied into the repo). Under CI
(``CI`` set) a missing reference folder fails with a clear message instead of skipping.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbh_monitor.contracts import contract
from hbh_monitor.ingest import ensure_tables, ingest_dataset
from hbh_monitor.models import build, sql_models
from hbh_monitor.pseudonym import client_id
from support import require_shared

KEY = b"test-key"
ROOT = Path(__file__).resolve().parents[1]
IWMO = ROOT.parent / "shared" / "reference" / "iwmo" / "iwmo-3.2"
BERICHTEN = IWMO / "berichten"
XSD = IWMO / "xsd"
NSB = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"
NS301 = "http://www.istandaarden.nl/iwmo/3_2/wmo301/schema"


@pytest.fixture(scope="module")
def reference():
    """The official example messages; under CI a missing ../shared fails, locally it skips loudly."""
    return require_shared(BERICHTEN, "the official iWmo 3.2 example messages")


def _load(tmp_path: Path, dataset: str, name: str, text: bytes):
    d = tmp_path / "landing" / dataset
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(text)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    res = {r.source_file: r for r in ingest_dataset(con, contract(dataset), tmp_path / "landing", KEY)}
    return con, res[f"{dataset}/{name}"]


def _rows(con, sql):
    cur = con.execute(sql)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


# ---------------------------------------------------------------------------------------------
# The official examples, every field checked by hand against the XML
# ---------------------------------------------------------------------------------------------


def test_official_wmo301_loads_with_every_field(tmp_path, reference):
    con, r = _load(tmp_path, "indicaties", "WMO301.xml", (reference / "WMO301.xml").read_bytes())
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("geladen", 1, 1, 0), r.message
    (row,) = _rows(con, "SELECT * EXCLUDE (source_file) FROM raw.indicaties")
    assert row == {
        "client_id": client_id(KEY, "999900006"), "geboortedatum": dt.date(1967, 8, 13), "geslacht": "1",
        "gemeente_code": "GM0384",  # Header/Afzender 0384
        "wijk_code": None,  # a WMO301 has no address
        "toewijzing_nummer": 101, "categorie": "01", "product_code": "01A01", "leveringsvorm": "ZIN",
        "aanbieder_agb": "42420001",  # Header/Ontvanger
        "toewijzingsdatum": dt.date(2023, 8, 13), "ingangsdatum": dt.date(2023, 1, 1),
        "einddatum": dt.date(2023, 12, 31), "volume": 10, "eenheid": "01", "frequentie": "1",
        "budget": None, "reden_wijziging": None, "urgentie": None,
        "source_line": 164,  # <wmo301:ToegewezenProduct>
    }


def test_official_wmo305_and_wmo307_load_as_zorgstarts_and_zorgstops(tmp_path, reference):
    con, r = _load(tmp_path, "zorgstarts", "WMO305.xml", (reference / "WMO305.xml").read_bytes())
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("geladen", 2, 2, 0), r.message
    got = _rows(con, "SELECT * EXCLUDE (source_file) FROM raw.zorgstarts ORDER BY source_line")
    me = client_id(KEY, "999900006")
    assert got == [
        {"client_id": me, "gemeente_code": "GM0363", "aanbieder_agb": "65656055", "toewijzing_nummer": 300201,
         "product_code": "01A11", "begindatum": dt.date(2025, 4, 3), "status_aanlevering": "1", "source_line": 33},
        {"client_id": me, "gemeente_code": "GM0363", "aanbieder_agb": "65656055", "toewijzing_nummer": 300202,
         "product_code": "01A12", "begindatum": dt.date(2025, 4, 4), "status_aanlevering": "1", "source_line": 43},
    ]
    assert con.execute("SELECT file_format FROM meta.ingestion_ledger").fetchall() == [("iwmo-wmo305",)]
    con.close()
    con, r = _load(tmp_path, "zorgstops", "WMO307.xml", (reference / "WMO307.xml").read_bytes())
    assert (r.status, r.rows_in, r.rows_loaded) == ("geladen", 2, 2)
    got = _rows(con, "SELECT * EXCLUDE (source_file) FROM raw.zorgstops ORDER BY source_line")
    assert got == [
        {"client_id": me, "gemeente_code": "GM0363", "aanbieder_agb": "65656055", "toewijzing_nummer": 300201,
         "product_code": "01A11", "begindatum": dt.date(2025, 4, 3), "einddatum": dt.date(2025, 7, 18),
         "reden_beeindiging": "31", "status_aanlevering": "1", "source_line": 33},
        {"client_id": me, "gemeente_code": "GM0363", "aanbieder_agb": "65656055", "toewijzing_nummer": 300202,
         "product_code": "01A12", "begindatum": dt.date(2025, 4, 15), "einddatum": dt.date(2025, 7, 18),
         "reden_beeindiging": "31", "status_aanlevering": "1", "source_line": 45},
    ]


def test_official_wmo323_loads_exact_amounts_and_the_header_total(tmp_path, reference):
    con, r = _load(tmp_path, "declaraties", "WMO323.xml", (reference / "WMO323.xml").read_bytes())
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("geladen", 4, 4, 0)
    got = _rows(con, "SELECT * EXCLUDE (source_file) FROM raw.declaraties ORDER BY source_line")
    a, b = client_id(KEY, "999900006"), client_id(KEY, "999900018")
    common = {"declaratie_nummer": "DN001", "gemeente_code": "GM0384", "aanbieder_agb": "65656055",
              "vorig_referentie_nummer": None, "product_categorie": "01", "begindatum": dt.date(2023, 4, 1),
              "einddatum": dt.date(2023, 4, 30), "eenheid": "04", "debet_credit": "D",
              "declaratie_totaal": Decimal("580.00")}
    assert got == [
        {**common, "client_id": a, "referentie_nummer": "RN001", "toewijzing_nummer": 20072, "product_code": "01A03",
         "geleverd_volume": 4, "product_tarief": Decimal("12.50"), "bedrag": Decimal("50.00"), "source_line": 33},
        {**common, "client_id": a, "referentie_nummer": "RN002", "toewijzing_nummer": 200730, "product_code": "01A04",
         "geleverd_volume": 16, "product_tarief": Decimal("15.00"), "bedrag": Decimal("240.00"), "source_line": 52},
        {**common, "client_id": b, "referentie_nummer": "RN003", "toewijzing_nummer": 20074, "product_code": "01A03",
         "geleverd_volume": 4, "product_tarief": Decimal("12.50"), "bedrag": Decimal("50.00"), "source_line": 76},
        {**common, "client_id": b, "referentie_nummer": "RN004", "toewijzing_nummer": 20073, "product_code": "01A04",
         "geleverd_volume": 16, "product_tarief": Decimal("15.00"), "bedrag": Decimal("240.00"), "source_line": 95},
    ]
    # exact: DECIMAL, not DOUBLE, and the sum equals TotaalIngediendBedrag 58000 eurocent to the cent
    assert con.execute("SELECT typeof(bedrag), sum(bedrag) FROM raw.declaraties GROUP BY ALL").fetchall() == [
        ("DECIMAL(18,2)", Decimal("580.00"))]


def test_official_wmo325_loads_every_answered_prestatie_with_its_retourcodes(tmp_path, reference):
    con, r = _load(tmp_path, "declaratie_antwoorden", "WMO325.xml", (reference / "WMO325.xml").read_bytes())
    assert (r.status, r.rows_in, r.rows_loaded, r.rows_quarantined) == ("geladen", 3, 3, 0), r.message
    got = [(x["referentie_nummer"], x["toewijzing_nummer"], x["product_code"], x["bedrag"], x["retourcodes"],
            x["gemeente_code"], x["aanbieder_agb"], x["declaratie_nummer"], x["source_line"])
           for x in _rows(con, "SELECT * FROM raw.declaratie_antwoorden ORDER BY source_line")]
    assert got == [
        ("RN001", 20072, "01A03", Decimal("50.00"), "0611", "GM0384", "65656055", "DN001", 44),
        ("RN002", 20073, "01A04", Decimal("240.00"), "9339 9340 9341", "GM0384", "65656055", "DN001", 66),
        ("RN003", 20074, "01A03", Decimal("50.00"), "9307", "GM0384", "65656055", "DN001", 98),
    ]


# ---------------------------------------------------------------------------------------------
# Every Omvang of the standard: hours per week, or explicitly no hours
# ---------------------------------------------------------------------------------------------

EENHEDEN = ("01", "04", "14", "16", "82", "83", "84")
FREQUENTIES = ("1", "2", "4", "6")
# Hand-computed hours per week for volume 3, valid 2024-01-01 .. 2024-03-31 (91 days = 13 weeks):
# unit in hours (minuut 1/60, uur 1, etmaal 24, dagdeel 4) × (per dag 7, per week 1, per maand 12/52,
# totaal 1/13). Stuks and euro's have no hours.
HAND = {
    ("01", "1"): 0.35, ("01", "2"): 0.05, ("01", "4"): 3 / 60 * 12 / 52, ("01", "6"): 3 / 60 / 13,
    ("04", "1"): 21.0, ("04", "2"): 3.0, ("04", "4"): 36 / 52, ("04", "6"): 3 / 13,
    ("14", "1"): 504.0, ("14", "2"): 72.0, ("14", "4"): 72 * 12 / 52, ("14", "6"): 72 / 13,
    ("16", "1"): 84.0, ("16", "2"): 12.0, ("16", "4"): 144 / 52, ("16", "6"): 12 / 13,
    **{(e, f): None for e in ("82", "83", "84") for f in FREQUENTIES},
}
NO_HOURS = {"82": "omvang in stuks", "83": "omvang in euro's", "84": "omvang in stuks"}


def _toewijzing(nummer: int, omvang: str, product: str = "<iwmo:Categorie>01</iwmo:Categorie><iwmo:Code>01A01</iwmo:Code>",
                einde: str | None = "2024-03-31", budget: str = "") -> str:
    end = f"<m:Einddatum>{einde}</m:Einddatum>" if einde else ""
    prod = f"<m:Product>{product}</m:Product>" if product else ""
    return (f"<m:ToegewezenProduct><m:ToewijzingNummer>{nummer}</m:ToewijzingNummer>{prod}"
            f"<m:Toewijzingsdatum>2023-12-20</m:Toewijzingsdatum><m:Toewijzingstijd>12:00:00</m:Toewijzingstijd>"
            f"<m:Ingangsdatum>2024-01-01</m:Ingangsdatum>{end}{omvang}{budget}</m:ToegewezenProduct>\n")


def _omvang(volume, eenheid, frequentie) -> str:
    return (f"<m:Omvang><iwmo:Volume>{volume}</iwmo:Volume><iwmo:Eenheid>{eenheid}</iwmo:Eenheid>"
            f"<iwmo:Frequentie>{frequentie}</iwmo:Frequentie></m:Omvang>")


def wmo301(products: str) -> str:
    """A complete, schema-valid WMO301 (one client) around ``products``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<m:Bericht xmlns:m="{NS301}" xmlns:iwmo="{NSB}">
<m:Header><m:BerichtCode>414</m:BerichtCode><m:BerichtVersie>3</m:BerichtVersie><m:BerichtSubversie>2</m:BerichtSubversie>
<m:Afzender>9901</m:Afzender><m:Ontvanger>98104521</m:Ontvanger>
<m:BerichtIdentificatie><iwmo:Identificatie>1</iwmo:Identificatie><iwmo:Dagtekening>2023-12-20</iwmo:Dagtekening></m:BerichtIdentificatie>
<m:XsdVersie><iwmo:BasisschemaXsdVersie>1.0.0</iwmo:BasisschemaXsdVersie><iwmo:BerichtXsdVersie>1.0.0</iwmo:BerichtXsdVersie></m:XsdVersie>
</m:Header>
<m:Client><m:Bsn>999900006</m:Bsn><m:Geboortedatum><iwmo:Datum>1940-02-01</iwmo:Datum></m:Geboortedatum><m:Geslacht>2</m:Geslacht>
<m:Naam><iwmo:Geslachtsnaam><iwmo:Achternaam>Test</iwmo:Achternaam></iwmo:Geslachtsnaam><iwmo:NaamGebruik>1</iwmo:NaamGebruik></m:Naam>
<m:Contactgegevens><m:Contact><m:Soort>01</m:Soort></m:Contact></m:Contactgegevens>
<m:ToegewezenProducten>
{products}</m:ToegewezenProducten>
</m:Client>
</m:Bericht>
"""


REFERENCE_CSV = {
    "producten/p.csv": ["gemeente_code;product_code;jaar;omschrijving;productsoort;frequentie_weken;tarief_per_uur",
                        "GM9901;01A01;2024;HbH;regulier;1;30,00", "GM9901;01A02;2024;HbH om de week;regulier;2;30,00"],
    "clienten/c.csv": ["bsn;wijk_code;geldig_vanaf;postcode", "999900006;WK990101;2000-01-01;"],
}


def _staging_indicaties(tmp_path: Path, message: str) -> tuple[list[dict], object]:
    """Ingest ``message`` (+ products and client registration) and build staging.indicaties."""
    land = tmp_path / "landing"
    for rel, lines in REFERENCE_CSV.items():
        (land / rel).parent.mkdir(parents=True, exist_ok=True)
        (land / rel).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (land / "indicaties").mkdir(parents=True, exist_ok=True)
    (land / "indicaties/m.xml").write_text(message, encoding="utf-8")
    con = duckdb.connect()
    for ds in ("producten", "clienten", "indicaties"):
        res = ingest_dataset(con, contract(ds), land, KEY)
        assert all(r.status == "geladen" for r in res), [r.message for r in res]
    (ledger,) = con.execute("SELECT rows_in, rows_loaded, rows_quarantined FROM meta.ingestion_ledger "
                            "WHERE dataset = 'indicaties'").fetchall()
    models = {m.table: m for m in sql_models()}
    for t in ("staging.producten", "staging.indicaties"):
        build(con, models[t])
    got = _rows(con, "SELECT toewijzing_nummer, volume, eenheid, frequentie, hours_per_week, no_hours_reason, "
                     "budget, product_code, wijk_code FROM staging.indicaties ORDER BY toewijzing_nummer")
    con.close()
    return got, ledger


def test_every_eenheid_and_frequentie_against_hand_computed_hours(tmp_path):
    combos = [(e, f) for e in EENHEDEN for f in FREQUENTIES]
    products = "".join(_toewijzing(n, _omvang(3, e, f)) for n, (e, f) in enumerate(combos, start=1))
    # valid toewijzingen without hours: budget only, on category level, no product, totaal without einddatum
    products += _toewijzing(101, "", budget="<m:Budget>125000</m:Budget>")
    products += _toewijzing(102, _omvang(3, "04", "2"), product="<iwmo:Categorie>01</iwmo:Categorie>")
    products += _toewijzing(103, _omvang(3, "04", "2"), product="")
    products += _toewijzing(104, _omvang(3, "04", "6"), einde=None)
    # a weekly volume of a product given every other week is per two weeks
    products += _toewijzing(105, _omvang(90, "01", "2"),
                            product="<iwmo:Categorie>01</iwmo:Categorie><iwmo:Code>01A02</iwmo:Code>")
    got, ledger = _staging_indicaties(tmp_path, wmo301(products))
    assert ledger == (len(combos) + 5, len(combos) + 5, 0)  # valid by the standard: nothing quarantined
    by_nr = {g["toewijzing_nummer"]: g for g in got}
    for n, (e, f) in enumerate(combos, start=1):
        g = by_nr[n]
        want = HAND[(e, f)]
        if want is None:
            assert g["hours_per_week"] is None and g["no_hours_reason"] == NO_HOURS[e], (e, f, g)
        else:
            assert g["hours_per_week"] == pytest.approx(want, rel=1e-12), (e, f, g)
            assert g["no_hours_reason"] is None
        assert g["wijk_code"] == "WK990101"
    assert by_nr[101]["budget"] == Decimal("1250.00")
    assert (by_nr[101]["hours_per_week"], by_nr[101]["no_hours_reason"]) == (None, "geen omvang (alleen budget)")
    assert (by_nr[102]["hours_per_week"], by_nr[102]["no_hours_reason"]) == (None, "toewijzing op categorieniveau (geen productcode)")
    assert (by_nr[103]["hours_per_week"], by_nr[103]["no_hours_reason"]) == (None, "toewijzing op categorieniveau (geen productcode)")
    assert (by_nr[104]["hours_per_week"], by_nr[104]["no_hours_reason"]) == (None, "totaal zonder einddatum")
    assert by_nr[105]["hours_per_week"] == pytest.approx(0.75)


UNIT_HOURS = {"01": 1 / 60, "04": 1.0, "14": 24.0, "16": 4.0}


def oracle(volume: int, eenheid: str, frequentie: str, days: int | None) -> float | None:
    """Hours per week by the rules of the standard, independent of the SQL."""
    if eenheid not in UNIT_HOURS or (frequentie == "6" and days is None):
        return None
    per_week = {"1": 7.0, "2": 1.0, "4": 12 / 52, "6": 7 / days if days else None}[frequentie]
    return volume * UNIT_HOURS[eenheid] * per_week


omvangen = st.lists(
    st.tuples(st.one_of(st.integers(0, 1000), st.integers(0, 99_999_999)), st.sampled_from(EENHEDEN),
              st.sampled_from(FREQUENTIES), st.one_of(st.none(), st.integers(0, 3000))),
    min_size=1, max_size=25)

# The contract's plausibility bound per eenheid (maximumBy on volume): a volume the standard allows but
# no household can use (more than a month's hours in one period) is quarantined with its reason.
PLAUSIBLE = (next(c for c in contract("indicaties").columns if c.name == "volume").maximum_by or {}).get("values", {})


def plausible(volume: int, eenheid: str) -> bool:
    return volume <= PLAUSIBLE.get(eenheid, float("inf"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(omvangen)
def test_any_valid_omvang_converts_or_is_explicitly_geen_uren(tmp_path_factory, cases):
    products = ""
    for n, (volume, e, f, days) in enumerate(cases, start=1):
        einde = None if days is None else (dt.date(2024, 1, 1) + dt.timedelta(days=days)).isoformat()
        products += _toewijzing(n, _omvang(volume, e, f), einde=einde)
    got, ledger = _staging_indicaties(tmp_path_factory.mktemp("omvang"), wmo301(products))
    kept = [c for c in cases if plausible(c[0], c[1])]
    assert ledger == (len(cases), len(kept), len(cases) - len(kept))  # nothing lost: loaded or quarantined
    assert len(got) == len(kept)
    for g, (volume, e, f, days) in zip(got, kept):
        want = oracle(volume, e, f, None if days is None else days + 1)
        if want is None:
            assert g["hours_per_week"] is None and g["no_hours_reason"], g
        else:
            assert g["no_hours_reason"] is None and g["hours_per_week"] == pytest.approx(want, rel=1e-12), g


# ---------------------------------------------------------------------------------------------
# Schema validation: the real line of each error
# ---------------------------------------------------------------------------------------------


def test_schema_errors_name_their_real_lines(tmp_path, monkeypatch, reference):
    monkeypatch.setenv("HBH_IWMO_XSD_DIR", str(XSD))
    good = (reference / "WMO323.xml").read_text(encoding="utf-8")
    bad = good.replace("<iwmo:Bedrag>5000</iwmo:Bedrag>", "<iwmo:Bedrag>50,00</iwmo:Bedrag>", 1)
    bad = bad.replace("<wmo323:GeleverdVolume>16</wmo323:GeleverdVolume>", "<wmo323:GeleverdVolume>zestien</wmo323:GeleverdVolume>", 1)
    lines = bad.splitlines()
    bedrag_line = next(i for i, t in enumerate(lines, 1) if "50,00" in t)
    volume_line = next(i for i, t in enumerate(lines, 1) if "zestien" in t)
    con, r = _load(tmp_path, "declaraties", "bad.xml", bad.encode())
    assert r.status == "fout"
    assert f"regel {bedrag_line}:" in r.message and f"regel {volume_line}:" in r.message, r.message
    assert "regel 0" not in r.message and "WMO323.xsd" in r.message
    # the generated test message of this module is valid against the official schema
    from hbh_monitor.readers.iwmo import schema_errors

    p = tmp_path / "all.xml"
    p.write_text(wmo301("".join(_toewijzing(n, _omvang(3, e, f)) for n, (e, f) in
                                enumerate([(e, f) for e in EENHEDEN for f in FREQUENTIES], start=1))))
    assert schema_errors(p, str(XSD), "WMO301") == []
