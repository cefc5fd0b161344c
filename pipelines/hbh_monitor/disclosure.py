"""Disclosure control: the snapshot catalogue and the protection of person counts.

The catalogue is declared once per model, in the header of its SQL file, on ``-- disclosure:`` lines:

    -- disclosure: audience council          council | analyst | unpublished (who may see the table)
    -- disclosure: persons clients, new_clients       columns that count persons
    -- disclosure: derived clients_per_1000 = 1000.0 * clients / nullif(inhabitants, 0)
                                             a figure recomputed from the PROTECTED counts when published
    -- disclosure: hidden declared_hours, cost_eur with clients
                                             amounts published only where those counts are
    -- disclosure: recompute from the published marts.age_rates ...
                                             a model output: its SQL is run again on the published,
                                             protected input tables (never on the true counts)
    -- disclosure: margin clients over wijk_code into marts.gemeente_year   (parts that add up to a total)
    -- disclosure: parts herindicaties = lowered + raised                  (parts of a row)
    -- disclosure: same clients_zin = marts.delivery_year.clients where aanbieder_agb = 'alle'
    -- disclosure: flow clients in new_clients out ended_clients by month  (stock and flows over time)
    -- disclosure: model expected over marts.age_rates                     (linear in that table's counts)

Publishing (hbh_monitor.publish), the dashboards (through ``meta.disclosure`` in the snapshot) and the
tests (tests/test_intruder.py) read this one catalogue.

The method for the council audience (named after its source, CBS's rules for Wmo tables on StatLine):
  1. primary suppression: a person count below the threshold (default 10) is hidden;
  2. secondary suppression: no group of cells that adds up to a total keeps exactly one hidden cell
     (wijken of a gemeente, age bands, aanbieders, urgenties, parts of a row), and the hidden parts of a row
     with a shown total together count at least the threshold, repeated until stable;
  3. rounding: every person count that is shown is rounded to the nearest multiple of 5;
  4. every derived number (rates, shares, growth) is computed again FROM the rounded counts, amounts
     (hours, euros, days) are hidden with the counts of their row, and model outputs are computed by the
     model's own SQL from the published (suppressed and rounded) input tables.
No published number then depends on a hidden count, and no count is published more exactly than to the
nearest 5. The analyst audience gets steps 1-2 and the old rule for derived figures (hidden with their
counts), behind a login.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from hbh_monitor.models import sql_models

AUDIENCES = ("council", "analyst", "unpublished")
_LINE = re.compile(r"^--\s*disclosure:\s*(\w+)\s*(.*)$")
_LIST = re.compile(r"\s*,\s*")


@dataclass
class Disclosure:
    """What the catalogue says about one model's table."""

    table: str
    audience: str = "council"  # a model without disclosure lines: published as before (suppression, no rounding)
    declared: bool = False  # has disclosure lines: under the method (rounding, derived from the rounded counts)
    persons: tuple[str, ...] = ()
    derived: dict[str, str] = field(default_factory=dict)  # column -> SQL over the protected columns
    hidden: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> counts it is hidden with
    recompute: str | None = None  # "from the published ..." : a model output, rerun on protected inputs
    margins: tuple[tuple[tuple[str, ...], str, str], ...] = ()  # (columns, dimension, total table)
    parts: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (total, parts) within a row
    same: tuple[tuple[str, str, str, str], ...] = ()  # (column, table, column there, where)
    flows: tuple[tuple[str, str, str, str], ...] = ()  # (stock, inflow, outflow, time column)
    models: tuple[tuple[tuple[str, ...], str], ...] = ()  # (columns, input table)


def parse_lines(table: str, lines: list[str]) -> Disclosure:
    d = Disclosure(table)
    for line in lines:
        m = _LINE.match(line.strip())
        if not m:
            continue
        kind, rest = m.group(1), m.group(2).strip()
        d.declared = True
        if kind == "audience":
            d.audience = rest.split()[0]
            if d.audience not in AUDIENCES:
                raise ValueError(f"{table}: audience {d.audience!r} is not one of {AUDIENCES}")
        elif kind == "persons":
            d.persons += tuple(_LIST.split(rest))
        elif kind == "derived":
            col, expr = rest.split("=", 1)
            d.derived[col.strip()] = expr.strip()
        elif kind == "hidden":
            cols, counts = rest.split(" with ")
            for c in _LIST.split(cols.strip()):
                d.hidden[c] = tuple(_LIST.split(counts.strip()))
        elif kind == "recompute":
            d.recompute = rest
        elif kind == "margin":
            m2 = re.match(r"(.+?)\s+over\s+(\w+)\s+into\s+([\w.]+)", rest)
            d.margins += ((tuple(_LIST.split(m2.group(1))), m2.group(2), m2.group(3)),)
        elif kind == "parts":
            total, parts = rest.split("=")
            d.parts += ((total.strip(), tuple(p.strip() for p in parts.split("+"))),)
        elif kind == "same":
            m2 = re.match(r"(\w+)\s*=\s*(\w+\.\w+)\.(\w+)(?:\s+where\s+(.*))?$", rest)
            d.same += ((m2.group(1), m2.group(2), m2.group(3), m2.group(4) or ""),)
        elif kind == "flow":
            m2 = re.match(r"(\w+)\s+in\s+(\w+)\s+out\s+(\w+)\s+by\s+(\w+)", rest)
            d.flows += (m2.groups(),)
        elif kind == "model":
            m2 = re.match(r"(.+?)\s+over\s+([\w.]+)", rest)
            d.models += ((tuple(_LIST.split(m2.group(1))), m2.group(2)),)
        else:
            raise ValueError(f"{table}: unknown disclosure line {line!r}")
    return d


@cache
def catalogue() -> dict[str, Disclosure]:
    """table -> Disclosure for every mart. A model without lines is published as before the method (council
    audience, suppression and secondary suppression, its derived figures hidden with their counts, no rounding):
    give it its lines to bring it under the method and under the intruder's attack."""
    out = {}
    for m in sql_models():
        if m.layer != "marts":
            continue
        header = [l for l in m.path.read_text(encoding="utf-8").splitlines() if l.startswith("--")]
        out[m.table] = parse_lines(m.table, header)
    return out


def audience(table: str) -> str:
    d = catalogue().get(table)
    return d.audience if d else "analyst"


def person_columns() -> set[str]:
    """Every column the catalogue declares a person count, over all tables."""
    return {c for d in catalogue().values() for c in d.persons}


def catalogue_rows() -> list[tuple[str, str, str, str, str]]:
    """The catalogue as rows (table_name, audience, column_name, role, detail) for meta.disclosure."""
    rows = []
    for t, d in catalogue().items():
        rows.append((t, d.audience, None, "table", d.recompute or ""))
        rows += [(t, d.audience, c, "persons", "") for c in d.persons]
        rows += [(t, d.audience, c, "derived", e) for c, e in d.derived.items()]
        rows += [(t, d.audience, c, "hidden", ", ".join(w)) for c, w in d.hidden.items()]
    return rows
