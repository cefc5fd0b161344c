"""iWmo declaraties reconciled on a hand-made municipality: quarantined toewijzing vs never delivered,
credit lines tied to their debet, the WMO323 header total, the gemeente's own WMO325 rejections, and one
cost per gemeente and year in every mart (with "wijk onbekend").

Raw and model assets are materialised in-process by Dagster on a landing folder written here; the
expected figures are computed by hand in this file, not with the pipeline's SQL.
"""

from __future__ import annotations

from decimal import Decimal

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from hbh_monitor.defs.ingestion.assets import raw_assets
from hbh_monitor.defs.models.assets import model_assets

A, B, C = "999900006", "999900018", "999900031"  # test BSNs (reserved range, elfproef)
AGB = "98000001"
NSB = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"
IND_HEADER = ("bsn;geboortedatum;geslacht;gemeente_code;wijk_code;toewijzing_nummer;product_code;leveringsvorm;"
              "aanbieder_agb;toewijzingsdatum;ingangsdatum;einddatum;volume;eenheid;frequentie")


def header(code: str, berichtcode: int, afzender: str, ontvanger: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<m:Bericht xmlns:m="http://www.istandaarden.nl/iwmo/3_2/{code}/schema" '
            f'xmlns:iwmo="{NSB}">\n<m:Header><m:BerichtCode>{berichtcode}</m:BerichtCode><m:BerichtVersie>3</m:BerichtVersie>'
            f'<m:BerichtSubversie>2</m:BerichtSubversie><m:Afzender>{afzender}</m:Afzender><m:Ontvanger>{ontvanger}</m:Ontvanger>'
            '<m:BerichtIdentificatie><iwmo:Identificatie>1</iwmo:Identificatie><iwmo:Dagtekening>2024-04-06</iwmo:Dagtekening>'
            '</m:BerichtIdentificatie><m:XsdVersie><iwmo:BasisschemaXsdVersie>1.0.0</iwmo:BasisschemaXsdVersie>'
            '<iwmo:BerichtXsdVersie>1.0.0</iwmo:BerichtXsdVersie></m:XsdVersie></m:Header>\n')


def prestatie(ref, toew, month, minutes, cents, dc="D", vorig=None, categorie="01", codes=None) -> str:
    start, end = {1: ("2024-01-01", "2024-01-31"), 2: ("2024-02-01", "2024-02-29"), 3: ("2024-03-01", "2024-03-31")}[month]
    vorig_el = f"<iwmo:VorigReferentieNummer>{vorig}</iwmo:VorigReferentieNummer>" if vorig else ""
    cat = f"<m:ProductCategorie>{categorie}</m:ProductCategorie>" if categorie else ""
    ret = "<m:RetourCodes>" + "".join(f"<m:RetourCode>{c}</m:RetourCode>" for c in codes) + "</m:RetourCodes>" if codes else ""
    return (f"<m:Prestatie><m:ProductReferentie><iwmo:ReferentieNummer>{ref}</iwmo:ReferentieNummer>{vorig_el}"
            f"</m:ProductReferentie><m:ToewijzingNummer>{toew}</m:ToewijzingNummer>{cat}<m:ProductCode>01A01</m:ProductCode>"
            f"<m:ProductPeriode><iwmo:Begindatum>{start}</iwmo:Begindatum><iwmo:Einddatum>{end}</iwmo:Einddatum></m:ProductPeriode>"
            f"<m:GeleverdVolume>{minutes}</m:GeleverdVolume><m:Eenheid>01</m:Eenheid><m:ProductTarief>3000</m:ProductTarief>"
            f"<m:IngediendBedrag><iwmo:Bedrag>{cents}</iwmo:Bedrag><iwmo:DebetCredit>{dc}</iwmo:DebetCredit></m:IngediendBedrag>"
            f"{ret}</m:Prestatie>\n")


