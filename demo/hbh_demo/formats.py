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
  ``iwmo_messages.omvang_variant``); each file's manifest entry counts them (``omvang_variants``).
  With the iWmo variants (``iwmo_variants.py``, planted before this pass) the export also holds other
  units and frequencies, budget-only (no Omvang, a Budget) and category-level (no Product/Code)
  toewijzingen: the messages carry them as they are. A toewijzing the variants corrected after its first
  delivery (``toewijzing_corrections``) is written with its old values, and the message is delivered
  again with the corrected ones as ``WMO301_GM9903_<n>_correctie.xml`` (``redelivery_of``, ``corrections``).
* declaraties of the first aanbieder for the last ``IWMO_YEARS`` years: monthly iWmo 3.2 **WMO323**
  messages, one per gemeente and declaration month
  (``declaraties/<agb>_wmo323/<year>/WMO323_<agb>_<GM>_<yyyymm>.xml``), amounts in eurocent, the
  DeclaratieNummer without its dashes (the XSD allows letters and digits only); a credit line names
  the debet it undoes (VorigReferentieNummer). The gemeente answers each with a **WMO325**
  (``declaratie_antwoorden/<GM>_wmo325/<year>/…``) that rejects ``REJECT_SHARE`` of its debet lines with
  retourcodes; the rejections are in the manifest entry (``rejections``). CSV exports carry no answer.
* zorgstarts / zorgstops of the first aanbieder in the last ``IWMO_YEARS`` years: **WMO305** /
  **WMO307** messages, one per client and gemeente (``zorgstarts/<agb>_wmo305/<year>/…``); the
  client's birth date and gender come from the indicaties exports. A follow-up of a start or stop
  (``start_stop_follow_ups``, iwmo_variants: a corrected start, StatusAanlevering 2, or a withdrawn stop, 3) is
  a later message of its own, ``<name of the first message>_wijziging.xml`` / ``_verwijdering.xml``.
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
import random
from decimal import Decimal
from pathlib import Path

from hbh_demo.csv_rows import (first_year, iso_date, new_clients, new_entry, parse_date, parse_decimal, parse_int,
                               read_csv_entry, remap_defects, write_csv)
from hbh_demo.iwmo_messages import omvang_variant, start_stop_message, wmo301_message, wmo323_message, wmo325_message

FORMATS = ("csv", "mixed")
# iWmo messages cover the last IWMO_YEARS years of the window (the municipality and the first
# aanbieder switched to iWmo then; earlier years stay CSV). One message per file, as the GGK
# delivers them, keeps the file count (and the ingestion time per file) bounded this way.
IWMO_YEARS = 2


