"""Declaraties lag a month: a night in which the last month has not arrived yet must still publish.

Indicated and declared hours of an incomplete year are both counted up to the last declared month,
so the blocking consistency checks (months add up to years, unmet demand adds up) hold.
"""

from __future__ import annotations

import duckdb

from support import SMALL_ARGS, demo_region, refresh_in_process, run_env


def test_refresh_publishes_when_the_last_month_is_not_declared_yet(tmp_path):
    env = run_env(tmp_path)
    landing = tmp_path / "landing"
    manifest = demo_region(landing, SMALL_ARGS)
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
    proc = refresh_in_process(env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with duckdb.connect(str(tmp_path / "serving" / "hbh_serving.duckdb"), read_only=True) as con:
        assert str(con.execute("SELECT data_to FROM meta.refresh").fetchall()[0][0]) == "2025-11-30"
