"""iWmo variants a real message archive holds and the demo's own registration never draws: planted on the
exports that ``formats`` turns into iWmo (``formats.iwmo_targets``), so with ``--formats mixed`` they
arrive as WMO301/WMO323 messages, and with CSV they stay in the CSV exports with the same values.

* **Omvang variants and toewijzingen without hours** (:data:`VARIANTS`): for a share of the zorg-in-natura
  clients of the WMO301 gemeente, an extra toewijzing next to their regular help, with the same client,
  aanbieder and period: time in etmalen or dagdelen, per dag, per maand or in total over the validity
  (these convert to hours per week), and in stuks (82 output, 84 inspanning), in euro's, budget only (no
  Omvang), on category level (Categorie 01 without a Code), and **resultaatgericht** HbH: product
  ``RESULT_PRODUCT`` ("schoon en leefbaar huis" as a result, 1 stuks per maand), added to the catalogue.
  They are toewijzingen only (no declaraties refer to them), so client counts and every planted cost
  stay as they were. The clients are existing clients: the gemeente's client counts do not change.
* **Credit variants** in the first aanbieder's declaraties of the iWmo years: a credit line whose
  VorigReferentieNummer names a debet that was never declared (credit zonder debet) and a second credit
  of a debet that a planted correction credited already (dubbel gecrediteerd). Appended at the end of
  the yearly file, so the record numbers of defects and corrections stay. A CSV export has no
  VorigReferentieNummer: there these are plain credit lines (same amounts, no credit finding).
* **A re-delivered export** (:func:`redeliver`): a few WMO301 messages delivered a second time, byte for
  byte, under a new file name, as a gemeente does after a failed transfer; the later delivery replaces
  the earlier one, nothing doubles.
* **A re-delivery with a correction** (:data:`CORRECTIONS`): a few of the variant toewijzingen are
  corrected after their first delivery: the einddatum brought forward (RedenWijziging 05, verkorting) or
  the Omvang volume changed (RedenWijziging 14, administratieve correctie). The CSV export holds the
  corrected toewijzing (the registration as it stands); with iWmo the first WMO301 message holds the old
  value and the same message is delivered again later with the new one, as ``<name>_correctie.xml``
  (``formats.to_wmo301``): the later delivery wins. The manifest's ``corrections`` names each toewijzing,
  the field, the old and the new value (and, with iWmo, both files).
* **Start and stop zorg followed up** (:data:`FOLLOW_UPS`): in the first aanbieder's starts and stops of
  the iWmo years, a few starts delivered again with a corrected begindatum (StatusAanlevering 2, gewijzigde
  aanlevering) and a few stops withdrawn (StatusAanlevering 3, verwijderen: the help goes on). The CSV
  export holds the follow-up as an extra line after the first one (the later line wins); with iWmo it is a
  later WMO305/WMO307 message of its own (``formats.to_wmo305_307``). In the manifest's ``start_stop``.

Draws from its own random stream ([seed, 301]); every other figure of the demo stays as it was.
The planted counts are the manifest's ``iwmo_variants``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np

from hbh_demo import formats
from hbh_demo.csv_rows import DATE_FORMATS, new_clients, parse_date, read_csv_entry, write_csv

STREAM = 301
RESULT_PRODUCT = ("01A04", "Schoon en leefbaar huis, resultaatgericht (per maand)")
# kind -> (manifest key, eenheid, frequentie, volume (None: the source row's), product code (None: the
# source row's, "": category level), budget in euro, hours per week (True) or "geen uren")
VARIANTS = {
    "etmaal_totaal": ("14/6", "14", "6", "2", None, None, True),  # 2 etmalen within the validity
    "etmaal_per_maand": ("14/4", "14", "4", "1", None, None, True),
    "dagdeel_per_week": ("16/2", "16", "2", "1", None, None, True),
    "dagdeel_per_maand": ("16/4", "16", "4", "2", None, None, True),
    "uur_per_dag": ("04/1", "04", "1", "1", None, None, True),
    "stuks_inspanning": ("84/2", "84", "2", "2", None, None, False),
    "euro_per_maand": ("83/4", "83", "4", "450", None, None, False),
    "budget": ("budget", "", "", "", None, 1800, False),
    "categorie": ("categorie", "01", "2", None, "", None, False),
    "resultaatgericht": ("resultaatgericht", "82", "4", "1", RESULT_PRODUCT[0], None, False),
}
VARIANT_SHARE = 0.03  # of the eligible toewijzingen, per kind (at least MIN_PER_KIND)
MIN_PER_KIND = 2
CREDITS_WITHOUT_DEBET_PER_FILE = 2
DOUBLE_CREDITS_PER_FILE = 1
REDELIVER_SHARE = 0.02  # of the WMO301 messages without a defect (at least one)
# dataset -> (StatusAanlevering of the follow-up, how many per aanbieder file)
FOLLOW_UPS = {"zorgstarts": ("2", 2), "zorgstops": ("3", 2)}
START_SHIFT_DAYS = 3  # a corrected start: the help began this many days later than first reported
# field -> (variant kind whose toewijzingen are corrected, how many, RedenWijziging of the correction)
CORRECTIONS = {"einddatum": ("etmaal_totaal", 2, "05"), "volume": ("uur_per_dag", 2, "14")}


def plant(out_dir: Path, files: list[dict], seed: int, last_year: int) -> tuple[list[dict], dict]:
    """Plant the variants in the CSV exports of ``files`` (rewritten in place); returns the entries and
    the manifest's truth."""
    rng = np.random.default_rng([seed, STREAM])
    gem, agbs, from_year = formats.iwmo_targets(files, last_year)
    truth = {"gemeente_code": gem, "aanbieder_agb": agbs[0] if agbs else None, "from_year": from_year,
             "toewijzingen": {}, "resultaatgericht_product": {"product_code": RESULT_PRODUCT[0],
                                                              "omschrijving": RESULT_PRODUCT[1]},
             "clients_without_hours": {}, "credits_without_debet": 0, "double_credits": 0,
             "redelivered_files": {}, "corrections": [], "start_stop": []}
    persons = formats.persons_of(out_dir, files)
    for f in files:
        if f["dataset"] == "indicaties" and f.get("gemeente_code") == gem and "_indicaties" in f["path"]:
            _plant_toewijzingen(out_dir, f, rng, from_year, last_year, truth,
                                np.random.default_rng([seed, STREAM, 2]))
        elif f["dataset"] in FOLLOW_UPS and agbs and f.get("aanbieder_agb") == agbs[0]:
            _plant_follow_ups(out_dir, f, np.random.default_rng([seed, STREAM, 3]), from_year, persons, truth)
        elif f["dataset"] == "producten":
            _add_result_product(out_dir, f)
        elif f["dataset"] == "declaraties" and agbs and f.get("aanbieder_agb") == agbs[0] \
                and f.get("jaar", 0) >= from_year:
            _plant_credits(out_dir, f, rng, truth)
    return files, truth


