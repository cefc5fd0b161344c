"""The demo's iWmo delivery exercises what real message archives hold and the narrow demo never wrote:
every Eenheid/Frequentie of a WMO301 Omvang (etmaal, dagdeel, stuks, euro's; per dag, per maand,
totaal binnen de geldigheidsduur), budget-only toewijzingen, toewijzingen on category level,
resultaatgerichte HbH (a result per month), WMO323 credit lines without their debet and a debet
credited twice, a WMO301 delivered twice, WMO301 messages re-delivered with a correction (an einddatum
brought forward, a changed Omvang volume): the later delivery wins, and WMO305/WMO307 follow-ups (a start
delivered again with StatusAanlevering 2 and a corrected begindatum, a stop withdrawn with 3).

The planted counts are in demo_manifest.json ("iwmo_variants"). The oracles are computed here from the
landing files (lxml on the XML, the csv module on the CSV), never with the pipeline's SQL: the pipeline
must load every variant (nothing valid quarantined), give hours per week where the unit is time, leave
the others out of hour figures while counting their clients (marts.gemeente_year.clients_without_hours),
and find the planted credit findings.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from support import FORMATS_ARGS

NSB = "{http://www.istandaarden.nl/iwmo/3_2/basisschema/schema}"
NS301 = "{http://www.istandaarden.nl/iwmo/3_2/wmo301/schema}"
NS323 = "{http://www.istandaarden.nl/iwmo/3_2/wmo323/schema}"
NS_START_STOP = {"iwmo-wmo305": ("{http://www.istandaarden.nl/iwmo/3_2/wmo305/schema}", "StartProduct"),
                 "iwmo-wmo307": ("{http://www.istandaarden.nl/iwmo/3_2/wmo307/schema}", "StopProduct")}
# hours in one unit, and the factor of a frequentie to "per week" (iWmo 3.2 code lists, by hand)
UNIT_HOURS = {"01": 1 / 60, "04": 1.0, "14": 24.0, "16": 4.0}
PER_WEEK = {"1": 7.0, "2": 1.0, "4": 12 / 52}


@pytest.fixture(scope="module")
def region(mixed_run):
    """The session's region in every format (``mixed_run``: FORMATS_ARGS, iWmo variants planted)."""
    assert "--variants" in FORMATS_ARGS
    return mixed_run.data_dir, mixed_run.manifest


@pytest.fixture(scope="module")
def run(region):
    data, manifest = region
    con = duckdb.connect(str(data / "warehouse" / "hbh.duckdb"), read_only=True)
    yield data, manifest, con
    con.close()


def _text(el, path):
    found = el.find(path)
    return found.text if found is not None else None


def wmo301_products(data: Path, manifest: dict, redeliveries: bool) -> list[dict]:
    """Every ToegewezenProduct of the WMO301 files in the landing folder, in delivery order: the first
    deliveries, then (``redeliveries``) the files delivered again."""
    out = []
    entries = [e for e in manifest["files"] if e["format"] == "iwmo-wmo301" and not e.get("redelivery_of")]
    if redeliveries:
        entries += [e for e in manifest["files"] if e["format"] == "iwmo-wmo301" and e.get("redelivery_of")]
    for entry in entries:
        root = etree.parse(str(data / "landing" / entry["path"])).getroot()
        gemeente = "GM" + root.findtext(f"{NS301}Header/{NS301}Afzender")
        for client in root.iter(f"{NS301}Client"):
            bsn = client.findtext(f"{NS301}Bsn")
            for tp in client.iter(f"{NS301}ToegewezenProduct"):
                end = _text(tp, f"{NS301}Einddatum")
                out.append({
                    "path": entry["path"], "gemeente": gemeente, "bsn": bsn,
                    "nummer": int(tp.findtext(f"{NS301}ToewijzingNummer")),
                    "categorie": _text(tp, f"{NS301}Product/{NSB}Categorie"),
                    "code": _text(tp, f"{NS301}Product/{NSB}Code"),
                    "start": dt.date.fromisoformat(tp.findtext(f"{NS301}Ingangsdatum")),
                    "end": dt.date.fromisoformat(end) if end else None,
                    "volume": _text(tp, f"{NS301}Omvang/{NSB}Volume"),
                    "eenheid": _text(tp, f"{NS301}Omvang/{NSB}Eenheid"),
                    "frequentie": _text(tp, f"{NS301}Omvang/{NSB}Frequentie"),
                    "budget": _text(tp, f"{NS301}Budget"),
                    "defective": bool(entry["defects"]),
                })
    return out


def toewijzingen(data: Path, manifest: dict) -> list[dict]:
    """Every toewijzing of the WMO301 files once, as its latest delivery holds it (a re-delivered
    file replaces what the earlier one said about the same ToewijzingNummer)."""
    latest = {}
    for t in wmo301_products(data, manifest, redeliveries=True):
        latest[(t["gemeente"], t["nummer"])] = t
    return list(latest.values())