def clients(per_client: dict[str, str]) -> str:
    return "".join(f"<m:Client><m:Bsn>{b}</m:Bsn><m:Prestaties>\n{p}</m:Prestaties></m:Client>\n" for b, p in per_client.items())


# The declaratie (WMO323, tariff € 30 an hour, amounts in eurocent):
WMO323 = header("wmo323", 484, AGB, "9901") + (
    "<m:Declaratie><m:DeclaratieNummer>DN1</m:DeclaratieNummer><m:DeclaratiePeriode><iwmo:Begindatum>2024-01-01"
    "</iwmo:Begindatum><iwmo:Einddatum>2024-03-31</iwmo:Einddatum></m:DeclaratiePeriode>"
    "<m:DeclaratieDagtekening>2024-04-06</m:DeclaratieDagtekening>"
    # header total on purpose € 100,00 D; the prestaties as delivered sum to € 210,00 (see below)
    "<m:TotaalIngediendBedrag><iwmo:TotaalBedrag>10000</iwmo:TotaalBedrag><iwmo:DebetCredit>D</iwmo:DebetCredit>"
    "</m:TotaalIngediendBedrag><m:Clienten>\n"
    + clients({
        A: prestatie("RN1", 1, 1, 480, 24000)  # fine: 8 h × € 30
        + prestatie("RN4", 1, 1, 480, 24000, "C", vorig="RN1")  # credits RN1 ...
        + prestatie("RN5", 1, 1, 480, 24000, "C", vorig="RN1"),  # ... and again: dubbel_gecrediteerd (RN4, RN5)
        B: prestatie("RN6", 2, 3, 60, 3000, "C", vorig="RN77")  # credit_zonder_debet: RN77 was never declared
        + prestatie("RN8", 2, 3, 600, 30000)  # 10 h in March, indicated 1 h/week: meer_dan_geindiceerd
        + prestatie("RN9", 2, 3, 60, 3000, categorie=None),  # no ProductCategorie: quarantined, not HbH
        C: prestatie("RN2", 3, 2, 240, 12000)  # toewijzing 3 is in quarantine (invalid leveringsvorm)
        + prestatie("RN3", 99, 2, 60, 3000),  # toewijzing 99 was never delivered
    })
    + "</m:Clienten></m:Declaratie>\n</m:Bericht>\n")
# as delivered: 240 − 240 − 240 − 30 + 300 + 30 (RN9, quarantined) + 120 + 30 = 210; header 100 → difference −110
# loaded cost (hours × € 30): 240 − 240 − 240 − 30 + 300 + 120 + 30 = 180; wijk onbekend: RN2 + RN3 = 150

