"""One count published in two tables: the ZIN clients of a wijk and year are in marts.delivery_year (all aanbieders)
and in marts.wijk_concentration. The intruder of tests/test_intruder.py differences published tables; here it
combines exactly these two: where one table hides a wijk and the other shows it, the gemeente's total minus the
shown wijken gives the hidden ones back. The two must publish the same count, hidden in the same cells.

And the ``same`` links of publishing (a count hidden in one table is hidden where the other table publishes it):
per year, not for every year of the cell."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]

from hbh_monitor import settings  # noqa: E402

INF = math.inf


def _zin_cells(con) -> tuple[dict, dict, dict]:
    """(wijk, year) -> published count in delivery_year (all aanbieders) and in wijk_concentration; and
    (gemeente, year) -> the gemeente's total (all wijken, all aanbieders)."""
    dy = {(g, w, y): v for g, w, y, v in con.execute(
        "SELECT gemeente_code, wijk_code, year, clients FROM marts.delivery_year "
        "WHERE aanbieder_agb = 'alle' AND wijk_code <> 'alle'").fetchall()}
    wc = {(g, w, y): v for g, w, y, v in con.execute(
        "SELECT gemeente_code, wijk_code, year, zin_clients FROM marts.wijk_concentration").fetchall()}
    tot = {(g, y): v for g, y, v in con.execute(
        "SELECT gemeente_code, year, clients FROM marts.delivery_year "
        "WHERE aanbieder_agb = 'alle' AND wijk_code = 'alle'").fetchall()}
    return dy, wc, tot


def differencing_attack(council: Path, warehouse: Path) -> tuple[list, list]:
    """What the two published tables together give away: (recovered, mismatched).

    Every published count is an interval (± half the rounding base; hidden: [0, ∞)). A wijk's interval is the
    intersection of what both tables say. Per gemeente and year, the total minus the other wijken bounds each
    wijk (the hierarchy route). A hidden count below the threshold pinned down to the rounding's width (or
    exactly) is recovered; a wijk and year whose two shown counts differ is a mismatch (one figure, two numbers).
    """
    with duckdb.connect(str(council), read_only=True) as con:
        threshold, base = con.execute("SELECT suppression_threshold, rounding_base FROM meta.refresh").fetchall()[0]
        dy, wc, tot = _zin_cells(con)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tdy, twc, _ = _zin_cells(con)
    half = (base or 1) // 2
    iv = lambda v: (0.0, INF) if v is None else (v - half, v + half)  # noqa: E731
    known = {}
    mismatched = []
    for k in set(dy) | set(wc):
        a, b = iv(dy.get(k)), iv(wc.get(k))
        if dy.get(k) is not None and wc.get(k) is not None and dy[k] != wc[k]:
            mismatched.append((k, dy[k], wc[k]))
        known[k] = (max(a[0], b[0]), min(a[1], b[1]))
    by_gem = defaultdict(list)
    for (g, w, y) in known:
        by_gem[(g, y)].append((g, w, y))
    for _ in range(3):  # the hierarchy, applied until nothing changes
        for gy, cells in by_gem.items():
            if tot.get(gy) is None:
                continue
            T = iv(tot[gy])
            for c in cells:
                olo = sum(known[o][0] for o in cells if o != c)
                ohi = sum(known[o][1] for o in cells if o != c)
                lo, hi = max(known[c][0], T[0] - ohi), min(known[c][1], T[1] - olo)
                known[c] = (lo, hi)
    recovered = []
    for k, (lo, hi) in known.items():
        hidden_in_both = dy.get(k) is None and wc.get(k) is None
        truth = tdy.get(k) if tdy.get(k) is not None else twc.get(k)
        if hidden_in_both and truth is not None and truth < threshold and hi - lo <= 2 * half + 1e-6 \
                and lo - 1e-6 <= truth <= hi + 1e-6:
            recovered.append((k, truth, lo, hi))
        # a count shown in one table and hidden in the other: the hidden one is given away if it is small
        if not hidden_in_both and (dy.get(k) is None or wc.get(k) is None) and truth is not None and truth < threshold:
            recovered.append((k, truth, "in de andere tabel getoond"))
    return recovered, mismatched


def test_zin_clients_of_wijk_concentration_are_delivery_years_and_differencing_gives_nothing(pipeline_run):
    council = settings.council_path(pipeline_run.serving)
    with duckdb.connect(str(council), read_only=True) as con:
        dy, wc, _ = _zin_cells(con)
    with duckdb.connect(str(pipeline_run.warehouse), read_only=True) as con:
        tdy, twc, _ = _zin_cells(con)
    # one figure, one number: the same true count for the same wijk and year (where both tables have the cell)
    common = set(tdy) & set(twc)
    assert len(common) > 20
    assert {k: (tdy[k], twc[k]) for k in common if tdy[k] != twc[k]} == {}
    # published: hidden in the same cells, the same value where shown
    both = set(dy) & set(wc)
    assert {k for k in both if (dy[k] is None) != (wc[k] is None)} == set()
    assert any(dy[k] is None for k in both), "the demo has hidden wijk cells"
    recovered, mismatched = differencing_attack(council, pipeline_run.warehouse)
    print(f"differencing delivery_year and wijk_concentration: {len(recovered)} recovered, {len(mismatched)} mismatched")
    assert mismatched == []
    assert recovered == [], recovered[:10]


