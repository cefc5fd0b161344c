"""No BSN byte on disk: a byte-level scan (like ``strings``) of every file the pipeline wrote.

Broken, truncated, binary, UTF-16 and Windows-1252 files full of valid BSNs are loaded; one load is
killed with SIGKILL half-way through a large non-UTF-8 file; then a real Dagster run loads everything.
Every file under the data folder except the landing folder (warehouse, its WAL, snapshots, the temp
folder, logs, DAGSTER_HOME, GX) is scanned for every input BSN as ASCII and as UTF-16 text.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from support import BIN, ROOT, run_env

HEADER = ("bsn;geboortedatum;geslacht;gemeente_code;wijk_code;toewijzing_nummer;product_code;leveringsvorm;"
          "aanbieder_agb;toewijzingsdatum;ingangsdatum;einddatum;volume;eenheid;frequentie")


def elfproef(b: str) -> bool:
    return sum(w * int(d) for w, d in zip([9, 8, 7, 6, 5, 4, 3, 2, -1], b)) % 11 == 0 and b != "000000000"


# valid BSNs outside the test range too (real-looking ones), so a scan hit cannot be a constant
BSNS = [b for b in (f"{n:09d}" for n in range(123400000, 123400000 + 60000)) if elfproef(b)]


def row(i: int, bsn: str) -> str:
    return (f"{bsn};01-02-1940;2;GM9901;WK990101;{i + 1};01A01;ZIN;98000001;01-01-2020;15-01-2020;;150;01;2")


def make_landing(landing: Path) -> set[str]:
    ind = landing / "indicaties"
    ind.mkdir(parents=True)
    used: set[str] = set()

    def lines(start: int, n: int) -> list[str]:
        out = []
        for i in range(start, start + n):
            b = BSNS[i % len(BSNS)]
            used.add(b)
            out.append(row(i, b))
        return out

    body = "\r\n".join([HEADER] + lines(0, 400)) + "\r\n"
    (ind / "a_broken.csv").write_text(body.replace(";01A01;", ";01A01;;", 40).replace("ZIN;", '"ZIN;', 1), encoding="utf-8")
    (ind / "b_truncated.csv").write_bytes(("\r\n".join([HEADER] + lines(400, 400))).encode("utf-8")[:-57])
    (ind / "c_utf16.csv").write_bytes(("\r\n".join([HEADER] + lines(800, 300)) + "\r\n").encode("utf-16"))
    (ind / "d_binary_tail.csv").write_bytes(("\r\n".join([HEADER] + lines(1100, 200)) + "\r\n").encode() + bytes(range(256)) * 8)
    big = "\r\n".join([HEADER.replace("geslacht", "geslacht_ëë")] + lines(1300, 150_000)) + "\r\n"
    (ind / "e_big_cp1252.csv").write_bytes(big.encode("cp1252"))
    return used


def scan(root: Path, skip: Path, bsns: set[str]) -> dict[str, int]:
    """Files under ``root`` (not under ``skip``) holding an input BSN as ASCII or UTF-16 bytes."""
    ascii_re = re.compile(rb"(?<![0-9])[0-9]{9}(?![0-9])")
    wide_re = re.compile(rb"(?:[0-9]\x00){9}")
    found: dict[str, int] = {}
    for p in root.rglob("*"):
        if not p.is_file() or skip in p.parents:
            continue
        data = p.read_bytes()
        hits = {m.group(0).decode() for m in ascii_re.finditer(data)} & bsns
        hits |= {m.group(0).decode("utf-16-le") for m in wide_re.finditer(data)} & bsns
        if hits:
            found[str(p.relative_to(root))] = len(hits)
    return found


LOAD = """
import sys, duckdb
from pathlib import Path
from hbh_monitor.contracts import contract
from hbh_monitor.ingest import ensure_tables, ingest_file, landing_files
from hbh_monitor.pseudonym import pseudonym_key
d = Path(sys.argv[1]); (d / "warehouse").mkdir(exist_ok=True)
con = duckdb.connect(str(d / "warehouse" / "hbh.duckdb"))
c = contract("indicaties")
ensure_tables(con, c)
for p in landing_files(d / "landing", c.name):
    print("begin", p.name, flush=True)
    print(ingest_file(con, c, p, d / "landing", pseudonym_key()), flush=True)
con.close()
"""


def test_no_input_bsn_in_any_written_file_after_broken_and_killed_loads(tmp_path):
    data = tmp_path / "data"
    bsns = make_landing(data / "landing")
    env = run_env(data)
    (data / "tmp").mkdir()
    env["TMPDIR"] = str(data / "tmp")  # the pipeline's temp files land where the scan looks

    # 1. a load killed with SIGKILL while it reads the large Windows-1252 file
    proc = subprocess.Popen([sys.executable, "-c", LOAD, str(data)], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out = []
    while True:
        line = proc.stdout.readline()
        assert line, "loader ended before the large file"
        out.append(line)
        if line.startswith("begin e_big"):  # the four small files are done, the large one is being read
            break
    time.sleep(0.3)
    assert proc.poll() is None, "the large file was done before the kill; make it larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    # 2. a real Dagster run of the ingestion (+ its checks and GX suite) over the same landing folder
    done = subprocess.run(
        [str(BIN / "dagster"), "asset", "materialize", "-m", "hbh_monitor.definitions", "--select", "raw/indicaties,raw/wijken,raw/producten,raw/aanbieders"],
        cwd=ROOT / "pipelines", env=env, capture_output=True, text=True, timeout=900,
    )
    # the broken files are refused, so the blocking check no_failed_files stops the run after ingestion and
    # its checks (as it must); any other failure is a defect
    log = done.stdout + done.stderr
    assert done.returncode == 0 or ("no_failed_files" in log and "Steps failed: ['raw__indicaties_no_failed_files']" in log), \
        log[-4000:]
    (data / "logs").mkdir(exist_ok=True)
    (data / "logs" / "dagster.log").write_text(done.stdout + done.stderr)  # what an operator's log would hold

    found = scan(data, data / "landing", bsns)
    written = sorted(str(p.relative_to(data)) for p in data.rglob("*") if p.is_file() and "landing" not in p.parts)
    print(f"scanned {len(written)} files for {len(bsns)} input BSNs: {found or 'none found'}")
    assert "warehouse/hbh.duckdb" in written and any(w.startswith("dagster_home") for w in written)
    assert any(w.startswith("gx") for w in written)
    assert found == {}