def hand_hours(t: dict) -> float | None:
    """Hours per week of one toegewezen product, or None when its Omvang is not time (by hand)."""
    if t["code"] is None or t["volume"] is None or t["eenheid"] not in UNIT_HOURS:
        return None
    if t["frequentie"] == "6":
        if t["end"] is None:
            return None
        return int(t["volume"]) * UNIT_HOURS[t["eenheid"]] * 7 / ((t["end"] - t["start"]).days + 1)
    hours = int(t["volume"]) * UNIT_HOURS[t["eenheid"]] * PER_WEEK[t["frequentie"]]
    return hours / 2 if t["code"] == "01A02" and t["frequentie"] == "2" else hours  # every other week


def kind_of(t: dict) -> str:
    if t["code"] is None:
        return "categorie"
    if t["volume"] is None:
        return "budget"
    if t["code"] == "01A04":
        return "resultaatgericht"
    return f"{t['eenheid']}/{t['frequentie']}"


def test_the_planted_variants_are_in_the_iwmo_messages(region):
    data, manifest = region
    planted = manifest.get("iwmo_variants")
    assert planted, "the demo manifest plants no iWmo variants"
    found = Counter(kind_of(t) for t in toewijzingen(data, manifest) if not t["defective"])
    for kind, count in planted["toewijzingen"].items():
        assert count["count"] > 0 and found[count["key"]] >= count["count"], (kind, count, found)
    keys = {c["key"] for c in planted["toewijzingen"].values()}
    # every Eenheid and Frequentie the issue names, besides the usual 01/04 per week
    assert {"14/6", "14/4", "16/2", "16/4", "04/1", "84/2", "83/4", "budget", "categorie", "resultaatgericht"} <= keys
    assert {"14", "16", "82", "83", "84"} <= {t["eenheid"] for t in toewijzingen(data, manifest) if t["eenheid"]}
    assert {"1", "4", "6"} <= {t["frequentie"] for t in toewijzingen(data, manifest) if t["frequentie"]}
    assert planted["credits_without_debet"] > 0 and planted["double_credits"] > 0
    assert planted["redelivered_files"] and all(
        (data / "landing" / p).read_bytes() == (data / "landing" / e).read_bytes()
        for p, e in planted["redelivered_files"].items())


def test_every_variant_loads_and_nothing_valid_is_quarantined(run):
    data, manifest, con = run
    ledger = {f: (st, n_in, ok, q) for f, st, n_in, ok, q in con.execute(
        "SELECT source_file, status, rows_in, rows_loaded, rows_quarantined FROM meta.ingestion_ledger").fetchall()}
    for entry in manifest["files"]:
        status, n_in, ok, q = ledger[entry["path"]]
        assert status == "geladen" and n_in == entry["rows"] == ok + q, entry["path"]
        assert q == len(entry["defects"]), (entry["path"], q, entry["defects"])


def test_hours_per_week_from_every_unit_and_frequentie(run):
    data, manifest, con = run
    staged = {(g, n): (h, reason) for g, n, h, reason in con.execute(
        "SELECT gemeente_code, toewijzing_nummer, hours_per_week, no_hours_reason FROM staging.indicaties").fetchall()}
    seen = Counter()
    for t in toewijzingen(data, manifest):
        if t["defective"]:
            continue
        hours, reason = staged[(t["gemeente"], t["nummer"])]
        expected = hand_hours(t)
        if expected is None:
            assert hours is None and reason, t
        else:
            assert hours == pytest.approx(expected, rel=1e-9), t
        seen[kind_of(t)] += 1
    assert all(seen[c["key"]] >= c["count"] for c in manifest["iwmo_variants"]["toewijzingen"].values()), seen


def test_toewijzingen_without_hours_count_their_clients(run):
    data, manifest, con = run
    gemeente = manifest["iwmo_variants"]["gemeente_code"]
    years = [y for (y,) in con.execute("SELECT DISTINCT year FROM marts.gemeente_year ORDER BY 1").fetchall()]
    expected = {}
    for y in years:
        jan1, dec31 = dt.date(y, 1, 1), dt.date(y, 12, 31)
        expected[y] = len({t["bsn"] for t in toewijzingen(data, manifest)
                           if not t["defective"] and hand_hours(t) is None and t["start"] <= dec31
                           and (t["end"] is None or t["end"] >= jan1)})
    got = dict(con.execute("SELECT year, clients_without_hours FROM marts.gemeente_year WHERE gemeente_code = ?",
                           [gemeente]).fetchall())
    assert got == expected and max(expected.values()) > 0, (got, expected)
    # the other gemeenten have no toewijzing without hours (their registration is CSV in minutes per week)
    others = con.execute("SELECT sum(clients_without_hours) FROM marts.gemeente_year WHERE gemeente_code <> ?",
                         [gemeente]).fetchone()[0]
    assert others == 0