def test_same_links_hide_the_linked_count_per_year(tmp_path):
    """A count hidden in the first table (wijk A in 2023) is hidden in the second table in 2023 only, not in the
    other years of wijk A (publish._suppressed_select with the catalogue's ``same`` link)."""
    from hbh_monitor.disclosure import parse_lines
    from hbh_monitor.publish import _suppressed_select

    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    con.execute("CREATE SCHEMA snap")
    # the first table, as published: wijk A's 2023 count hidden
    con.execute("CREATE TABLE snap.first AS SELECT * FROM (VALUES ('GM9901', 'WK990101', 2022, 40, false), "
                "('GM9901', 'WK990101', 2023, NULL, true), ('GM9901', 'WK990101', 2024, 45, false)) "
                "v(gemeente_code, wijk_code, year, clients_zin, clients_zin_suppressed)")
    con.execute("CREATE TABLE main.second AS SELECT * FROM (VALUES ('GM9901', 'WK990101', 'alle', 2022, 40), "
                "('GM9901', 'WK990101', 'alle', 2023, 41), ('GM9901', 'WK990101', 'alle', 2024, 45), "
                "('GM9901', 'WK990101', '98104521', 2022, 30)) v(gemeente_code, wijk_code, aanbieder_agb, year, clients)")
    d = parse_lines("second", ["-- disclosure: audience analyst", "-- disclosure: persons clients"])
    sql = _suppressed_select(con, "main.second", 10, 1, d, [("clients", "snap.first", "clients_zin", "aanbieder_agb = 'alle'")])
    got = {(a, y): (v, s) for a, y, v, s in con.execute(
        f"SELECT aanbieder_agb, year, clients, clients_suppressed FROM ({sql})").fetchall()}
    assert got[("alle", 2023)] == (None, True)  # hidden where the first table hides the same count
    assert got[("alle", 2022)] == (40, False) and got[("alle", 2024)] == (45, False)  # other years stay shown
    assert got[("98104521", 2022)] == (30, False)  # the where clause: the aanbieder's own row is another count


INCOME_CLASSES = ("laag", "midden", "hoog", "onbekend")


def _income_rows(con) -> dict:
    """(gemeente, year) -> (the gemeente's clients in marts.gemeente_year, {class: (count, hidden)}) of the
    gemeente rows of marts.income_response. A count NULL without its flag is not applicable (no such class)."""
    cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_schema = 'marts' AND table_name = 'income_response'").fetchall()}
    flag = lambda k: f"i.clients_{k}_suppressed" if f"clients_{k}_suppressed" in cols else "false"  # noqa: E731
    sel = ", ".join(f"i.clients_{k}, {flag(k)}" for k in INCOME_CLASSES)
    out = {}
    for r in con.execute(f"SELECT i.gemeente_code, i.year, g.clients, {sel} FROM marts.income_response i "
                         "JOIN marts.gemeente_year g USING (gemeente_code, year) WHERE i.level = 'gemeente'").fetchall():
        out[(r[0], r[1])] = (r[2], {k: (r[3 + 2 * j], bool(r[4 + 2 * j])) for j, k in enumerate(INCOME_CLASSES)})
    return out


def income_link_attack(snapshot: Path, warehouse: Path) -> tuple[list, list, list]:
    """The income classes of a gemeente and year add up to its clients, published in marts.gemeente_year: that
    total minus the shown classes bounds the hidden ones (the hierarchy route, across two tables).
    Returns (recovered, alone, mismatched): hidden counts below the threshold pinned down to the rounding's width;
    rows where exactly one class is hidden next to a shown total (the method's secondary suppression forbids it:
    that cell is then only as safe as the rounding); rows whose classes do not add up to the total in the truth."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        threshold, base = con.execute("SELECT suppression_threshold, rounding_base FROM meta.refresh").fetchall()[0]
        pub = _income_rows(con)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        truth = _income_rows(con)
    half = (base or 1) / 2
    recovered, alone, mismatched = [], [], []
    for k, (total, classes) in pub.items():
        t_total, t_classes = truth[k]
        if sum(v or 0 for v, _ in t_classes.values()) != t_total:
            mismatched.append((k, t_total, {c: v for c, (v, _) in t_classes.items()}))
        if total is None:
            continue
        hidden = [c for c, (v, h) in classes.items() if h]
        shown = [c for c, (v, h) in classes.items() if not h and v is not None]
        if len(hidden) == 1:
            alone.append((k, hidden[0]))
        for c in hidden:
            lo = total - half - sum(classes[s][0] + half for s in shown)
            hi = total + half - sum(classes[s][0] - half for s in shown)
            if len(hidden) > 1:
                lo = -INF  # the other hidden classes can hold any of it
            true = t_classes[c][0]
            if true is not None and true < threshold and hi - lo <= 2 * half + 1e-6 and lo - 1e-6 <= true <= hi + 1e-6:
                recovered.append((k, c, true, lo, hi))
    return recovered, alone, mismatched


def test_income_classes_add_up_to_the_gemeentes_clients_and_no_class_is_hidden_alone(pipeline_run):
    """marts.income_response's classes (laag, midden, hoog, onbekend) of a gemeente and year are its clients of
    marts.gemeente_year. Both are published to the council, so the pair is a group that adds up to a total: no
    class may be hidden alone next to the shown total (the class 'onbekend' of a registration that gives every
    client a class is not applicable, not a hidden 0), and nothing hidden comes back, in either snapshot."""
    for snapshot in (pipeline_run.serving, settings.council_path(pipeline_run.serving)):
        recovered, alone, mismatched = income_link_attack(snapshot, pipeline_run.warehouse)
        print(f"{snapshot.name}: {len(recovered)} recovered, {len(alone)} hidden alone, {len(mismatched)} mismatched")
        assert mismatched == []
        assert alone == [], alone[:5]
        assert recovered == [], recovered[:5]
