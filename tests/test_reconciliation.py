"""Declaraties reconciled against indicaties: every kind of finding on a hand-made municipality.

The raw and model assets are materialised in-process by Dagster on a small landing folder written here,
so each finding can be planted on purpose and checked exactly.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from hbh_monitor.defs.ingestion.assets import raw_assets
from hbh_monitor.defs.models.assets import model_assets

IND_HEADER = "bsn;geboortedatum;geslacht;gemeente_code;wijk_code;toewijzing_nummer;product_code;leveringsvorm;aanbieder_agb;toewijzingsdatum;ingangsdatum;einddatum;volume;eenheid;frequentie"
DECL_HEADER = "declaratie_nummer;gemeente_code;aanbieder_agb;bsn;referentie_nummer;toewijzing_nummer;product_code;begindatum;einddatum;geleverd_volume;eenheid;bedrag;debet_credit"
A, B = "999900006", "999900018"  # test BSNs (reserved range)
AGB = "98000001"


def decl(ref, bsn, toew, product, start, end, minutes, tariff=30.0, dc="D", amount=None):
    amount = round(minutes / 60 * tariff, 2) if amount is None else amount
    return f"D1;GM9901;{AGB};{bsn};{ref};{toew};{product};{start};{end};{minutes};01;{str(amount).replace('.', ',')};{dc}"


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    root = tmp_path_factory.mktemp("recon")
    land = root / "landing"
    files = {
        "wijken/w.csv": ["gemeente_code;gemeente_naam;wijk_code;wijk_naam", "GM9901;Demostad;WK990101;Centrum"],
        "bevolking/b.csv": ["wijk_code;jaar;leeftijdsklasse;inwoners;bron", *[f"WK990101;2024;{b};1000;waarneming" for b in ("0-64", "65-74", "75-84", "85+")]],
        "producten/p.csv": ["gemeente_code;product_code;jaar;omschrijving;productsoort;frequentie_weken;tarief_per_uur",
                            "GM9901;01A01;2024;HbH;regulier;1;30,00", "GM9901;01A03;2024;Was;maatwerk;1;30,00"],
        "aanbieders/a.csv": ["aanbieder_agb;naam", f"{AGB};Thuishulp Test"],
        "indicaties/i.csv": [
            IND_HEADER,
            # client A: 120 min/week, 01-01-2024 .. 30-06-2024
            f"{A};01-01-1940;2;GM9901;WK990101;1;01A01;ZIN;{AGB};01-12-2023;01-01-2024;30-06-2024;120;01;2",
            # client B: 60 min/week from 01-01-2024, indefinite
            f"{B};01-01-1938;2;GM9901;WK990101;2;01A01;ZIN;{AGB};01-12-2023;01-01-2024;;60;01;2",
        ],
        "declaraties/d.csv": [
            DECL_HEADER,
            decl("R01", A, 1, "01A01", "2024-01-01", "2024-01-31", 500),  # fine (indicated 31/7*120 = 531 min)
            decl("R02", A, 99, "01A01", "2024-02-01", "2024-02-29", 480),  # geen_toewijzing
            decl("R03", B, 1, "01A01", "2024-03-01", "2024-03-31", 480),  # andere_client (toewijzing 1 is A's)
            decl("R04", A, 1, "01A03", "2024-04-01", "2024-04-30", 480),  # ander_product
            decl("R05", A, 1, "01A01", "2024-08-01", "2024-08-31", 480),  # na_einddatum (A ended 30-06)
            decl("R06", B, 2, "01A01", "2023-12-01", "2023-12-31", 240),  # buiten_periode (B starts 2024)
            decl("R07", B, 2, "01A01", "2024-01-01", "2024-01-31", 240, amount=99.99),  # bedrag_wijkt_af
            decl("R08", B, 2, "01A01", "2024-02-01", "2024-02-29", 600),  # meer_dan_geindiceerd (29/7*60=249 min)
            decl("R09", B, 2, "01A01", "2024-03-01", "2024-03-31", 240),  # dubbel (with R10)
            decl("R10", B, 2, "01A01", "2024-03-01", "2024-03-31", 240),
            decl("R11", B, 2, "01A01", "2024-04-01", "2024-04-30", 240),  # corrected: D, C, D nets to one -> fine
            decl("R12", B, 2, "01A01", "2024-04-01", "2024-04-30", 240, dc="C"),
            decl("R13", B, 2, "01A01", "2024-04-01", "2024-04-30", 250),
        ],
    }
    for rel, lines in files.items():
        (land / rel).parent.mkdir(parents=True, exist_ok=True)
        (land / rel).write_text("\n".join(lines) + "\n", encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("HBH_LANDING_DIR", str(land))
    mp.setenv("HBH_PSEUDONYM_KEY", "test-key")
    db = root / "w.duckdb"
    result = dg.materialize([*raw_assets, *model_assets], resources={"duckdb": DuckDBResource(database=str(db))},
                            instance=dg.DagsterInstance.ephemeral())
    mp.undo()
    assert result.success
    with duckdb.connect(str(db), read_only=True) as con:
        lines = con.execute("SELECT referentie_nummer, finding_code FROM staging.reconciliation_lines ORDER BY 1, 2").fetchall()
        summary = con.execute("SELECT finding_code, finding, lines, aanbieder_name FROM marts.reconciliation_summary ORDER BY 1").fetchall()
        cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'reconciliation_findings'").fetchall()}
    return lines, summary, cols


def test_every_kind_of_finding_is_found_exactly(findings):
    lines, _, _ = findings
    assert lines == [
        ("R02", "geen_toewijzing"),
        ("R03", "andere_client"),
        ("R04", "ander_product"),
        ("R05", "na_einddatum"),
        ("R06", "buiten_periode"),
        ("R07", "bedrag_wijkt_af"),
        ("R08", "meer_dan_geindiceerd"),
        ("R09", "dubbel"),
        ("R09", "meer_dan_geindiceerd"),  # a duplicate also doubles the month's hours
        ("R10", "dubbel"),
        ("R10", "meer_dan_geindiceerd"),
    ]


def test_summary_is_aggregated_with_dutch_labels_and_names(findings):
    _, summary, cols = findings
    assert {s[0]: s[2] for s in summary} == {
        "ander_product": 1, "andere_client": 1, "bedrag_wijkt_af": 1, "buiten_periode": 1, "dubbel": 2,
        "geen_toewijzing": 1, "meer_dan_geindiceerd": 3, "na_einddatum": 1,
    }
    assert all(s[1] and s[3] == "Thuishulp Test" for s in summary)
    # the published mart holds no line-level identifiers
    assert not cols & {"client_id", "toewijzing_nummer", "referentie_nummer", "declaratie_nummer"}