def test_credit_variants_are_recovered(run):
    """Credits are read from the WMO323 files: one without its debet is a finding, a debet credited twice
    makes both its credit lines a finding."""
    data, manifest, con = run
    debets, credits = set(), []
    for entry in manifest["files"]:
        if entry["format"] != "iwmo-wmo323":
            continue
        root = etree.parse(str(data / "landing" / entry["path"])).getroot()
        for p in root.iter(f"{NS323}Prestatie"):
            ref = p.findtext(f"{NS323}ProductReferentie/{NSB}ReferentieNummer")
            if p.findtext(f"{NS323}IngediendBedrag/{NSB}DebetCredit") == "D":
                debets.add(ref)
            else:
                credits.append(p.findtext(f"{NS323}ProductReferentie/{NSB}VorigReferentieNummer"))
    named = Counter(v for v in credits if v)
    without_debet = sum(1 for v in credits if v and v not in debets)
    twice = sum(n for v, n in named.items() if n > 1)
    planted = manifest["iwmo_variants"]
    assert without_debet == planted["credits_without_debet"] > 0
    assert twice == 2 * planted["double_credits"] > 0
    found = dict(con.execute("SELECT finding_code, count(*) FROM staging.reconciliation_lines "
                             "WHERE finding_code IN ('credit_zonder_debet', 'dubbel_gecrediteerd') GROUP BY ALL").fetchall())
    assert found == {"credit_zonder_debet": without_debet, "dubbel_gecrediteerd": twice}


def test_a_redelivered_wmo301_replaces_and_does_not_double(run):
    data, manifest, con = run
    gemeente = manifest["iwmo_variants"]["gemeente_code"]
    (dupes,) = con.execute("SELECT count(*) FROM (SELECT toewijzing_nummer FROM staging.indicaties WHERE gemeente_code = ? "
                           "GROUP BY ALL HAVING count(*) > 1)", [gemeente]).fetchone()
    redelivered = manifest["iwmo_variants"]["redelivered_files"]
    raw = con.execute(f"SELECT count(*) FROM raw.indicaties WHERE source_file IN ({', '.join('?' * len(redelivered))})",
                      list(redelivered)).fetchone()[0]
    assert dupes == 0 and raw == sum(e["rows"] for e in manifest["files"] if e["path"] in redelivered) > 0


def test_corrected_redeliveries_are_planted(region):
    """A WMO301 re-delivered with a correction (einddatum brought forward, Omvang volume changed): the
    first delivery holds the old value, the later one the new value, both read from the XML."""
    data, manifest = region
    planted = manifest["iwmo_variants"].get("corrections")
    assert planted, "the demo plants no corrected re-delivery"
    first = {(t["gemeente"], t["nummer"]): t for t in wmo301_products(data, manifest, redeliveries=False)}
    latest = {(t["gemeente"], t["nummer"]): t for t in toewijzingen(data, manifest)}
    field = {"einddatum": "end", "volume": "volume"}
    for c in planted:
        key = (c["gemeente_code"], c["toewijzing_nummer"])
        assert c["gemeente_code"] == manifest["iwmo_variants"]["gemeente_code"] and not first[key]["defective"], c
        old, new = first[key][field[c["field"]]], latest[key][field[c["field"]]]
        old, new = (old.isoformat(), new.isoformat()) if c["field"] == "einddatum" else (old, new)
        assert (old, new) == (c["old"], c["new"]) and old != new, (c, old, new)
        assert first[key]["path"] == c["redelivery_of"] and latest[key]["path"] == c["path"], c
        if c["field"] == "einddatum":
            assert first[key]["start"] <= latest[key]["end"] < first[key]["end"], c  # brought forward
    assert {c["field"] for c in planted} == {"einddatum", "volume"}


def test_a_corrected_redelivery_wins(run):
    """Staging carries the corrected value of a re-delivered toewijzing (the later delivery wins), from
    the later file, once per toewijzing; both deliveries are in raw."""
    data, manifest, con = run
    planted = manifest["iwmo_variants"].get("corrections")
    assert planted, "the demo plants no corrected re-delivery"
    gemeente = manifest["iwmo_variants"]["gemeente_code"]
    staged = {n: (end, volume, src) for n, end, volume, src in con.execute(
        "SELECT toewijzing_nummer, end_date, volume, source_file FROM staging.indicaties WHERE gemeente_code = ?",
        [gemeente]).fetchall()}
    raw = Counter(n for (n,) in con.execute(
        "SELECT toewijzing_nummer FROM raw.indicaties WHERE gemeente_code = ?", [gemeente]).fetchall())
    latest = {t["nummer"]: t for t in toewijzingen(data, manifest) if t["gemeente"] == gemeente}
    for c in planted:
        end, volume, src = staged[c["toewijzing_nummer"]]
        value = end.isoformat() if c["field"] == "einddatum" else str(int(volume))
        assert (value, src) == (c["new"], c["path"]), (c, value, src)
        t = latest[c["toewijzing_nummer"]]
        assert (end, str(int(volume)) if volume is not None else None) == (t["end"], t["volume"]), (c, t)
        assert raw[c["toewijzing_nummer"]] == 2, c  # both deliveries loaded, one staged
    (rows, distinct) = con.execute("SELECT count(*), count(DISTINCT toewijzing_nummer) FROM staging.indicaties "
                                   "WHERE gemeente_code = ?", [gemeente]).fetchone()
    assert rows == distinct


