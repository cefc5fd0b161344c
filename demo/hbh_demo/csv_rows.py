"""The CSV exports the generator wrote, read back as rows of text (as the format converters and the
iWmo variants need them): reading and rewriting a file in its dialect, the dialect's dates and numbers,
and the manifest entries of a rewritten file."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

DATE_FORMATS = {"dd-mm-jjjj": "%d-%m-%Y", "jjjj-mm-dd": "%Y-%m-%d"}


def read_csv_entry(out_dir: Path, entry: dict) -> tuple[list[str], list[dict]]:
    d = entry["dialect"]
    enc = "utf-8-sig" if d["encoding"].startswith("utf-8") else d["encoding"]
    with (out_dir / entry["path"]).open("r", encoding=enc, newline="") as f:
        reader = csv.DictReader(f, delimiter=d["separator"])
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def write_csv(path: Path, entry: dict, header: list[str], rows: list[dict]) -> None:
    d = entry["dialect"]
    enc = "utf-8-sig" if d["encoding"].endswith("-sig") else d["encoding"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=enc, newline="") as f:
        w = csv.writer(f, delimiter=d["separator"], lineterminator="\r\n" if d["line_terminator"] == "CRLF" else "\n")
        w.writerow(header)
        w.writerows([[r.get(h) or "" for h in header] for r in rows])


def parse_date(text: str, entry: dict) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, DATE_FORMATS[entry["dialect"]["date_format"]]).date()
    except (ValueError, KeyError):
        return None


def iso_date(text: str | None, entry: dict) -> str:
    """A date of the dialect as ISO (iWmo); a value that is no date (a planted defect) unchanged."""
    if not text:
        return ""
    d = parse_date(text, entry)
    return d.isoformat() if d else text


def parse_decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    t = text.strip()
    if "," in t:
        t = t.replace(".", "").replace(",", ".")
    try:
        return Decimal(t)
    except InvalidOperation:
        return None


def parse_int(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def remap_defects(entry: dict, positions: list[int]) -> list[dict]:
    """Defects of the rows ``positions`` (0-based in the old file), renumbered in the new file."""
    by_record = {d["record"]: d for d in entry["defects"]}
    out = []
    for new, old in enumerate(positions, start=1):
        if old + 1 in by_record:
            out.append({**by_record[old + 1], "record": new})
    return out


def new_entry(entry: dict, path: str, fmt: str, rows: int, defects: list[dict], **extra) -> dict:
    keep = {k: v for k, v in entry.items() if k not in ("path", "rows", "defects", "dialect", "format",
                                                        "credit_corrections", "credit_variants",
                                                        "toewijzing_corrections", "start_stop_follow_ups")}
    out = {"path": path, "dataset": entry["dataset"], "rows": rows, "format": fmt}
    out.update({k: v for k, v in keep.items() if k != "dataset"})
    out.update(extra)
    out["defects"] = defects
    return out


def first_year(rows: list[dict], idx: list[int], entry: dict) -> int | None:
    years = [d.year for i in idx for c in ("toewijzingsdatum", "ingangsdatum")
             if (d := parse_date(rows[i][c] or "", entry))]
    return min(years) if years else None


def new_clients(rows: list[dict], entry: dict, from_year: int) -> set[str]:
    """BSNs whose first toewijzing of the export lies in ``from_year`` or later (their ZIN rows go to WMO301)."""
    by_client: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_client.setdefault(r["bsn"], []).append(i)
    return {b for b, idx in by_client.items() if (first_year(rows, idx, entry) or 0) >= from_year}
