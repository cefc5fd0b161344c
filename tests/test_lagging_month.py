"""Declaraties lag a month: a night in which the last month has not arrived yet must still publish.

Indicated and declared hours of an incomplete year are both counted up to the last declared month,
so the blocking consistency checks (months add up to years, unmet demand adds up) hold.
"""

from __future__ import annotations

import duckdb

from support import SMALL_ARGS, region_run


def _drop_december(landing, manifest) -> None:
    """December 2025 not declared yet: its lines left out of every 2025 declaraties file."""
    dropped = 0
    for e in manifest["files"]:
        if e["dataset"] == "declaraties" and e["path"].endswith("_2025.csv"):
            p, enc = landing / e["path"], e["dialect"]["encoding"]
            text = p.read_bytes().decode("utf-8-sig" if enc.startswith("utf-8") else enc)
            lines = text.splitlines(keepends=True)
            keep = [lines[0]] + [ln for ln in lines[1:] if "-12-2025" not in ln and "2025-12-" not in ln]
            dropped += len(lines) - len(keep)
            p.write_bytes("".join(keep).encode(enc))
    assert dropped > 100


def test_refresh_publishes_when_the_last_month_is_not_declared_yet(tmp_path):
    region_run(tmp_path, SMALL_ARGS, prepare=_drop_december)
    with duckdb.connect(str(tmp_path / "serving" / "hbh_serving.duckdb"), read_only=True) as con:
        assert str(con.execute("SELECT data_to FROM meta.refresh").fetchall()[0][0]) == "2025-11-30"