def _plant_toewijzingen(out_dir: Path, entry: dict, rng: np.random.Generator, from_year: int, last_year: int,
                        truth: dict, rng_corrections: np.random.Generator) -> None:
    header, rows = read_csv_entry(out_dir, entry)
    defective = {d["record"] for d in entry["defects"]}
    new = new_clients(rows, entry, from_year)
    eligible = [i for i, r in enumerate(rows)
                if i + 1 not in defective and r["leveringsvorm"] == "ZIN" and r["bsn"] in new
                and r["product_code"] == "01A01" and parse_date(r["ingangsdatum"] or "", entry)]
    with_end = [i for i in eligible if rows[i]["einddatum"] and parse_date(rows[i]["einddatum"], entry)]
    if not eligible:
        return
    k = max(MIN_PER_KIND, round(VARIANT_SHARE * len(eligible)))
    # sources in random order, reused (a client may get several extra toewijzingen) when there are few
    order = [int(i) for i in rng.permutation(eligible)] * (k * len(VARIANTS) // len(eligible) + 1)
    ends = ([int(i) for i in rng.permutation(with_end)] * (k // max(len(with_end), 1) + 1))[:k]
    rest = order
    nummer = max(int(r["toewijzing_nummer"]) for r in rows) + 1
    dialect_decimal = entry["dialect"]["decimal"]
    added, without_hours, kinds = [], [], []
    for kind, (key, eenheid, freq, volume, product, budget, hours) in VARIANTS.items():
        sources, rest = (ends, rest) if freq == "6" else (rest[:k], rest[k:])  # (no end: none of that kind)
        for i in sources:
            r = dict(rows[i])
            r.update(toewijzing_nummer=str(nummer), eenheid=eenheid, frequentie=freq, reden_wijziging="", urgentie="",
                     volume=r["volume"] if volume is None else volume,
                     product_code=r["product_code"] if product is None else product,
                     budget="" if budget is None else f"{budget:.2f}".replace(".", dialect_decimal))
            nummer += 1
            added.append(r)
            kinds.append(kind)
            if not hours:
                without_hours.append(r)
        truth["toewijzingen"][kind] = {"key": key, "eenheid": eenheid or None, "frequentie": freq or None,
                                       "product_code": product if product is not None else "01A01",
                                       "budget_eur": budget, "hours_per_week": hours, "count": len(sources)}
    _correct(rows, added, kinds, entry, rng_corrections, truth)
    for y in range(from_year, last_year + 1):
        jan1, dec31 = dt.date(y, 1, 1), dt.date(y, 12, 31)
        truth["clients_without_hours"][str(y)] = len({
            r["bsn"] for r in without_hours
            if parse_date(r["ingangsdatum"], entry) <= dec31
            and (not r["einddatum"] or parse_date(r["einddatum"], entry) >= jan1)})
    header = header + [c for c in ("reden_wijziging", "urgentie", "budget") if c not in header]
    write_csv(out_dir / entry["path"], entry, header, rows + added)
    entry["rows"] = len(rows) + len(added)


def _correct(rows: list[dict], added: list[dict], kinds: list[str], entry: dict, rng: np.random.Generator,
             truth: dict) -> None:
    """Correct a few of the ``added`` toewijzingen in place (the export holds the corrected values) and
    record the old values in ``entry["toewijzing_corrections"]`` (record: 1-based in the export, after
    ``rows``), from which ``formats.to_wmo301`` writes the first delivery. Only toewijzingen whose
    client's message (client and aanbieder) holds no planted defect: the re-delivery is clean."""
    defective = {(rows[d["record"] - 1]["bsn"], rows[d["record"] - 1]["aanbieder_agb"])
                 for d in entry["defects"] if d["record"] <= len(rows)}
    records = []
    for field, (kind, n, reden) in CORRECTIONS.items():
        pool = [j for j, (r, k) in enumerate(zip(added, kinds))
                if k == kind and (r["bsn"], r["aanbieder_agb"]) not in defective]
        if field == "einddatum":
            pool = [j for j in pool if (parse_date(added[j]["einddatum"], entry) - parse_date(added[j]["ingangsdatum"],
                                                                                              entry)).days >= 2]
        for j in sorted(int(x) for x in rng.choice(pool, min(n, len(pool)), replace=False)):
            r = added[j]
            old = {"einddatum": r["einddatum"], "volume": r["volume"], "reden_wijziging": r["reden_wijziging"]}
            if field == "einddatum":
                start, end = parse_date(r["ingangsdatum"], entry), parse_date(r["einddatum"], entry)
                new_end = start + dt.timedelta(days=(end - start).days // 2)
                r["einddatum"] = new_end.strftime(DATE_FORMATS[entry["dialect"]["date_format"]])
                was, now = end.isoformat(), new_end.isoformat()
            else:
                was, now = r["volume"], str(int(r["volume"]) * 2)
                r["volume"] = now
            r["reden_wijziging"] = reden
            records.append({"record": len(rows) + j + 1, "old": old})
            truth["corrections"].append({"gemeente_code": r["gemeente_code"],
                                         "toewijzing_nummer": int(r["toewijzing_nummer"]),
                                         "field": field, "old": was, "new": now, "reden_wijziging": reden})
    entry["toewijzing_corrections"] = records


def _plant_follow_ups(out_dir: Path, entry: dict, rng: np.random.Generator, from_year: int,
                      persons: dict, truth: dict) -> None:
    """Append the follow-up lines (a corrected start, a withdrawn stop) of a few starts/stops of the iWmo
    years; ``entry["start_stop_follow_ups"]`` names their records (1-based) for ``formats.to_wmo305_307``."""
    header, rows = read_csv_entry(out_dir, entry)
    status, n = FOLLOW_UPS[entry["dataset"]]
    col = "einddatum" if entry["dataset"] == "zorgstops" else "begindatum"
    eligible = [i for i, r in enumerate(rows) if (d := parse_date(r[col] or "", entry)) and d.year >= from_year
                and r["bsn"] in persons and (r.get("status_aanlevering") or "1") == "1"]
    fmt = DATE_FORMATS[entry["dialect"]["date_format"]]
    added, records = [], []
    for i in sorted(int(x) for x in rng.choice(eligible, min(n, len(eligible)), replace=False)):
        r = {**rows[i], "status_aanlevering": status}
        t = {"dataset": entry["dataset"], "gemeente_code": r["gemeente_code"], "aanbieder_agb": r["aanbieder_agb"],
             "toewijzing_nummer": int(r["toewijzing_nummer"]), "status_aanlevering": status}
        if status == "2":
            old = parse_date(r["begindatum"], entry)
            new = old + dt.timedelta(days=START_SHIFT_DAYS)
            r["begindatum"] = new.strftime(fmt)
            t.update(field="begindatum", old=old.isoformat(), new=new.isoformat())
        added.append(r)
        records.append(len(rows) + len(added))
        truth["start_stop"].append(t)
    if not added:
        return
    write_csv(out_dir / entry["path"], entry, header, rows + added)
    entry["rows"] = len(rows) + len(added)
    entry["start_stop_follow_ups"] = records


def _add_result_product(out_dir: Path, entry: dict) -> None:
    """The resultaatgericht product in every gemeente's catalogue, each year (hour tariff as 01A01's: the
    result itself is paid by the amount declared)."""
    header, rows = read_csv_entry(out_dir, entry)
    extra = [{**r, "product_code": RESULT_PRODUCT[0], "omschrijving": RESULT_PRODUCT[1], "productsoort": "regulier",
              "frequentie_weken": "1"} for r in rows if r["product_code"] == "01A01"]
    write_csv(out_dir / entry["path"], entry, header, rows + extra)
    entry["rows"] = len(rows) + len(extra)


def _plant_credits(out_dir: Path, entry: dict, rng: np.random.Generator, truth: dict) -> None:
    header, rows = read_csv_entry(out_dir, entry)
    taken = {d["record"] for d in entry["defects"]} | {d["record"] for d in entry.get("duplicates", [])}
    taken |= {d.get("original_record") for d in entry.get("duplicates", [])}
    for c in entry.get("credit_corrections", []):
        taken |= {c["original_record"], c["credit_record"], c["corrected_record"]}
    debets = [i for i, r in enumerate(rows) if r["debet_credit"] == "D" and i + 1 not in taken]
    added, planted = [], []
    for i in sorted(int(x) for x in rng.choice(debets, min(CREDITS_WITHOUT_DEBET_PER_FILE, len(debets)), replace=False)):
        ref = rows[i]["referentie_nummer"]
        added.append({**rows[i], "referentie_nummer": f"{ref}-C", "debet_credit": "C"})
        planted.append({"kind": "credit_zonder_debet", "vorig": f"{ref}-N"})  # a debet never declared
    for c in entry.get("credit_corrections", [])[:DOUBLE_CREDITS_PER_FILE]:
        credit, original = rows[c["credit_record"] - 1], rows[c["original_record"] - 1]
        added.append({**credit, "referentie_nummer": f"{credit['referentie_nummer']}-C2"})
        planted.append({"kind": "dubbel_gecrediteerd", "vorig": original["referentie_nummer"]})
    if not added:
        return
    write_csv(out_dir / entry["path"], entry, header, rows + added)
    entry["credit_variants"] = [{**p, "record": len(rows) + n + 1} for n, p in enumerate(planted)]
    entry["rows"] = len(rows) + len(added)
    truth["credits_without_debet"] += sum(p["kind"] == "credit_zonder_debet" for p in planted)
    truth["double_credits"] += sum(p["kind"] == "dubbel_gecrediteerd" for p in planted)


def redeliver(out_dir: Path, files: list[dict], truth: dict) -> list[dict]:
    """A few WMO301 messages delivered again, byte for byte, as ``<name>_herzending.xml`` (not those
    re-delivered with a correction); the files of the corrections go into the manifest's truth."""
    corrected = {f["redelivery_of"] for f in files if f.get("corrections")}
    for f in files:
        if f.get("follow_up_of"):
            for t in truth["start_stop"]:
                if (t["dataset"], t["gemeente_code"], t["toewijzing_nummer"]) == \
                        (f["dataset"], f["gemeente_code"], f["toewijzing_nummer"]):
                    t.update(path=f["path"], follow_up_of=f["follow_up_of"])
    for f in files:
        for c in f.get("corrections", []):
            for t in truth["corrections"]:
                if (t["gemeente_code"], t["toewijzing_nummer"]) == (f["gemeente_code"], c["toewijzing_nummer"]):
                    t.update(path=f["path"], redelivery_of=f["redelivery_of"])
    clean = [f for f in files if f["format"] == "iwmo-wmo301" and not f["defects"] and not f.get("redelivery_of")
             and f["path"] not in corrected]
    step = max(1, round(1 / REDELIVER_SHARE))
    out = list(files)
    for f in clean[step // 2::step] or clean[:1]:
        rel = f["path"][:-len(".xml")] + "_herzending.xml"
        shutil.copyfile(out_dir / f["path"], out_dir / rel)
        out.append({**{k: v for k, v in f.items() if k not in ("omvang_variants", "corrections")}, "path": rel,
                    "redelivery_of": f["path"]})
        truth["redelivered_files"][rel] = f["path"]
    return out
