"""Incremental models give exactly what a full rebuild gives.

staging.declaraties (key aanbieder × ReferentieNummer, over raw.declaraties) and
staging.reconciliation_lines (key toewijzing × month, over staging.declaraties) are kept up to date
incrementally (see hbh_monitor.models). Four real Dagster runs (in this process) on a small region:

1. everything new: both models built in full;
2. a new month arrives as new files, one old file is re-delivered with a corrected line, and one
   line of the new files re-delivers (supersedes) a line of an older file: both models follow
   incrementally, and their tables equal a full rebuild from the same raw data, row for row;
3. nothing new: incremental with no changed keys, and no model rebuilt at all;
4. a tariff changes (another input of staging.declaraties): both models rebuilt in full.
"""

from __future__ import annotations

import duckdb
import pytest

from hbh_monitor import models
from support import SMALL_ARGS, demo_region, refresh_in_process, run_env

INCREMENTAL = ("staging.declaraties", "staging.reconciliation_lines")


def _versions(warehouse) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute("SELECT model, version FROM meta.model_builds").fetchall())


def _builds(warehouse) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {m: (mode, keys, reason) for m, mode, keys, reason in con.execute(
            "SELECT model, mode, changed_keys, reason FROM meta.model_builds").fetchall()}


def _same_as_full_rebuild(warehouse) -> None:
    with duckdb.connect(str(warehouse)) as con:
        for name, value in models._variables().items():
            con.execute(f"SET VARIABLE {name} = {value}")
        for m in models.sql_models():
            if m.table not in INCREMENTAL:
                continue
            con.execute(f"CREATE TEMP TABLE full_rebuild AS {m.select}")
            n = con.execute(f"SELECT count(*) FROM {m.table}").fetchall()[0][0]
            assert n == con.execute("SELECT count(*) FROM full_rebuild").fetchall()[0][0] > 0
            for a, b in ((m.table, "full_rebuild"), ("full_rebuild", m.table)):
                extra = con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})").fetchall()[0][0]
                assert extra == 0, f"{m.table}: {extra} rows of {a} not in {b}"
            con.execute("DROP TABLE full_rebuild")


