"""Delivery formats of the demo: the same records as CSV or in the formats municipalities receive.

``generate(..., formats="csv")`` (default) writes every dataset as CSV. ``formats="mixed"`` rewrites
some of those files, record for record, into the other formats the pipeline reads (the values,
including the planted defects, stay the same, so the marts must come out identical):

* indicaties of the third gemeente (GM9903 in the five-gemeente region; the last one if there are
  fewer): the zorg-in-natura toewijzingen of clients whose first toewijzing falls in the last
  ``IWMO_YEARS`` years become iWmo 3.2 **WMO301** messages, one message (= one file, as the GGK
  delivers them) per client and aanbieder, in a folder per year of that first toewijzing:
  ``indicaties/GM9903_wmo301/<year>/WMO301_GM9903_<n>.xml``. The rest (pgb, which iWmo does not
  carry, and the older clients) stays in the CSV export of the municipal registration. WMO301
  carries no address, so the client registration with the wijk is delivered as
  ``clienten/GM9903_clienten.csv`` (dataset ``clienten``); every 7th client also has an earlier
  address in another wijk (valid before the first indicatie), which exercises the staging rule
  "registration valid at the start".
  The Omvang of a weekly product is written in one of the forms iWmo 3.2 allows that holds exactly the
  same hours per week (uren per week, minuten per dag, per maand, totaal binnen de geldigheidsduur;
  :func:`omvang_variant`); each file's manifest entry counts them (``omvang_variants``).
* declaraties of the first aanbieder for the last ``IWMO_YEARS`` years: monthly iWmo 3.2 **WMO323**
  messages, one per gemeente and declaration month
  (``declaraties/<agb>_wmo323/<year>/WMO323_<agb>_<GM>_<yyyymm>.xml``), amounts in eurocent, the
  DeclaratieNummer without its dashes (the XSD allows letters and digits only); a credit line names
  the debet it undoes (VorigReferentieNummer). The gemeente answers each with a **WMO325**
  (``declaratie_antwoorden/<GM>_wmo325/<year>/…``) that rejects ``REJECT_SHARE`` of its debet lines with
  retourcodes; the rejections are in the manifest entry (``rejections``). CSV exports carry no answer.
* zorgstarts / zorgstops of the first aanbieder in the last ``IWMO_YEARS`` years: **WMO305** /
  **WMO307** messages, one per client and gemeente (``zorgstarts/<agb>_wmo305/<year>/…``); the
  client's birth date and gender come from the indicaties exports.
* declaraties of the second aanbieder as **Excel** (.xlsx, real dates and numbers where the value is
  valid, text where a defect made it invalid), of the third as **Parquet** (typed columns; a column
  holding a defect value that no type can hold is text).

Defects keep their record (1-based data record number in the new file). A defect the target format
cannot express is moved to an equivalent one on the same record, and the manifest says so
(``moved_from``): in a WMO301 an empty wijk_code (the message has no wijk) or an invalid
leveringsvorm (a toewijzing is always ZIN) becomes an invalid Omvang/Eenheid.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.sax.saxutils import escape

FORMATS = ("csv", "mixed")
# iWmo messages cover the last IWMO_YEARS years of the window (the municipality and the first
# aanbieder switched to iWmo then; earlier years stay CSV). One message per file, as the GGK
# delivers them, keeps the file count (and the ingestion time per file) bounded this way.
IWMO_YEARS = 2
NS_BASIS = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"
DATE_FORMATS = {"dd-mm-jjjj": "%d-%m-%Y", "jjjj-mm-dd": "%Y-%m-%d"}


# ---------------------------------------------------------------------------------------------
# Reading back the CSV the generator wrote
# ---------------------------------------------------------------------------------------------


def read_csv_entry(out_dir: Path, entry: dict) -> tuple[list[str], list[dict]]:
    d = entry["dialect"]
    enc = "utf-8-sig" if d["encoding"].startswith("utf-8") else d["encoding"]
    with (out_dir / entry["path"]).open("r", encoding=enc, newline="") as f:
        reader = csv.DictReader(f, delimiter=d["separator"])
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _write_csv(path: Path, entry: dict, header: list[str], rows: list[dict]) -> None:
    d = entry["dialect"]
    enc = "utf-8-sig" if d["encoding"].endswith("-sig") else d["encoding"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=enc, newline="") as f:
        w = csv.writer(f, delimiter=d["separator"], lineterminator="\r\n" if d["line_terminator"] == "CRLF" else "\n")
        w.writerow(header)
        w.writerows([[r.get(h) or "" for h in header] for r in rows])


def _date(text: str, entry: dict) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, DATE_FORMATS[entry["dialect"]["date_format"]]).date()
    except (ValueError, KeyError):
        return None


def _iso(text: str | None, entry: dict) -> str:
    """A date of the dialect as ISO (iWmo); a value that is no date (a planted defect) unchanged."""
    if not text:
        return ""
    d = _date(text, entry)
    return d.isoformat() if d else text


def _decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    t = text.strip()
    if "," in t:
        t = t.replace(".", "").replace(",", ".")
    try:
        return Decimal(t)
    except InvalidOperation:
        return None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def _remap_defects(entry: dict, positions: list[int]) -> list[dict]:
    """Defects of the rows ``positions`` (0-based in the old file), renumbered in the new file."""
    by_record = {d["record"]: d for d in entry["defects"]}
    out = []
    for new, old in enumerate(positions, start=1):
        if old + 1 in by_record:
            out.append({**by_record[old + 1], "record": new})
    return out


def _new_entry(entry: dict, path: str, fmt: str, rows: int, defects: list[dict], **extra) -> dict:
    keep = {k: v for k, v in entry.items() if k not in ("path", "rows", "defects", "dialect", "format",
                                                        "credit_corrections", "credit_variants")}
    out = {"path": path, "dataset": entry["dataset"], "rows": rows, "format": fmt}
    out.update({k: v for k, v in keep.items() if k != "dataset"})
    out.update(extra)
    out["defects"] = defects
    return out


# ---------------------------------------------------------------------------------------------
# iWmo 3.2 writers
# ---------------------------------------------------------------------------------------------


def _el(tag: str, value, ns: str) -> str:
    return f"<{ns}:{tag}>{escape(str(value))}</{ns}:{tag}>"


def _header(ns: str, code: str, afzender: str, ontvanger: str, ident: str, dagtekening: str) -> list[str]:
    return [
        f"<{ns}:Header>",
        _el("BerichtCode", code, ns), _el("BerichtVersie", 3, ns), _el("BerichtSubversie", 2, ns),
        _el("Afzender", afzender, ns), _el("Ontvanger", ontvanger, ns),
        f"<{ns}:BerichtIdentificatie>", _el("Identificatie", ident, "iwmo"), _el("Dagtekening", dagtekening, "iwmo"),
        f"</{ns}:BerichtIdentificatie>",
        f"<{ns}:XsdVersie>", _el("BasisschemaXsdVersie", "1.0.0", "iwmo"), _el("BerichtXsdVersie", "1.0.0", "iwmo"),
        f"</{ns}:XsdVersie>",
        f"</{ns}:Header>",
    ]


def _root(ns: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{ns}:Bericht xmlns:iwmo="{NS_BASIS}" '
            f'xmlns:{ns}="http://www.istandaarden.nl/iwmo/3_2/{ns}/schema">')


def wmo301_message(rows: list[dict], entry: dict, ident: str) -> str:
    """One WMO301 (one client, one aanbieder, all their toegewezen producten), one element a line."""
    first = rows[0]
    ns = "wmo301"
    dag = max((_iso(r["toewijzingsdatum"], entry) for r in rows if _date(r["toewijzingsdatum"] or "", entry)),
              default="2000-01-01")
    out = [_root(ns)]
    out += _header(ns, 414, first["gemeente_code"][2:], first["aanbieder_agb"] or "", ident, dag)
    out += [f"<{ns}:Client>", _el("Bsn", first["bsn"], ns),
            f"<{ns}:Geboortedatum>", _el("Datum", _iso(first["geboortedatum"], entry), "iwmo"), f"</{ns}:Geboortedatum>",
            _el("Geslacht", first["geslacht"], ns),
            f"<{ns}:Naam>", "<iwmo:Geslachtsnaam>", _el("Achternaam", "Demo", "iwmo"), "</iwmo:Geslachtsnaam>",
            _el("NaamGebruik", 1, "iwmo"), f"</{ns}:Naam>",
            f"<{ns}:Contactgegevens>", f"<{ns}:Contact>", _el("Soort", "01", ns), f"</{ns}:Contact>",
            f"</{ns}:Contactgegevens>",
            f"<{ns}:ToegewezenProducten>"]
    for r in rows:
        code = [_el("Code", r["product_code"], "iwmo")] if r.get("product_code") else []  # none: category level
        out += [f"<{ns}:ToegewezenProduct>", _el("ToewijzingNummer", r["toewijzing_nummer"], ns),
                f"<{ns}:Product>", _el("Categorie", "01", "iwmo"), *code, f"</{ns}:Product>",
                _el("Toewijzingsdatum", _iso(r["toewijzingsdatum"], entry), ns), _el("Toewijzingstijd", "12:00:00", ns),
                _el("Ingangsdatum", _iso(r["ingangsdatum"], entry), ns)]
        if r.get("einddatum"):
            out.append(_el("Einddatum", _iso(r["einddatum"], entry), ns))
        if r.get("reden_wijziging"):
            out.append(_el("RedenWijziging", r["reden_wijziging"], ns))
        volume, eenheid, frequentie = omvang_variant(r, entry)
        if volume or eenheid or frequentie:  # no Omvang at all: a budget-only toewijzing
            out += [f"<{ns}:Omvang>", _el("Volume", volume, "iwmo"), _el("Eenheid", eenheid, "iwmo"),
                    _el("Frequentie", frequentie, "iwmo"), f"</{ns}:Omvang>"]
        budget = _decimal(r.get("budget"))
        if budget is not None:  # LDT_Budget: eurocent
            out.append(_el("Budget", int((budget * 100).to_integral_value()), ns))
        out.append(f"</{ns}:ToegewezenProduct>")
    out += [f"</{ns}:ToegewezenProducten>", f"</{ns}:Client>", f"</{ns}:Bericht>", ""]
    return "\n".join(out)


WEEKLY_PRODUCTS = ("01A01", "01A03")  # help every week (frequentie_weken 1 in the demo catalogue)


def omvang_variant(r: dict, entry: dict) -> tuple[str, str, str]:
    """The Omvang of a WMO301 product: the registration's minutes per week, written in one of the other
    forms iWmo 3.2 allows when that form holds exactly the same hours per week (so the marts stay equal):
    by ToewijzingNummer mod 5: 0 minuten per week, 1 uren per week, 2 minuten per dag, 3 minuten per
    maand (× 52 / 12), 4 minuten totaal binnen de geldigheidsduur (× weeks of validity). Products given
    every other week keep their per-week form (its volume is per two weeks)."""
    volume, eenheid, frequentie = r["volume"], r["eenheid"], r["frequentie"]
    v = _int(volume)
    if v is None or v == 0 or (eenheid, frequentie) != ("01", "2") or r.get("product_code") not in WEEKLY_PRODUCTS:
        return volume, eenheid, frequentie
    kind = (_int(r.get("toewijzing_nummer")) or 0) % 5
    if kind == 1 and v % 60 == 0:
        return str(v // 60), "04", "2"
    if kind == 2 and v % 7 == 0:
        return str(v // 7), "01", "1"
    if kind == 3 and v % 3 == 0:
        return str(v * 13 // 3), "01", "4"
    start, end = _date(r.get("ingangsdatum") or "", entry), _date(r.get("einddatum") or "", entry)
    if kind == 4 and start and end and end >= start and ((end - start).days + 1) % 7 == 0:
        return str(v * ((end - start).days + 1) // 7), "01", "6"
    return volume, eenheid, frequentie


def _cents(r: dict) -> int:
    return int((_decimal(r["bedrag"]) * 100).to_integral_value())


def wmo323_message(rows: list[dict], entry: dict, ident: str, month: str) -> str:
    """One WMO323: one aanbieder, one gemeente, one declaration month; clients in row order."""
    first = rows[0]
    ns = "wmo323"
    y, m = int(month[:4]), int(month[4:])
    begin = dt.date(y, m, 1)
    end = (dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1))
    dag = (end + dt.timedelta(days=6)).isoformat()
    total = sum(_cents(r) * (-1 if r["debet_credit"] == "C" else 1) for r in rows)
    out = [_root(ns)]
    out += _header(ns, 484, first["aanbieder_agb"], first["gemeente_code"][2:], ident, dag)
    # the iWmo DeclaratieNummer is alphanumeric only: D202401-1-01 → D202401101 (still unique)
    nummer = "".join(ch for ch in first["declaratie_nummer"] if ch.isalnum())
    out += [f"<{ns}:Declaratie>", _el("DeclaratieNummer", nummer, ns),
            f"<{ns}:DeclaratiePeriode>", _el("Begindatum", begin.isoformat(), "iwmo"),
            _el("Einddatum", end.isoformat(), "iwmo"), f"</{ns}:DeclaratiePeriode>",
            _el("DeclaratieDagtekening", dag, ns),
            f"<{ns}:TotaalIngediendBedrag>", _el("TotaalBedrag", abs(total), "iwmo"),
            _el("DebetCredit", "C" if total < 0 else "D", "iwmo"), f"</{ns}:TotaalIngediendBedrag>",
            f"<{ns}:Clienten>"]
    current = None
    for r in rows:
        if r["bsn"] != current:
            if current is not None:
                out += [f"</{ns}:Prestaties>", f"</{ns}:Client>"]
            out += [f"<{ns}:Client>", _el("Bsn", r["bsn"], ns), f"<{ns}:Prestaties>"]
            current = r["bsn"]
        vorig = [_el("VorigReferentieNummer", r["_vorig"], "iwmo")] if r.get("_vorig") else []
        out += [f"<{ns}:Prestatie>", f"<{ns}:ProductReferentie>", _el("ReferentieNummer", r["referentie_nummer"], "iwmo"),
                *vorig, f"</{ns}:ProductReferentie>", _el("ToewijzingNummer", r["toewijzing_nummer"], ns),
                _el("ProductCategorie", "01", ns), _el("ProductCode", r["product_code"], ns),
                f"<{ns}:ProductPeriode>", _el("Begindatum", _iso(r["begindatum"], entry), "iwmo"),
                _el("Einddatum", _iso(r["einddatum"], entry), "iwmo"), f"</{ns}:ProductPeriode>",
                _el("GeleverdVolume", r["geleverd_volume"], ns), _el("Eenheid", r["eenheid"], ns),
                f"<{ns}:IngediendBedrag>", _el("Bedrag", _cents(r), "iwmo"),
                _el("DebetCredit", r["debet_credit"], "iwmo"), f"</{ns}:IngediendBedrag>", f"</{ns}:Prestatie>"]
    if current is not None:
        out += [f"</{ns}:Prestaties>", f"</{ns}:Client>"]
    out += [f"</{ns}:Clienten>", f"</{ns}:Declaratie>", f"</{ns}:Bericht>", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Converters: one CSV entry → entries of the new format
# ---------------------------------------------------------------------------------------------


def _first_year(rows: list[dict], idx: list[int], entry: dict) -> int | None:
    years = [d.year for i in idx for c in ("toewijzingsdatum", "ingangsdatum")
             if (d := _date(rows[i][c] or "", entry))]
    return min(years) if years else None


def to_wmo301(out_dir: Path, entry: dict, from_year: int) -> list[dict]:
    """A gemeente's indicaties export → WMO301 messages for the zorg-in-natura clients whose first
    toewijzing is in ``from_year`` or later, + the clienten registration for them; the other rows
    (pgb, earlier clients) stay in the CSV export."""
    header, rows = read_csv_entry(out_dir, entry)
    gm = entry.get("gemeente_code") or rows[0]["gemeente_code"]
    defects = {d["record"]: d for d in entry["defects"]}
    new_client = new_clients(rows, entry, from_year)
    zin = [i for i, r in enumerate(rows) if r["leveringsvorm"] != "PGB" and r["bsn"] in new_client]
    in_xml = set(zin)
    rest = [i for i in range(len(rows)) if i not in in_xml]
    # defects a WMO301 cannot carry move to an invalid Eenheid on the same record
    for i in zin:
        d = defects.get(i + 1)
        if d and d["column"] in ("wijk_code", "leveringsvorm"):
            rows[i] = {**rows[i], "eenheid": "X"}
            if d["column"] == "wijk_code":
                rows[i]["wijk_code"] = ""
            defects[i + 1] = {**d, "kind": "invalid_code", "column": "eenheid", "moved_from": d["column"]}
    entry = {**entry, "defects": list(defects.values())}
    # one message per client and aanbieder, in order of first appearance
    groups: dict[tuple, list[int]] = {}
    for i in zin:
        groups.setdefault((rows[i]["bsn"], rows[i]["aanbieder_agb"]), []).append(i)
    out = []
    for n, ((_bsn, _agb), idx) in enumerate(groups.items(), start=1):
        year = _first_year(rows, idx, entry) or "onbekend"
        rel = f"indicaties/{gm}_wmo301/{year}/WMO301_{gm}_{n:06d}.xml"
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wmo301_message([rows[i] for i in idx], entry, f"{gm[2:]}{n:08d}"), encoding="utf-8")
        variants: dict[str, int] = {}
        for i in idx:
            v = omvang_variant(rows[i], entry)
            key = f"{v[1]}/{v[2]}" if v[1] or v[2] else "geen omvang"
            variants[key] = variants.get(key, 0) + 1
        out.append(_new_entry(entry, rel, "iwmo-wmo301", len(idx), _remap_defects(entry, idx),
                              omvang_variants=variants))
    _write_csv(out_dir / entry["path"], entry, header, [rows[i] for i in rest])
    e = _new_entry(entry, entry["path"], "csv", len(rest), _remap_defects(entry, rest))
    e["dialect"] = entry["dialect"]
    out.insert(0, e)
    out.append(_clienten(out_dir, entry, gm, rows, zin))
    return out


def _clienten(out_dir: Path, entry: dict, gm: str, rows: list[dict], zin: list[int]) -> dict:
    """The client registration for the WMO301 clients: wijk since before their first indicatie."""
    bad_bsn = {d["record"] for d in entry["defects"] if d["column"] == "bsn"}
    first: dict[str, dt.date] = {}
    wijk: dict[str, str] = {}
    for i in zin:
        r = rows[i]
        if i + 1 in bad_bsn:
            continue
        if r.get("wijk_code"):
            wijk.setdefault(r["bsn"], r["wijk_code"])
        for c in ("toewijzingsdatum", "ingangsdatum"):
            d = _date(r[c] or "", entry)
            if d and (r["bsn"] not in first or d < first[r["bsn"]]):
                first[r["bsn"]] = d
    wijken = sorted(set(wijk.values()))
    reg = []
    for n, (bsn, w) in enumerate(sorted(wijk.items())):
        since = first.get(bsn, dt.date(2000, 1, 1)) - dt.timedelta(days=30 + n % 400)
        if n % 7 == 3 and len(wijken) > 1:  # moved: an earlier address in another wijk
            other = wijken[(wijken.index(w) + 1) % len(wijken)]
            reg.append([bsn, other, (since - dt.timedelta(days=5 * 365)).isoformat(), ""])
        reg.append([bsn, w, since.isoformat(), ""])
    rel = f"clienten/{gm}_clienten.csv"
    path = out_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\n")
        w.writerow(["bsn", "wijk_code", "geldig_vanaf", "postcode"])
        w.writerows(reg)
    return {"path": rel, "dataset": "clienten", "rows": len(reg), "format": "csv", "gemeente_code": gm,
            "dialect": {"name": "c", "separator": ";", "decimal": ",", "date_format": "jjjj-mm-dd",
                        "encoding": "utf-8", "line_terminator": "LF"},
            "defects": []}


def to_wmo323(out_dir: Path, entry: dict) -> list[dict]:
    """An aanbieder-year declaraties file → one WMO323 per gemeente and declaration month."""
    _header_cols, rows = read_csv_entry(out_dir, entry)
    agb = entry.get("aanbieder_agb") or rows[0]["aanbieder_agb"]
    for c in entry.get("credit_corrections", []):  # a credit line names the debet it undoes
        rows[c["credit_record"] - 1]["_vorig"] = rows[c["original_record"] - 1]["referentie_nummer"]
    for c in entry.get("credit_variants", []):  # planted credits (iwmo_variants) name theirs
        rows[c["record"] - 1]["_vorig"] = c["vorig"]
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(r["declaratie_nummer"], []).append(i)
    out = []
    for r in rows:
        r["_begin"], r["_end"] = _iso(r["begindatum"], entry), _iso(r["einddatum"], entry)
    for nummer, idx in groups.items():
        month = nummer[1:7]  # D<yyyymm>-<aanbieder>-<gemeente>, see declaraties_files.declaraties_frame
        gm = rows[idx[0]]["gemeente_code"]
        rel = f"declaraties/{agb}_wmo323/{month[:4]}/WMO323_{agb}_{gm}_{month}.xml"
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wmo323_message([rows[i] for i in idx], entry, f"{month}{gm[2:]}", month),
                        encoding="utf-8")
        defects = _remap_defects(entry, idx)
        out.append(_new_entry(entry, rel, "iwmo-wmo323", len(idx), defects, gemeente_code=gm,
                              credits_with_debet=sum(1 for i in idx if rows[i].get("_vorig"))))
        answer = wmo325_answer(out_dir, [rows[i] for i in idx], {d["record"] for d in defects}, agb, gm, month,
                               "".join(ch for ch in nummer if ch.isalnum()))
        if answer:
            out.append(answer)
    (out_dir / entry["path"]).unlink()
    return out


# WMO325: the gemeente answers each WMO323 and rejects a few prestaties with a retourcode
REJECT_SHARE = 0.02
REJECT_CODES = (("0611",), ("9307",), ("9340",), ("9346",), ("9307", "9340"))


def wmo325_answer(out_dir: Path, rows: list[dict], defect_records: set[int], agb: str, gm: str, month: str,
                  nummer: str) -> dict | None:
    """A WMO325 for one WMO323 (``rows`` in message order): REJECT_SHARE of its debet lines without a
    planted defect are rejected, with retourcodes drawn from REJECT_CODES (deterministic per aanbieder and
    month). Returns the manifest entry (with the planted rejections), or None when nothing is rejected."""
    import random

    rnd = random.Random(int(agb) * 1_000_000 + int(month))
    eligible = [i for i, r in enumerate(rows) if r["debet_credit"] == "D" and i + 1 not in defect_records]
    k = round(len(eligible) * REJECT_SHARE)
    if k == 0:
        return None
    picked = sorted(rnd.sample(eligible, k))
    codes = {i: REJECT_CODES[rnd.randrange(len(REJECT_CODES))] for i in picked}
    rel = f"declaratie_antwoorden/{gm}_wmo325/{month[:4]}/WMO325_{agb}_{gm}_{month}.xml"
    (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    (out_dir / rel).write_text(wmo325_message(rows, codes, agb, gm, month, nummer), encoding="utf-8")
    return {"path": rel, "dataset": "declaratie_antwoorden", "rows": k, "format": "iwmo-wmo325",
            "gemeente_code": gm, "aanbieder_agb": agb,
            "rejections": [{"referentie_nummer": rows[i]["referentie_nummer"], "retourcodes": list(codes[i])}
                           for i in picked],
            "defects": []}


def wmo325_message(rows: list[dict], codes: dict[int, tuple], agb: str, gm: str, month: str, nummer: str) -> str:
    """WMO325 (as the official iWmo 3.2 example): header with the DeclaratieIdentificatie, then per client
    the prestaties not granted, each with its RetourCodes."""
    ns = "wmo325"
    y, m = int(month[:4]), int(month[4:])
    dag = (dt.date(y + m // 12, m % 12 + 1, 1) + dt.timedelta(days=14)).isoformat()
    total = sum(_cents(r) * (-1 if r["debet_credit"] == "C" else 1) for r in rows)
    granted = total - sum(_cents(rows[i]) for i in codes)
    out = [_root(ns)]
    head = _header(ns, 485, gm[2:], agb, f"{month}{gm[2:]}A", dag)
    out += head[:-1] + [f"<{ns}:DeclaratieIdentificatie>", _el("Identificatie", f"{month}{gm[2:]}", "iwmo"),
                        _el("Dagtekening", dag, "iwmo"), f"</{ns}:DeclaratieIdentificatie>",
                        _el("XsltVersie", "1.0.0", ns),
                        f"<{ns}:XsdVersieDeclaratie>", _el("BasisschemaXsdVersie", "1.0.0", "iwmo"),
                        _el("BerichtXsdVersie", "1.0.0", "iwmo"), f"</{ns}:XsdVersieDeclaratie>",
                        f"<{ns}:RetourCodes>", _el("RetourCode", "0200", ns), f"</{ns}:RetourCodes>", head[-1]]
    out += [f"<{ns}:DeclaratieAntwoord>", _el("DeclaratieNummer", nummer, ns),
            f"<{ns}:TotaalIngediendBedrag>", _el("TotaalBedrag", abs(total), "iwmo"),
            _el("DebetCredit", "C" if total < 0 else "D", "iwmo"), f"</{ns}:TotaalIngediendBedrag>",
            f"<{ns}:TotaalToegekendBedrag>", _el("TotaalBedrag", abs(granted), "iwmo"),
            _el("DebetCredit", "C" if granted < 0 else "D", "iwmo"), f"</{ns}:TotaalToegekendBedrag>",
            f"<{ns}:Clienten>"]
    by_client: dict[str, list[int]] = {}
    for i in sorted(codes):
        by_client.setdefault(rows[i]["bsn"], []).append(i)
    for bsn, idx in by_client.items():
        out += [f"<{ns}:Client>", _el("Bsn", bsn, ns), f"<{ns}:Prestaties>"]
        for i in idx:
            r = rows[i]
            out += [f"<{ns}:Prestatie>", f"<{ns}:ProductReferentie>",
                    _el("ReferentieNummer", r["referentie_nummer"], "iwmo"), f"</{ns}:ProductReferentie>",
                    _el("ToewijzingNummer", r["toewijzing_nummer"], ns), _el("ProductCategorie", "01", ns),
                    _el("ProductCode", r["product_code"], ns), f"<{ns}:ProductPeriode>",
                    _el("Begindatum", r["_begin"], "iwmo"), _el("Einddatum", r["_end"], "iwmo"),
                    f"</{ns}:ProductPeriode>", _el("GeleverdVolume", r["geleverd_volume"], ns),
                    _el("Eenheid", r["eenheid"], ns), f"<{ns}:IngediendBedrag>", _el("Bedrag", _cents(r), "iwmo"),
                    _el("DebetCredit", r["debet_credit"], "iwmo"), f"</{ns}:IngediendBedrag>",
                    f"<{ns}:RetourCodes>", *[_el("RetourCode", c, ns) for c in codes[i]], f"</{ns}:RetourCodes>",
                    f"</{ns}:Prestatie>"]
        out += [f"</{ns}:Prestaties>", f"<{ns}:RetourCodes>", _el("RetourCode", "0200", ns), f"</{ns}:RetourCodes>",
                f"</{ns}:Client>"]
    out += [f"</{ns}:Clienten>", f"<{ns}:RetourCodes>", _el("RetourCode", "0200", ns), f"</{ns}:RetourCodes>",
            f"</{ns}:DeclaratieAntwoord>", f"</{ns}:Bericht>", ""]
    return "\n".join(out)


def persons_of(out_dir: Path, files: list[dict]) -> dict[str, tuple[str, str]]:
    """bsn → (geboortedatum ISO, geslacht) from the indicaties exports (a WMO305/307 names the client)."""
    out: dict[str, tuple[str, str]] = {}
    for f in files:
        if f["dataset"] == "indicaties" and f.get("format", "csv") == "csv":
            _h, rows = read_csv_entry(out_dir, f)
            for r in rows:
                d = _date(r.get("geboortedatum") or "", f)
                if d and r.get("geslacht") in ("0", "1", "2"):
                    out.setdefault(r["bsn"], (d.isoformat(), r["geslacht"]))
    return out


def start_stop_message(rows: list[dict], entry: dict, stop: bool, person: tuple[str, str], ident: str) -> str:
    """One WMO305 (start zorg) or WMO307 (stop zorg): one client, one aanbieder, its products."""
    ns, code, item = ("wmo307", 420, "StopProduct") if stop else ("wmo305", 418, "StartProduct")
    first = rows[0]
    dates = [_iso(r["einddatum" if stop else "begindatum"], entry) for r in rows]
    dag = (dt.date.fromisoformat(max(dates)) + dt.timedelta(days=3)).isoformat()
    out = [_root(ns)]
    out += _header(ns, code, first["aanbieder_agb"], first["gemeente_code"][2:], ident, dag)
    out += [f"<{ns}:Client>", _el("Bsn", first["bsn"], ns),
            f"<{ns}:Geboortedatum>", _el("Datum", person[0], "iwmo"), f"</{ns}:Geboortedatum>",
            _el("Geslacht", person[1], ns),
            f"<{ns}:Naam>", "<iwmo:Geslachtsnaam>", _el("Achternaam", "Demo", "iwmo"), "</iwmo:Geslachtsnaam>",
            f"</{ns}:Naam>", f"<{ns}:{item}en>"]
    for r in rows:
        out += [f"<{ns}:{item}>", _el("ToewijzingNummer", r["toewijzing_nummer"], ns),
                f"<{ns}:Product>", _el("Categorie", "01", "iwmo"), _el("Code", r["product_code"], "iwmo"), f"</{ns}:Product>",
                _el("Begindatum", _iso(r["begindatum"], entry), ns)]
        if stop:
            out += [_el("RedenBeeindiging", r["reden_beeindiging"], ns), _el("Einddatum", _iso(r["einddatum"], entry), ns)]
        out += [_el("StatusAanlevering", r.get("status_aanlevering") or "1", ns), f"</{ns}:{item}>"]
    out += [f"</{ns}:{item}en>", f"</{ns}:Client>", f"</{ns}:Bericht>", ""]
    return "\n".join(out)


def to_wmo305_307(out_dir: Path, entry: dict, from_year: int, persons: dict[str, tuple[str, str]]) -> list[dict]:
    """An aanbieder's zorgstarts/zorgstops export → WMO305/WMO307 messages (one per client and gemeente)
    for the starts/stops in ``from_year`` or later; earlier rows stay in the CSV export."""
    header, rows = read_csv_entry(out_dir, entry)
    stop = entry["dataset"] == "zorgstops"
    col = "einddatum" if stop else "begindatum"
    code = "WMO307" if stop else "WMO305"
    agb = entry.get("aanbieder_agb") or (rows[0]["aanbieder_agb"] if rows else "")
    xml = [i for i, r in enumerate(rows)
           if (d := _date(r[col] or "", entry)) and d.year >= from_year and r["bsn"] in persons]
    groups: dict[tuple, list[int]] = {}
    for i in xml:
        groups.setdefault((rows[i]["bsn"], rows[i]["gemeente_code"]), []).append(i)
    out = []
    for n, ((bsn, gm), idx) in enumerate(groups.items(), start=1):
        year = min(_date(rows[i][col], entry).year for i in idx)
        rel = f"{entry['dataset']}/{agb}_{code.lower()}/{year}/{code}_{agb}_{gm}_{n:06d}.xml"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / rel).write_text(start_stop_message([rows[i] for i in idx], entry, stop, persons[bsn],
                                                      f"{agb[-4:]}{n:08d}"), encoding="utf-8")
        out.append(_new_entry(entry, rel, f"iwmo-{code.lower()}", len(idx), [], gemeente_code=gm))
    in_xml = set(xml)
    rest = [rows[i] for i in range(len(rows)) if i not in in_xml]
    _write_csv(out_dir / entry["path"], entry, header, rest)
    e = _new_entry(entry, entry["path"], "csv", len(rest), [])
    e["dialect"] = entry["dialect"]
    return [e] + out


TYPED_DECLARATIE = {"begindatum": "date", "einddatum": "date", "geleverd_volume": "int",
                    "toewijzing_nummer": "int", "bedrag": "decimal"}


def _typed(value: str, kind: str | None, entry: dict):
    if not value:
        return None
    if kind == "date":
        return _date(value, entry)
    if kind == "int":
        return _int(value)
    if kind == "decimal":
        return _decimal(value)
    return value


def to_xlsx(out_dir: Path, entry: dict) -> list[dict]:
    """CSV → .xlsx (first sheet): real dates and numbers; a defect value that is no valid date or
    number stays text, as in a hand-edited sheet."""
    import openpyxl

    header, rows = read_csv_entry(out_dir, entry)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("declaraties")
    ws.append(header)
    for r in rows:
        cells = []
        for h in header:
            v, kind = r.get(h) or "", TYPED_DECLARATIE.get(h)
            t = _typed(v, kind, entry)
            cells.append(float(t) if isinstance(t, Decimal) else (t if t is not None else (v or None)))
        ws.append(cells)
    rel = str(Path(entry["path"]).with_suffix(".xlsx"))
    wb.save(out_dir / rel)
    _fix_xlsx_time(out_dir / rel, dt.datetime(int(entry.get("jaar") or 2000) + 1, 1, 15))
    (out_dir / entry["path"]).unlink()
    return [_new_entry(entry, rel, "xlsx", len(rows), list(entry["defects"]),
                       credit_corrections=entry.get("credit_corrections", []))]


def _fix_xlsx_time(path: Path, when: dt.datetime) -> None:
    """openpyxl stamps a workbook with the time of writing (document properties and every zip member):
    set both to ``when`` so the same seed gives the same bytes."""
    import re
    import zipfile

    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + stamp + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            z.writestr(fixed, data)


def to_parquet(out_dir: Path, entry: dict) -> list[dict]:
    """CSV → Parquet with typed columns; a column holding a value of no valid type stays text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    header, rows = read_csv_entry(out_dir, entry)
    arrays = []
    for h in header:
        vals = [r.get(h) or "" for r in rows]
        kind = TYPED_DECLARATIE.get(h)
        typed = [_typed(v, kind, entry) for v in vals]
        if kind and all((t is not None) == bool(v) for t, v in zip(typed, vals)):
            typ = {"date": pa.date32(), "int": pa.int64(), "decimal": pa.float64()}[kind]
            arrays.append(pa.array([float(t) if isinstance(t, Decimal) else t for t in typed], typ))
        else:
            arrays.append(pa.array([v or None for v in vals], pa.string()))
    rel = str(Path(entry["path"]).with_suffix(".parquet"))
    pq.write_table(pa.table(arrays, names=header), out_dir / rel)
    (out_dir / entry["path"]).unlink()
    return [_new_entry(entry, rel, "parquet", len(rows), list(entry["defects"]),
                       credit_corrections=entry.get("credit_corrections", []))]