WMO325 = header("wmo325", 485, "9901", AGB) + (
    "<m:DeclaratieAntwoord><m:DeclaratieNummer>DN1</m:DeclaratieNummer><m:Clienten>\n"
    + clients({C: prestatie("RN3", 99, 2, 60, 3000, codes=["9339"])
               + prestatie("RN2", 3, 2, 240, 12000, codes=["9307", "9340"])})
    + "</m:Clienten></m:DeclaratieAntwoord>\n</m:Bericht>\n")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("iwmo_recon")
    land = root / "landing"
    files = {
        "wijken/w.csv": ["gemeente_code;gemeente_naam;wijk_code;wijk_naam", "GM9901;Demostad;WK990101;Centrum"],
        "bevolking/b.csv": ["wijk_code;jaar;leeftijdsklasse;inwoners;bron",
                            *[f"WK990101;2024;{b};1000;waarneming" for b in ("0-64", "65-74", "75-84", "85+")]],
        "producten/p.csv": ["gemeente_code;product_code;jaar;omschrijving;productsoort;frequentie_weken;tarief_per_uur",
                            "GM9901;01A01;2024;HbH;regulier;1;30,00"],
        "aanbieders/a.csv": ["aanbieder_agb;naam", f"{AGB};Thuishulp Test"],
        "indicaties/i.csv": [
            IND_HEADER,
            f"{A};01-01-1940;2;GM9901;WK990101;1;01A01;ZIN;{AGB};01-12-2023;01-01-2024;;120;01;2",
            f"{B};01-01-1938;2;GM9901;WK990101;2;01A01;ZIN;{AGB};01-12-2023;01-01-2024;;60;01;2",
            f"{C};01-01-1936;2;GM9901;WK990101;3;01A01;XYZ;{AGB};01-12-2023;01-01-2024;;60;01;2",  # quarantined
            # a toewijzing in euro's (per maand): B has a toewijzing without hours
            f"{B};01-01-1938;2;GM9901;WK990101;4;01A01;ZIN;{AGB};01-12-2023;01-01-2024;31-12-2024;500;83;4",
        ],
    }
    for rel, lines in files.items():
        (land / rel).parent.mkdir(parents=True, exist_ok=True)
        (land / rel).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (land / "declaraties").mkdir()
    (land / "declaraties/wmo323.xml").write_text(WMO323, encoding="utf-8")
    (land / "declaratie_antwoorden").mkdir()
    (land / "declaratie_antwoorden/wmo325.xml").write_text(WMO325, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("HBH_LANDING_DIR", str(land))
    mp.setenv("HBH_PSEUDONYM_KEY", "test-key")
    db = root / "w.duckdb"
    result = dg.materialize([*raw_assets, *model_assets], resources={"duckdb": DuckDBResource(database=str(db))},
                            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    mp.undo()
    con = duckdb.connect(str(db), read_only=True)
    yield con, result
    con.close()


def test_every_row_of_the_messages_is_loaded_or_quarantined(warehouse):
    con, _ = warehouse
    got = con.execute("SELECT dataset, rows_in, rows_loaded, rows_quarantined FROM meta.ingestion_ledger "
                      "WHERE dataset IN ('declaraties', 'declaratie_antwoorden', 'indicaties') ORDER BY 1").fetchall()
    assert got == [("declaratie_antwoorden", 2, 2, 0), ("declaraties", 8, 7, 1), ("indicaties", 4, 3, 1)]
    reasons = con.execute("SELECT rules, reason FROM meta.quarantine WHERE dataset = 'declaraties'").fetchall()
    assert reasons == [("categorie", "productcategorie ontbreekt (verplicht in WMO323); niet als hulp bij het huishouden ingelezen")]


def test_findings_tell_quarantine_from_never_delivered_and_tie_credits_to_their_debet(warehouse):
    con, _ = warehouse
    lines = con.execute("SELECT referentie_nummer, finding_code FROM staging.reconciliation_lines ORDER BY 1, 2").fetchall()
    assert lines == [
        ("RN2", "toewijzing_in_quarantaine"),
        ("RN3", "geen_toewijzing"),
        ("RN4", "dubbel_gecrediteerd"),
        ("RN5", "dubbel_gecrediteerd"),
        ("RN6", "credit_zonder_debet"),
        ("RN8", "meer_dan_geindiceerd"),
    ]


def test_header_total_and_the_gemeente_s_own_rejections_are_findings(warehouse):
    con, _ = warehouse
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT finding_code, finding, lines, amount_eur FROM marts.reconciliation_findings "
        "WHERE finding_code = 'totaal_wijkt_af' OR finding_code LIKE 'afgewezen_%'").fetchall()}
    assert got == {
        "totaal_wijkt_af": ("Totaalbedrag in de kop wijkt af van de som van de regels", 1, Decimal("-110.00")),
        "afgewezen_9339": ("Afgewezen door de gemeente: retourcode 9339 (productcategorie niet toegewezen)", 1, Decimal("30.00")),
        "afgewezen_9307": ("Afgewezen door de gemeente: retourcode 9307 (buiten de periode van de toewijzing)", 1, Decimal("120.00")),
        "afgewezen_9340": ("Afgewezen door de gemeente: retourcode 9340 (productcode niet toegewezen)", 1, Decimal("120.00")),
    }


