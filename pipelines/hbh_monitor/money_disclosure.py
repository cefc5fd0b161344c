"""Disclosure declarations of the money marts (tariffs, cost bridge, budget, income, herindicatie simulation), as
the catalogue (hbh_monitor.disclosure: the ``-- disclosure:`` lines of each SQL header) states them: which columns
count persons, which figures rest on which counts, and which counts are parts of a total. The SQL headers are the
one source; this module only presents them per money table (publish.DERIVED for the analyst audience, the tests).
"""

from __future__ import annotations

import re

from hbh_monitor import disclosure

MONEY_TABLES = ("marts.tariffs", "marts.cost_bridge", "marts.budget_scenario", "marts.income_response",
                "marts.eigen_bijdrage_scenario", "marts.herindicatie_simulation")
_cat = disclosure.catalogue()

# Person counts per table.
PERSON_COUNTS: dict[str, tuple[str, ...]] = {t: _cat[t].persons for t in MONEY_TABLES if t in _cat and _cat[t].persons}
# Tables without person counts: tariffs and model values (forecast cost, budget).
NO_PERSON_COUNTS: tuple[str, ...] = tuple(t for t in MONEY_TABLES if t in _cat and not _cat[t].persons)


def _sources(table: str, expr: str) -> tuple[str, ...]:
    words = set(re.findall(r"\b\w+\b", expr))
    return tuple(c for c in _cat[table].persons if c in words)


# Derived figure → the counts it is computed from; hidden when any of them is hidden.
DERIVED: dict[str, tuple[str, ...]] = {}
for _t in PERSON_COUNTS:
    DERIVED.update({c: _sources(_t, e) for c, e in _cat[_t].derived.items()})
    DERIVED.update(_cat[_t].hidden)

# Counts of one row that are parts of a row total (catalogue ``parts`` lines): no row keeps exactly one hidden.
COLUMN_PARTS: dict[str, dict[str, tuple[str, ...]]] = {
    t: {total: parts for total, parts in _cat[t].parts} for t in PERSON_COUNTS if _cat[t].parts}
# The parts of a row's ``clients``.
CLIENT_PARTS: list[tuple[str, ...]] = [p for parts in COLUMN_PARTS.values() for total, p in parts.items()
                                       if total == "clients"]