# ---------------------------------------------------------------------------------------------
# The pass called by generator.generate
# ---------------------------------------------------------------------------------------------


def iwmo_targets(files: list[dict], last_year: int | None) -> tuple[str | None, list[str], int]:
    """Which CSV exports "mixed" turns into iWmo: the gemeente whose indicaties become WMO301 (the third,
    or the last), the aanbieders in order (the first one's declaraties become WMO323, its starts and stops
    WMO305/307), and the first year in iWmo."""
    gems = sorted({f["gemeente_code"] for f in files if f["dataset"] == "indicaties" and f.get("gemeente_code")})
    agbs = sorted({f["aanbieder_agb"] for f in files if f["dataset"] == "declaraties" and f.get("aanbieder_agb")})
    years = [f["jaar"] for f in files if f.get("jaar")]
    from_year = (last_year or max(years, default=2025)) - IWMO_YEARS + 1
    return (gems[min(2, len(gems) - 1)] if gems else None), agbs, from_year


def new_clients(rows: list[dict], entry: dict, from_year: int) -> set[str]:
    """BSNs whose first toewijzing of the export lies in ``from_year`` or later (their ZIN rows go to WMO301)."""
    by_client: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_client.setdefault(r["bsn"], []).append(i)
    return {b for b, idx in by_client.items() if (_first_year(rows, idx, entry) or 0) >= from_year}