# ---------------------------------------------------------------------------------------------
# Converters: one CSV entry → entries of the new format
# ---------------------------------------------------------------------------------------------


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
    # toewijzingen corrected after their first delivery (iwmo_variants): record -> the old values
    corrections = {c["record"]: c for c in entry.get("toewijzing_corrections", [])}
    # one message per client and aanbieder, in order of first appearance
    groups: dict[tuple, list[int]] = {}
    for i in zin:
        groups.setdefault((rows[i]["bsn"], rows[i]["aanbieder_agb"]), []).append(i)
    out = []
    for n, ((_bsn, _agb), idx) in enumerate(groups.items(), start=1):
        year = first_year(rows, idx, entry) or "onbekend"
        rel = f"indicaties/{gm}_wmo301/{year}/WMO301_{gm}_{n:06d}.xml"
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fixed = [corrections[i + 1] for i in idx if i + 1 in corrections]
        first = [{**rows[i], **corrections[i + 1]["old"]} if i + 1 in corrections else rows[i] for i in idx]
        path.write_text(wmo301_message(first, entry, f"{gm[2:]}{n:08d}"), encoding="utf-8")
        variants: dict[str, int] = {}
        for i in idx:
            v = omvang_variant(rows[i], entry)
            key = f"{v[1]}/{v[2]}" if v[1] or v[2] else "geen omvang"
            variants[key] = variants.get(key, 0) + 1
        out.append(new_entry(entry, rel, "iwmo-wmo301", len(idx), remap_defects(entry, idx),
                              omvang_variants=variants))
        if fixed:  # corrected after the first delivery: the message again, with the corrected values
            again = rel[:-len(".xml")] + "_correctie.xml"
            (out_dir / again).write_text(wmo301_message([rows[i] for i in idx], entry, f"{gm[2:]}C{n:07d}"),
                                         encoding="utf-8")
            out.append(new_entry(entry, again, "iwmo-wmo301", len(idx), remap_defects(entry, idx),
                                 omvang_variants=variants, redelivery_of=rel,
                                 corrections=[{"toewijzing_nummer": int(rows[c["record"] - 1]["toewijzing_nummer"]),
                                               "old": c["old"]} for c in fixed]))
    write_csv(out_dir / entry["path"], entry, header, [rows[i] for i in rest])
    e = new_entry(entry, entry["path"], "csv", len(rest), remap_defects(entry, rest))
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
            d = parse_date(r[c] or "", entry)
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
        r["_begin"], r["_end"] = iso_date(r["begindatum"], entry), iso_date(r["einddatum"], entry)
    for nummer, idx in groups.items():
        month = nummer[1:7]  # D<yyyymm>-<aanbieder>-<gemeente>, see declaraties_files.declaraties_frame
        gm = rows[idx[0]]["gemeente_code"]
        rel = f"declaraties/{agb}_wmo323/{month[:4]}/WMO323_{agb}_{gm}_{month}.xml"
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wmo323_message([rows[i] for i in idx], entry, f"{month}{gm[2:]}", month),
                        encoding="utf-8")
        defects = remap_defects(entry, idx)
        out.append(new_entry(entry, rel, "iwmo-wmo323", len(idx), defects, gemeente_code=gm,
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


def persons_of(out_dir: Path, files: list[dict]) -> dict[str, tuple[str, str]]:
    """bsn → (geboortedatum ISO, geslacht) from the indicaties exports (a WMO305/307 names the client)."""
    out: dict[str, tuple[str, str]] = {}
    for f in files:
        if f["dataset"] == "indicaties" and f.get("format", "csv") == "csv":
            _h, rows = read_csv_entry(out_dir, f)
            for r in rows:
                d = parse_date(r.get("geboortedatum") or "", f)
                if d and r.get("geslacht") in ("0", "1", "2"):
                    out.setdefault(r["bsn"], (d.isoformat(), r["geslacht"]))
    return out


def to_wmo305_307(out_dir: Path, entry: dict, from_year: int, persons: dict[str, tuple[str, str]]) -> list[dict]:
    """An aanbieder's zorgstarts/zorgstops export → WMO305/WMO307 messages (one per client and gemeente)
    for the starts/stops in ``from_year`` or later; earlier rows stay in the CSV export."""
    header, rows = read_csv_entry(out_dir, entry)
    stop = entry["dataset"] == "zorgstops"
    col = "einddatum" if stop else "begindatum"
    code = "WMO307" if stop else "WMO305"
    agb = entry.get("aanbieder_agb") or (rows[0]["aanbieder_agb"] if rows else "")
    xml = [i for i, r in enumerate(rows)
           if (d := parse_date(r[col] or "", entry)) and d.year >= from_year and r["bsn"] in persons]
    # a follow-up of a start or stop (iwmo_variants: StatusAanlevering 2 or 3) is a later message of its own
    follow_ups = {r - 1 for r in entry.get("start_stop_follow_ups", [])}
    groups: dict[tuple, list[int]] = {}
    for i in xml:
        if i not in follow_ups:
            groups.setdefault((rows[i]["bsn"], rows[i]["gemeente_code"]), []).append(i)
    out = []
    message: dict[tuple, tuple[int, str]] = {}
    for n, ((bsn, gm), idx) in enumerate(groups.items(), start=1):
        year = min(parse_date(rows[i][col], entry).year for i in idx)
        rel = f"{entry['dataset']}/{agb}_{code.lower()}/{year}/{code}_{agb}_{gm}_{n:06d}.xml"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / rel).write_text(start_stop_message([rows[i] for i in idx], entry, stop, persons[bsn],
                                                      f"{agb[-4:]}{n:08d}"), encoding="utf-8")
        out.append(new_entry(entry, rel, f"iwmo-{code.lower()}", len(idx), [], gemeente_code=gm))
        message[(bsn, gm)] = (n, rel)
    for i in sorted(follow_ups & set(xml)):
        r = rows[i]
        n, first = message[(r["bsn"], r["gemeente_code"])]
        status = r["status_aanlevering"]
        rel = first[:-len(".xml")] + ("_verwijdering.xml" if status == "3" else "_wijziging.xml")
        ident = f"{agb[-4:]}{'V' if status == '3' else 'W'}{n:07d}"
        (out_dir / rel).write_text(start_stop_message([r], entry, stop, persons[r["bsn"]], ident), encoding="utf-8")
        out.append(new_entry(entry, rel, f"iwmo-{code.lower()}", 1, [], gemeente_code=r["gemeente_code"],
                             follow_up_of=first, toewijzing_nummer=int(r["toewijzing_nummer"]),
                             status_aanlevering=status))
    in_xml = set(xml)
    rest = [rows[i] for i in range(len(rows)) if i not in in_xml]
    write_csv(out_dir / entry["path"], entry, header, rest)
    e = new_entry(entry, entry["path"], "csv", len(rest), [])
    e["dialect"] = entry["dialect"]
    return [e] + out


TYPED_DECLARATIE = {"begindatum": "date", "einddatum": "date", "geleverd_volume": "int",
                    "toewijzing_nummer": "int", "bedrag": "decimal"}


def _typed(value: str, kind: str | None, entry: dict):
    if not value:
        return None
    if kind == "date":
        return parse_date(value, entry)
    if kind == "int":
        return parse_int(value)
    if kind == "decimal":
        return parse_decimal(value)
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
    return [new_entry(entry, rel, "xlsx", len(rows), list(entry["defects"]),
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
    return [new_entry(entry, rel, "parquet", len(rows), list(entry["defects"]),
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