def test_one_cost_per_gemeente_and_year_in_every_mart_with_wijk_onbekend(warehouse):
    con, _ = warehouse
    (gy,) = con.execute("SELECT cost_eur, cost_eur_wijk_onbekend, clients_without_hours, typeof(cost_eur) "
                        "FROM marts.gemeente_year WHERE gemeente_code = 'GM9901' AND year = 2024").fetchall()
    assert gy == (Decimal("180.00"), Decimal("150.00"), 1, "DECIMAL(18,6)")
    (br,) = con.execute("SELECT cost_eur FROM marts.budget_risk WHERE gemeente_code = 'GM9901' AND year = 2024").fetchall()
    assert br == (Decimal("180.00"),)
    (wy,) = con.execute("SELECT sum(cost_eur) FROM marts.wijk_year WHERE year = 2024").fetchall()
    assert wy == (Decimal("30.00"),)  # the wijken: 180 − 150 of unknown wijk


def _prestaties(xml: str) -> list[dict]:
    """The prestaties of a WMO323/WMO325 read here with ElementTree (not the pipeline's reader)."""
    import xml.etree.ElementTree as ET

    out = []
    for p in ET.fromstring(xml.encode()).iter():
        if not p.tag.endswith("}Prestatie"):
            continue
        f = {e.tag.split("}")[1]: (e.text or "").strip() for e in p.iter()}
        codes = [e.text for e in p.iter() if e.tag.endswith("}RetourCode")]
        out.append({"ref": f["ReferentieNummer"], "has_categorie": "ProductCategorie" in f,
                    "minutes": int(f["GeleverdVolume"]), "cents": int(f["Bedrag"]), "sign": -1 if f["DebetCredit"] == "C" else 1,
                    "year": int(f["Begindatum"][:4]), "codes": codes})
    return out


def test_declared_and_accepted_per_aanbieder_from_the_messages(warehouse):
    """marts.declared_accepted recomputed from the WMO323 and WMO325 of this file: a prestatie without a
    ProductCategorie is not loaded; a prestatie the answer lists with a code other than 0200 is rejected, every
    other loaded line is toegekend."""
    con, _ = warehouse
    loaded = [p for p in _prestaties(WMO323) if p["has_categorie"]]
    rejected = {p["ref"] for p in _prestaties(WMO325) if set(p["codes"]) - {"0200"}}
    assert rejected == {"RN2", "RN3"}
    eur = lambda ps: sum(Decimal(p["sign"] * p["cents"]) / 100 for p in ps)  # noqa: E731
    hours = lambda ps: sum(p["sign"] * p["minutes"] / 60 for p in ps)  # noqa: E731
    rej = [p for p in loaded if p["ref"] in rejected]
    acc = [p for p in loaded if p["ref"] not in rejected]
    got = con.execute("SELECT gemeente_code, aanbieder_agb, aanbieder_name, year, answers_loaded, declared_lines, "
                      "declared_hours, declared_eur, rejected_lines, rejected_hours, rejected_eur, accepted_lines, "
                      "accepted_hours, accepted_eur FROM marts.declared_accepted").fetchall()
    assert got == [("GM9901", AGB, "Thuishulp Test", 2024, True, len(loaded), pytest.approx(hours(loaded)), eur(loaded),
                    len(rej), pytest.approx(hours(rej)), eur(rej), len(acc), pytest.approx(hours(acc)), eur(acc))]
    assert (eur(loaded), eur(rej), eur(acc)) == (Decimal("180.00"), Decimal("150.00"), Decimal("30.00"))  # by hand
    # the declared amount is the one the reconciliation counts all lines with
    (total,) = con.execute("SELECT DISTINCT all_amount_eur FROM marts.reconciliation_summary").fetchall()
    assert total == (eur(loaded),)