def apply(out_dir: Path, files: list[dict], formats: str, last_year: int | None = None) -> list[dict]:
    """Annotate every entry with its format; for "mixed", rewrite the chosen files (see module doc)."""
    if formats not in FORMATS:
        raise ValueError(f"formats must be one of {FORMATS}")
    for f in files:
        f.setdefault("format", "csv")
    if formats == "csv":
        return files
    out_dir = Path(out_dir)
    wmo301_gem, agbs, from_year = iwmo_targets(files, last_year)
    convert = {}
    for agb, fn in zip(agbs, (to_wmo323, to_xlsx, to_parquet)):
        convert[agb] = fn
    persons = persons_of(out_dir, files)
    out = []
    for f in files:
        if f["dataset"] == "indicaties" and f.get("gemeente_code") == wmo301_gem and f["format"] == "csv" \
                and "_indicaties" in f["path"]:
            out += to_wmo301(out_dir, f, from_year)
        elif f["dataset"] in ("zorgstarts", "zorgstops") and agbs and f.get("aanbieder_agb") == agbs[0] \
                and f["format"] == "csv":
            out += to_wmo305_307(out_dir, f, from_year, persons)
        elif f["dataset"] == "declaraties" and f.get("aanbieder_agb") in convert and f["format"] == "csv":
            if convert[f["aanbieder_agb"]] is to_wmo323 and f.get("jaar", from_year) < from_year:
                out.append(f)  # before the aanbieder switched to iWmo: CSV
            else:
                out += convert[f["aanbieder_agb"]](out_dir, f)
        else:
            out.append(f)
    return out

