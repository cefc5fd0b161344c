"""Format independence, end to end: the same demo region delivered as CSV only and as a mix of
CSV, iWmo 3.2 XML (WMO301 + client registration, WMO323), Excel and Parquet gives the same marts.

Both folders go through the real Dagster job ``refresh`` (in this process, support.refresh_in_process)
with their own data folder and DAGSTER_HOME.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from support import FORMATS_ARGS, ROOT, SHARED, region_run, require_shared

# --variants: the iWmo variants (iwmo_variants.py) in both deliveries, as CSV values and as iWmo messages
ARGS = FORMATS_ARGS
# Marts that split by a field iWmo does not carry (urgentie is a municipal field, not in a WMO301)
# cannot be format independent: a mart whose SQL names such a field is not compared (the test
# reports which); every other mart must be identical.
NOT_IN_IWMO = ("urgentie",)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, mixed_run):
    """The region in CSV only (run here) and in every format (the session's ``mixed_run``, read-only)."""
    data = tmp_path_factory.mktemp("formats") / "csv"
    _, manifest, _ = region_run(data, [*ARGS, "--formats", "csv"])
    return {"csv": (data, manifest), "mixed": (mixed_run.data_dir, mixed_run.manifest)}


def test_mixed_demo_holds_every_format(two_runs):
    _, manifest = two_runs["mixed"]
    formats = {f["format"] for f in manifest["files"]}
    assert {"csv", "xlsx", "parquet", "iwmo-wmo301", "iwmo-wmo305", "iwmo-wmo307", "iwmo-wmo323", "iwmo-wmo325"} <= formats
    assert any(f["dataset"] == "clienten" for f in manifest["files"])
    # the csv demo: every municipal export CSV, the CBS open data as StatLine CSV exports
    assert {f["format"] for f in two_runs["csv"][1]["files"]} == {"csv", "statline"}
    # the same toewijzingen; the mixed delivery also re-delivers a few WMO301 messages (the same rows again)
    once = sum(f["rows"] for f in manifest["files"] if f["dataset"] == "indicaties" and not f.get("redelivery_of"))
    assert once == two_runs["csv"][1]["rows_per_dataset"]["indicaties"]
    assert manifest["iwmo_variants"]["redelivered_files"]
    assert manifest["rows_per_dataset"]["declaraties"] == two_runs["csv"][1]["rows_per_dataset"]["declaraties"]


def test_every_file_accounted_for_in_every_format(two_runs):
    for fmt, (data, manifest) in two_runs.items():
        with duckdb.connect(str(data / "warehouse" / "hbh.duckdb"), read_only=True) as con:
            ledger = {f: (st, fmt_, n_in, n_ok, n_q) for f, st, fmt_, n_in, n_ok, n_q in con.execute(
                "SELECT source_file, status, file_format, rows_in, rows_loaded, rows_quarantined FROM meta.ingestion_ledger").fetchall()}
            for entry in manifest["files"]:
                status, file_format, n_in, n_ok, n_q = ledger[entry["path"]]
                assert status == "geladen" and file_format == entry["format"], entry["path"]
                assert n_in == entry["rows"] == n_ok + n_q, entry["path"]
                assert n_q == len(entry["defects"]), entry["path"]
                quarantined = con.execute("SELECT source_line, rules FROM meta.quarantine WHERE source_file = ? ORDER BY source_line",
                                          [entry["path"]]).fetchall()
                rules = sorted(r for _, r in quarantined)
                kinds = {"bsn_elfproef": "elfproef", "missing_required": "required", "bad_date": "type",
                         "not_a_number": "type", "invalid_code": "values"}
                assert rules == sorted(f"{kinds[d['kind']]}:{'bsn' if d['kind'] == 'bsn_elfproef' else d['column']}"
                                       for d in entry["defects"]), entry["path"]
                if not entry["format"].startswith("iwmo"):  # tabular: record n is line n + 1
                    assert [line for line, _ in quarantined] == sorted(d["record"] + 1 for d in entry["defects"])


def _marts(path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    sql_dir = ROOT / "sql" / "marts"
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1").fetchall()]
        for t in tables:
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position",
                [t]).fetchall()]
            text = (sql_dir / f"{t}.sql").read_text() if (sql_dir / f"{t}.sql").exists() else ""
            if any(re.search(rf"\b{w}\b", text) for w in NOT_IN_IWMO):
                out[t] = (cols, None)
                continue
            # the gemeente's answers (WMO325) exist only in the iWmo delivery: CSV exports carry no declaratie-antwoord;
            # nor do they name the debet a credit undoes (VorigReferentieNummer), which the credit findings need
            where = (" WHERE finding_code NOT LIKE 'afgewezen_%' AND finding_code NOT IN "
                     "('credit_zonder_debet', 'dubbel_gecrediteerd')") if "finding_code" in cols else ""
            cols = [c for c in cols if not c.startswith(("answers_loaded", "rejected_", "accepted_"))]
            rows = con.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM marts."{t}"{where}').fetchall()
            out[t] = (cols, sorted(rows, key=_key))
    return out