def _refresh(env) -> None:
    proc = refresh_in_process(env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("incremental")
    env = run_env(tmp)
    landing = tmp / "landing"
    manifest = demo_region(landing, SMALL_ARGS)
    return tmp, env, landing, manifest


def _decode(path, enc) -> str:
    return path.read_bytes().decode("utf-8-sig" if enc.startswith("utf-8") else enc)


def _clean_line(lines: list[str], sep: str) -> int:
    """Index of the first data line without a planted defect (all fields filled, a whole volume, debet)."""
    header = lines[0].rstrip("\r\n").split(sep)
    vol, dc = header.index("geleverd_volume"), header.index("debet_credit")
    for i, line in enumerate(lines[1:], start=1):
        f = line.rstrip("\r\n").split(sep)
        if len(f) == len(header) and all(f) and f[vol].isdigit() and f[dc] == "D":
            return i
    raise AssertionError("no clean line")


def test_incremental_models_equal_a_full_rebuild(region):
    tmp, env, landing, manifest = region
    warehouse = tmp / "warehouse" / "hbh.duckdb"
    decl = [e for e in manifest["files"] if e["dataset"] == "declaraties" and e["path"].endswith(".csv")]
    held: dict[str, tuple[str, str, str]] = {}
    for e in decl:  # hold back December 2025: it arrives in run 2 as new files
        if not e["path"].endswith("_2025.csv"):
            continue
        p, enc = landing / e["path"], e["dialect"]["encoding"]
        lines = _decode(p, enc).splitlines(keepends=True)
        dec = [ln for ln in lines[1:] if "-12-2025" in ln or "2025-12-" in ln]
        p.write_bytes("".join([lines[0]] + [ln for ln in lines[1:] if ln not in set(dec)]).encode(enc))
        held[e["path"]] = (lines[0], "".join(dec), enc)
    assert sum(len(v[1]) for v in held.values()) > 0

    # 1. first run: full builds
    _refresh(env)
    builds = _builds(warehouse)
    assert all(builds[m][0] == "full" and builds[m][2] == "eerste opbouw" for m in INCREMENTAL), builds
    first = _versions(warehouse)
    assert len(first) == len(models.sql_models())

    # 2. a new month, a corrected re-delivery, and a line that supersedes one of an older file
    superseded = None
    for path, (header, body, enc) in held.items():
        lines = body.splitlines(keepends=True)
        if superseded is None:  # re-deliver the first line of the 2024 file of this aanbieder in the new file
            old = landing / path.replace("_2025.csv", "_2024.csv")
            sep = ";" if header.count(";") >= header.count(",") else ","
            old_lines = _decode(old, enc).splitlines(keepends=True)
            superseded = old_lines[_clean_line(old_lines, sep)]
            fields = superseded.rstrip("\r\n").split(sep)
            vol = header.rstrip("\r\n").split(sep).index("geleverd_volume")
            fields[vol] = str(int(fields[vol]) + 60)
            lines.append(sep.join(fields) + ("\r\n" if superseded.endswith("\r\n") else "\n"))
        (landing / path.replace("_2025.csv", "_202512.csv")).write_bytes((header + "".join(lines)).encode(enc))
    corrected = landing / decl[0]["path"]  # a 2023 file, corrected: one line's volume changes
    enc = decl[0]["dialect"]["encoding"]
    text = _decode(corrected, enc).splitlines(keepends=True)
    sep = decl[0]["dialect"]["separator"]
    vol = text[0].rstrip("\r\n").split(sep).index("geleverd_volume")
    i = _clean_line(text, sep)
    fields = text[i].rstrip("\r\n").split(sep)
    fields[vol] = str(int(fields[vol]) + 30)
    text[i] = sep.join(fields) + text[i][len(text[i].rstrip("\r\n")):]
    corrected.write_bytes("".join(text).encode(enc))

    _refresh(env)
    builds = _builds(warehouse)
    for m in INCREMENTAL:
        assert builds[m][0] == "incremental" and builds[m][1] > 0, builds
    _same_as_full_rebuild(warehouse)
    second = _versions(warehouse)
    # models that do not read declaraties were left alone; those that do were rebuilt
    assert second["staging.indicaties"] == first["staging.indicaties"]
    assert second["staging.toewijzingen"] == first["staging.toewijzingen"]
    assert second["marts.wijk_month"] == first["marts.wijk_month"] + 1
    with duckdb.connect(str(warehouse), read_only=True) as con:  # the re-delivered line won
        assert con.execute("SELECT count(*) FROM staging.declaraties WHERE source_file LIKE '%_202512.csv' "
                           "AND year < 2025").fetchall()[0][0] == 1

    # 3. nothing new: nothing to do, same tables
    _refresh(env)
    builds = _builds(warehouse)
    assert all(builds[m][:2] == ("incremental", 0) for m in INCREMENTAL), builds
    assert _versions(warehouse) == second, "no model rebuilt when nothing arrived"
    _same_as_full_rebuild(warehouse)

    # 4. a tariff changes: staging.declaraties reads staging.producten, so both rebuild in full
    prod = next(e for e in manifest["files"] if e["dataset"] == "producten")
    p, enc = landing / prod["path"], prod["dialect"]["encoding"]
    lines = _decode(p, enc).splitlines(keepends=True)
    row = lines[1].rstrip("\r\n")
    lines[1] = row[:-1] + ("1" if row[-1] != "1" else "2") + lines[1][len(row):]  # the tariff's last digit
    p.write_bytes("".join(lines).encode(enc))
    _refresh(env)
    builds = _builds(warehouse)
    assert builds["staging.declaraties"][0] == "full" and "andere invoer" in builds["staging.declaraties"][2], builds
    assert builds["staging.reconciliation_lines"][0] == "full", builds
    _same_as_full_rebuild(warehouse)
