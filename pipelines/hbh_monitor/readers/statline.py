"""CBS StatLine (open data) CSV exports: the tables as opendata.cbs.nl and the ``cbsodata`` package give them.

The layout (the OData ``UntypedDataSet``, as downloaded from StatLine or written by
``python -m hbh_monitor.cbs_fetch``):

* a header of property keys: ``ID``, the dimensions (``WijkenEnBuurten`` or ``RegioS``, ``Perioden``,
  ``TypeMaatwerkarrangement``…) and the measures with a number suffix that differs between tables and
  years (``Gemeentenaam_1``, ``SoortRegio_2``, ``Codering_3``, ``WmoClienten_5``, ``k_65JaarOfOuder_12``…);
* codes padded with spaces to a fixed width (``"WK026801  "``), periods as ``2023JJ00`` (year),
  ``2023HJ01`` (first half year), ``2023KW02``, ``2023MM07``;
* CBS's signs in number cells: ``.`` figure unknown or secret, ``x`` secret, ``-`` nil (zero); a number
  with a decimal point (``8.4``).

What the reader does, driven by the contract (``data_contracts/cbs_*.yaml``): each contract column names
the StatLine key(s) it comes from in its customProperty ``statlineKey`` (matched on the header name
without its ``_<n>`` suffix, case-insensitive), or how it is derived (``statlineDerived``: ``table_id``
from the file name, which StatLine gives as ``<id>_UntypedDataSet_<date>.csv``; ``year`` from the period,
else from the contract's ``tableYears`` (tables without a Perioden dimension, such as the Kerncijfers
wijken en buurten), else a year in the file name; ``secret``: ``ja`` when a measure of the row was ``.``
or ``x``). Values are trimmed; ``.``/``x`` become empty (NULL, with ``secret`` = ja), ``-`` becomes 0. The rows
then pass the same contract gate as every other format. source_line = the physical line (header = 1).
"""

from __future__ import annotations

import csv
import io
import re
from functools import cache
from pathlib import Path

import yaml

from hbh_monitor import settings
from hbh_monitor.contracts import Contract
from hbh_monitor.readers import Delivery, ReadError, batches_of

TABLE_ID = re.compile(r"(?<![0-9A-Za-z])([0-9]{5}[A-Z]{3})(?![0-9A-Za-z])")
PERIOD = re.compile(r"^([0-9]{4})(JJ00|HJ0[12]|KW0[1-4]|MM(?:0[1-9]|1[0-2]))$")
YEAR_IN_NAME = re.compile(r"(?<![0-9])(20[0-9]{2}|19[0-9]{2})(?![0-9])")
SECRET = {".", "x"}  # CBS: "." figure unknown or secret, "x" secret
NIL = "-"  # CBS: nil


def strip_suffix(key: str) -> str:
    """``WmoClienten_5`` -> ``wmoclienten``; ``k_65JaarOfOuder_12`` -> ``k_65jaarofouder``."""
    return re.sub(r"_[0-9]+$", "", key.strip()).lower()


def looks_like_statline(header: list[str]) -> bool:
    """An OData/StatLine export: first column ``ID`` and numbered property keys (``Gemeentenaam_1``)."""
    names = [h.strip().strip('"') for h in header]
    return bool(names) and names[0] == "ID" and any(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*_[0-9]+", n) for n in names)


@cache
def _spec(contracts_dir: str, name: str) -> dict:
    """The contract's StatLine mapping (customProperties), read from its YAML file."""
    for path in sorted(Path(contracts_dir).glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if doc.get("name") != name:
            continue
        (obj,) = doc["schema"]
        custom = {cp["property"]: cp["value"] for cp in obj.get("customProperties") or []}
        cols = {}
        for p in obj["properties"]:
            cp = {c["property"]: c["value"] for c in p.get("customProperties") or []}
            keys = cp.get("statlineKey")
            cols[p["name"]] = {
                "keys": [k.lower() for k in ([keys] if isinstance(keys, str) else keys or [])],
                "derived": cp.get("statlineDerived"),
                "measure": p.get("logicalType") in ("integer", "number"),
            }
        return {"columns": cols, "table_years": {str(k): int(v) for k, v in (custom.get("tableYears") or {}).items()}}
    raise ReadError(f"geen contract {name} gevonden")


def _decode(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ReadError("bestand is geen tekst in UTF-8 of Windows-1252")


def read_statline(path: Path, contract: Contract) -> Delivery:
    spec = _spec(str(settings.contracts_dir()), contract.name)
    text = _decode(path)
    first = text.split("\n", 1)[0]
    delim = max([";", ",", "\t"], key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, quotechar='"')
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ReadError("bestand is leeg (geen kopregel)") from None
    if not looks_like_statline(header):
        raise ReadError("geen StatLine-export: de kopregel begint niet met ID en genummerde kolommen (zoals Gemeentenaam_1)")
    by_key: dict[str, int] = {}
    for i, h in enumerate(header):
        by_key.setdefault(strip_suffix(h), i)
        by_key.setdefault(h.lower(), i)
    m = TABLE_ID.search(path.name)
    table_id = m.group(1) if m else None
    if table_id is None:
        raise ReadError(f"tabelnummer (zoals 85639NED) niet gevonden in de bestandsnaam {path.name}: "
                        "bewaar het bestand onder de naam die StatLine geeft (<tabel>_UntypedDataSet_<datum>.csv)")
    period_col = by_key.get("perioden")
    fallback_year = spec["table_years"].get(table_id)
    if fallback_year is None:
        ym = YEAR_IN_NAME.search(TABLE_ID.sub("", path.name))
        fallback_year = int(ym.group(1)) if ym else None
    if period_col is None and fallback_year is None and "year" in spec["columns"]:
        raise ReadError(f"tabel {table_id} heeft geen kolom Perioden en het jaar is onbekend: voeg de tabel toe aan "
                        f"tableYears in het contract {contract.name}, of zet het jaar in de bestandsnaam")

    columns: list[str] = []
    source: dict[str, int] = {}
    for name in contract.column_names:
        c = spec["columns"].get(name, {"keys": [], "derived": None})
        if c["derived"]:
            columns.append(name)
            continue
        hit = next((by_key[k] for k in c["keys"] if k in by_key), None)
        if hit is not None:
            columns.append(name)
            source[name] = hit
    measures = [n for n in source if spec["columns"][n]["measure"]]

    def rows():
        line = 1
        for rec in reader:
            line = reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                continue
            cells = [v.strip() for v in rec]
            secret = False
            out = []
            period = cells[period_col] if period_col is not None and period_col < len(cells) else None
            pm = PERIOD.match(period or "")
            for name in columns:
                c = spec["columns"].get(name, {})
                d = c.get("derived")
                if d == "table_id":
                    out.append(table_id)
                elif d == "year":
                    out.append(pm.group(1) if pm else (str(fallback_year) if fallback_year and period_col is None else None))
                elif d == "secret":
                    out.append(None)  # filled below
                else:
                    v = cells[source[name]] if source[name] < len(cells) else None
                    if name in measures and v in SECRET:
                        v, secret = None, True
                    elif name in measures and v == NIL:
                        v = "0"
                    out.append(v if v != "" else None)
            if "secret" in columns:
                out[columns.index("secret")] = "ja" if secret else "nee"
            yield line, out

    return Delivery(fmt="statline", columns=columns, batches=batches_of(columns, rows()),
                    note=f"StatLine-tabel {table_id}")