def _key(row):
    """Sort key: the non-float values first (floats of sums may differ in the last bits)."""
    return (repr(tuple(v for v in row if not isinstance(v, float))),
            repr(tuple(round(v, 2) for v in row if isinstance(v, float))))


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _rows_equal(t: str, xs: list[tuple], ys: list[tuple]) -> None:
    assert len(xs) == len(ys), t
    for x, y in zip(xs, ys):
        assert len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y)), (t, x, y)


def test_marts_are_identical_whatever_the_format(two_runs):
    csv_marts = _marts(two_runs["csv"][0] / "warehouse" / "hbh.duckdb")
    mixed_marts = _marts(two_runs["mixed"][0] / "warehouse" / "hbh.duckdb")
    assert csv_marts.keys() == mixed_marts.keys()
    compared = 0
    for t, (cols, rows) in csv_marts.items():
        if rows is None:
            continue
        assert mixed_marts[t][0] == cols, t
        _rows_equal(t, rows, mixed_marts[t][1])
        compared += 1
    assert compared >= 3 and "wijk_year" in csv_marts and csv_marts["wijk_year"][1]


IWMO_XSD = SHARED / "reference" / "iwmo" / "iwmo-3.2" / "xsd"


def test_generated_iwmo_messages_follow_the_official_schemas(two_runs):
    """Every generated WMO301/305/307/323 without a planted defect is valid against the iWmo 3.2 XSD
    (the release has no schema for WMO325)."""
    require_shared(IWMO_XSD, "the official iWmo 3.2 schemas")
    from lxml import etree
    data, manifest = two_runs["mixed"]
    schemas = {c: etree.XMLSchema(etree.parse(str(IWMO_XSD / f"{c}.xsd"))) for c in ("WMO301", "WMO305", "WMO307", "WMO323")}
    checked = 0
    for entry in manifest["files"]:
        if not entry["format"].startswith("iwmo") or entry["defects"] or entry["format"] == "iwmo-wmo325":
            continue
        schema = schemas[entry["format"][-6:].upper()]
        assert schema.validate(etree.parse(str(data / "landing" / entry["path"]))), (entry["path"], schema.error_log.last_error)
        checked += 1
    assert checked > 10


def test_the_gemeente_s_wmo325_rejections_are_recovered_from_the_manifest(two_runs):
    """Every rejection planted in a WMO325 is one "afgewezen_<retourcode>" finding per retourcode."""
    data, manifest = two_runs["mixed"]
    planted: dict[str, int] = {}
    for entry in manifest["files"]:
        for r in entry.get("rejections", []):
            for code in r["retourcodes"]:
                planted[f"afgewezen_{code}"] = planted.get(f"afgewezen_{code}", 0) + 1
    assert planted
    with duckdb.connect(str(data / "warehouse" / "hbh.duckdb"), read_only=True) as con:
        found = dict(con.execute("SELECT finding_code, sum(lines)::BIGINT FROM marts.reconciliation_findings "
                                 "WHERE finding_code LIKE 'afgewezen_%' GROUP BY ALL").fetchall())
        # the planted credit corrections name their debet (VorigReferentieNummer) and leave no credit finding;
        # only the planted credit variants do: one line each without its debet, two lines per double credit
        credits = con.execute("SELECT count(*) FROM staging.reconciliation_lines "
                              "WHERE finding_code IN ('credit_zonder_debet', 'dubbel_gecrediteerd')").fetchall()[0][0]
        linked = con.execute("SELECT count(*) FROM staging.declaraties WHERE vorig_referentie_nummer IS NOT NULL").fetchall()[0][0]
    assert found == planted
    variants = manifest["iwmo_variants"]
    assert credits == variants["credits_without_debet"] + 2 * variants["double_credits"] > 0
    assert linked == sum(e.get("credits_with_debet", 0) for e in manifest["files"]) > 0