def start_stop_products(data: Path, manifest: dict) -> dict[str, dict]:
    """Per format (iwmo-wmo305 / iwmo-wmo307): the latest StartProduct/StopProduct of each (gemeente,
    ToewijzingNummer) in delivery order (first messages, then their follow-ups), with the file it came from
    and every delivered StatusAanlevering; from the landing XML."""
    out: dict[str, dict] = {fmt: {} for fmt in NS_START_STOP}
    entries = [e for e in manifest["files"] if e["format"] in NS_START_STOP]
    for entry in sorted(entries, key=lambda e: bool(e.get("follow_up_of"))):
        ns, item = NS_START_STOP[entry["format"]]
        root = etree.parse(str(data / "landing" / entry["path"])).getroot()
        gemeente = "GM" + root.findtext(f"{ns}Header/{ns}Ontvanger")
        for p in root.iter(f"{ns}{item}"):
            key = (gemeente, int(p.findtext(f"{ns}ToewijzingNummer")))
            seen = out[entry["format"]].get(key, {}).get("statuses", [])
            out[entry["format"]][key] = {"path": entry["path"], "begindatum": p.findtext(f"{ns}Begindatum"),
                                         "status": p.findtext(f"{ns}StatusAanlevering"),
                                         "statuses": [*seen, p.findtext(f"{ns}StatusAanlevering")]}
    return out


def test_start_and_stop_follow_ups_are_planted(region):
    """A start delivered again with a corrected begindatum (StatusAanlevering 2) and a stop withdrawn
    (StatusAanlevering 3), each in a later message than the first, as the manifest says."""
    data, manifest = region
    planted = manifest["iwmo_variants"].get("start_stop")
    assert planted, "the demo plants no WMO305/WMO307 follow-ups"
    latest = start_stop_products(data, manifest)
    first = {e["path"]: e for e in manifest["files"] if e["format"] in NS_START_STOP and not e.get("follow_up_of")}
    for t in planted:
        fmt = {"zorgstarts": "iwmo-wmo305", "zorgstops": "iwmo-wmo307"}[t["dataset"]]
        got = latest[fmt][(t["gemeente_code"], t["toewijzing_nummer"])]
        assert got["statuses"] == ["1", t["status_aanlevering"]] and got["path"] == t["path"], (t, got)
        assert t["follow_up_of"] in first and t["path"] != t["follow_up_of"], t
        if t["status_aanlevering"] == "2":
            assert got["begindatum"] == t["new"] != t["old"], (t, got)
    assert {t["status_aanlevering"] for t in planted} == {"2", "3"}


def test_start_and_stop_follow_ups_are_recovered(run):
    """Staging takes the latest delivery of a start or stop and drops a withdrawn one: for every toewijzing
    in a WMO305/WMO307 message, staging says what the last message said (oracle from the landing XML)."""
    data, manifest, con = run
    latest = start_stop_products(data, manifest)
    planted = manifest["iwmo_variants"]["start_stop"]
    for fmt, table in (("iwmo-wmo305", "zorgstarts"), ("iwmo-wmo307", "zorgstops")):
        everything = {(g, n): (d, src) for g, n, d, src in con.execute(
            f"SELECT gemeente_code, toewijzing_nummer, start_date, source_file FROM staging.{table}").fetchall()}
        staged = {k: v for k, v in everything.items() if k in latest[fmt]}
        expected = {k: (dt.date.fromisoformat(v["begindatum"]), v["path"]) for k, v in latest[fmt].items()
                    if v["status"] != "3"}
        assert staged == expected, (table, set(staged.items()) ^ set(expected.items()))
        mine = [t for t in planted if t["dataset"] == table]
        assert mine, table
        for t in mine:
            key = (t["gemeente_code"], t["toewijzing_nummer"])
            if t["status_aanlevering"] == "3":
                assert key not in everything, t  # withdrawn: no stop
            else:
                assert everything[key] == (dt.date.fromisoformat(t["new"]), t["path"]), (t, everything[key])