def _amount(text: str) -> Decimal:
    """Bedrag in cents as euros; a planted defect may hold no number (its prestatie is skipped anyway)."""
    return Decimal(text) / 100 if text.lstrip("-").isdigit() else Decimal(0)


def _iwmo_prestaties(path: Path) -> list[dict]:
    """The prestaties of a WMO323/WMO325 file, read here with ElementTree (not the pipeline's reader)."""
    import xml.etree.ElementTree as ET

    out = []
    for p in ET.parse(path).iter():
        if p.tag.endswith("}Prestatie"):
            f = {e.tag.split("}")[1]: (e.text or "").strip() for e in p.iter()}
            begin = f.get("Begindatum", "")
            out.append({"ref": f.get("ReferentieNummer", ""), "year": int(begin[:4]) if begin[:4].isdigit() else None,
                        "eur": _amount(f.get("Bedrag", "")) * (-1 if f.get("DebetCredit") == "C" else 1),
                        "codes": {e.text for e in p.iter() if e.tag.endswith("}RetourCode")}})
    return out


def test_declared_and_accepted_recomputed_from_the_wmo323_and_wmo325_files(two_runs):
    """marts.declared_accepted of the mixed run against the landing files: the prestaties the gemeente's WMO325
    rejects (a code other than 0200), with their amount in the WMO323; known only where an answer exists."""
    data, manifest = two_runs["mixed"]
    amounts, rejected, answered = {}, {}, set()
    for e in manifest["files"]:
        if e["format"] == "iwmo-wmo323":
            agb = e["path"].split("/")[1].split("_")[0]
            defects = {d["record"] for d in e["defects"]}  # planted defects: quarantined, never declared
            for record, p in enumerate(_iwmo_prestaties(data / "landing" / e["path"]), start=1):
                if record not in defects:
                    amounts[(agb, p["ref"])] = (e["gemeente_code"], p["year"], p["eur"])
    for e in manifest["files"]:
        if e["format"] == "iwmo-wmo325":
            got = _iwmo_prestaties(data / "landing" / e["path"])
            assert sorted(p["ref"] for p in got) == sorted(r["referentie_nummer"] for r in e["rejections"])
            for p in got:
                gm, year, eur = amounts[(e["aanbieder_agb"], p["ref"])]
                answered.add((gm, e["aanbieder_agb"], year))
                if p["codes"] - {"0200"}:
                    n, s = rejected.get((gm, e["aanbieder_agb"], year), (0, Decimal(0)))
                    rejected[(gm, e["aanbieder_agb"], year)] = (n + 1, s + eur)
    assert rejected, "the mixed demo has no WMO325 rejections"
    with duckdb.connect(str(data / "warehouse" / "hbh.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT gemeente_code, aanbieder_agb, year, answers_loaded, rejected_lines, rejected_eur, "
                           "declared_eur, accepted_eur FROM marts.declared_accepted").fetchall()
    assert {(g, a, y) for g, a, y, known, *_ in rows if known} == answered
    for g, a, y, known, n, eur, declared, accepted in rows:
        if known:
            assert (n, eur) == rejected.get((g, a, y), (0, Decimal(0))), (g, a, y)
            assert accepted == declared - eur
        else:  # no answer in the data: not known, not zero
            assert (n, eur, accepted) == (None, None, None), (g, a, y)
