"""Benchmark: full refresh, two incremental nights and the DuckDB floor at one scale.

Not a test. For one scale it:

1. generates the fictional demo region with the project's generator (``python -m hbh_demo``)
   and holds back the last month (December of ``--last-year``) of every declaraties file, so that
   month can arrive later as a new delivery, and the indicaties starting in that month from every
   gemeente's indicaties export;
2. measures the FLOOR: a fresh process in which DuckDB itself loads the same raw CSV files
   (``read_csv`` into a table, one table per file, same threads/memory settings);
3. runs the FULL refresh through Dagster (the CLI ``dagster job execute -j refresh``, a fresh
   DAGSTER_HOME and data folder) — ingestion, GX validation, SQL models, checks, publishing;
4. times the queries behind each dashboard page on the published snapshot (extracted from
   dashboards/*.py and dashboards/views/*.py, run the way the app runs them: a fresh
   read-only connection per query);
5. writes the held-back month as new files (``declaraties/<agb>_<year>12.csv``) and runs the
   INCREMENTAL refresh (the ledger skips every unchanged file);
6. delivers every gemeente's complete indicaties export again (same names, now with the new
   month's indicaties) and runs the refresh once more: the NIGHT WITH INDICATIES, what a night
   costs when, as in production, the indicaties export changes too;
7. writes ``bench/results/<name>.md``.

Wall time is measured around the whole CLI process (Python + Dagster start-up included). Peak
memory is the maximum over time of the summed RSS of the process tree, sampled every 50 ms, and
cross-checked with ``/usr/bin/time -v`` (largest single process).

    python bench/run.py --name region                      # presets: gemeente, region, national
    python bench/run.py --name mine --gemeenten 5 --scale 10 --first-year 2021 --last-year 2025
    make bench SCALE=national
    python bench/run.py --summary gemeente region national  # one table over saved results
    python bench/run.py --pages-only data/serving/hbh_serving.duckdb   # page timings on any snapshot

DuckDB settings: ``--memory-limit`` / ``--threads`` (default 3GB / 2; passed to the pipeline as
HBH_DUCKDB_MEMORY_LIMIT / HBH_DUCKDB_THREADS and to the floor's connection).
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PRESETS = {
    "gemeente": ["--gemeenten", "1", "--scale", "1"],
    "region": ["--gemeenten", "5", "--scale", "1"],
    # ≈ national: ~450k clients × 5 years of monthly declaraties (≈ 27M lines).
    "national": ["--gemeenten", "5", "--scale", "57", "--first-year", "2021", "--last-year", "2025"],
}


# ------------------------------------------------------------------------------------------------
# Measuring a process tree
# ------------------------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _tree_rss(root: int) -> int:
    total, todo, seen = 0, [root], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _rss(p)
        todo += _children(p)
    return total


def run_measured(cmd: list[str], env: dict, cwd: Path, log: Path) -> dict:
    """Run ``cmd``; return wall seconds, peak tree RSS, /usr/bin/time's max RSS, exit code."""
    timefile = log.with_suffix(".time")
    full = (["/usr/bin/time", "-v", "-o", str(timefile)] if Path("/usr/bin/time").exists() else []) + cmd
    peak = 0
    t0 = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(full, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(proc.pid))
                time.sleep(0.05)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        rc = proc.wait()
        done.set()
        th.join()
    wall = time.perf_counter() - t0
    maxrss = None
    if timefile.exists():
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", timefile.read_text())
        maxrss = int(m.group(1)) * 1024 if m else None
    return {"rc": rc, "wall_s": wall, "peak_tree_rss": max(peak, maxrss or 0), "max_process_rss": maxrss,
            "log": str(log), "loadavg_1min_after": os.getloadavg()[0]}


# ------------------------------------------------------------------------------------------------
# Data: generate, hold back one month, add it later
# ------------------------------------------------------------------------------------------------

_DATE = [
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-\d{2}"),
    re.compile(r"^\d{2}[-/](?P<m>\d{2})[-/](?P<y>\d{4})"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})\d{2}$"),
]


def _month_of(value: str) -> tuple[int, int] | None:
    for rx in _DATE:
        m = rx.match(value.strip())
        if m:
            return int(m.group("y")), int(m.group("m"))
    return None


def _split_month(path: Path, column: str, year: int, month: int) -> tuple[list[bytes], list[bytes]]:
    """The file's lines split into (header + the other lines, the lines whose ``column`` falls in
    ``year-month``). Bytes are kept as delivered (encoding, separator, line ends, BOM); lines whose
    date cannot be read (planted defects) stay with the others."""
    lines = path.read_bytes().splitlines(keepends=True)
    header = lines[0]
    text = header.decode("utf-8-sig", errors="replace")
    delim = max([";", ",", "\t", "|"], key=text.count)
    names = [re.sub(r"[^0-9a-z]+", "_", n.strip().lower()).strip("_")
             for n in next(csv.reader(io.StringIO(text), delimiter=delim))]
    col = names.index(column)
    keep, move = [header], []
    for ln in lines[1:]:
        fields = next(csv.reader(io.StringIO(ln.decode("latin-1")), delimiter=delim), [])
        ym = _month_of(fields[col]) if len(fields) > col else None
        (move if ym == (year, month) else keep).append(ln)
    return keep, move


def hold_back_month(landing: Path, holdout: Path, year: int, month: int) -> dict:
    """Move the lines of ``year-month`` (by begindatum) out of every declaraties file of ``year``,
    into new files ``<agb>_<year><month>.csv`` that arrive later as a provider's new delivery."""
    holdout.mkdir(parents=True, exist_ok=True)
    moved_lines, files = 0, 0
    for path in sorted((landing / "declaraties").glob(f"*_{year}.csv")):
        keep, move = _split_month(path, "begindatum", year, month)
        if move:
            path.write_bytes(b"".join(keep))
            (holdout / f"{path.stem}{month:02d}.csv").write_bytes(b"".join([keep[0], *move]))
            moved_lines += len(move)
            files += 1
    return {"files": files, "lines": moved_lines}


def hold_back_indicaties(landing: Path, holdout: Path, year: int, month: int) -> dict:
    """Take the indicaties that start in ``year-month`` out of each gemeente's indicaties export. The
    complete export is kept in ``holdout/indicaties`` and delivered again, under the same name, as a
    later night's export (a gemeente's system writes its whole export every time)."""
    (holdout / "indicaties").mkdir(parents=True, exist_ok=True)
    moved_lines, files = 0, 0
    for path in sorted((landing / "indicaties").glob("*.csv")):
        keep, move = _split_month(path, "ingangsdatum", year, month)
        if move:
            shutil.copy2(path, holdout / "indicaties" / path.name)
            path.write_bytes(b"".join(keep))
            moved_lines += len(move)
            files += 1
    return {"files": files, "lines": moved_lines}


def count_lines(folder: Path) -> int:
    n = 0
    for p in folder.rglob("*.csv"):
        with p.open("rb") as f:
            n += sum(1 for _ in f) - 1
    return n


# ------------------------------------------------------------------------------------------------
# The floor: DuckDB loading the raw files
# ------------------------------------------------------------------------------------------------

FLOOR_SCRIPT = r"""
import duckdb, json, sys, time
from pathlib import Path
db, landing, cfg = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
con = duckdb.connect(db, config=cfg)
rows = 0
for i, p in enumerate(sorted(x for x in landing.rglob("*") if x.suffix.lower() in (".csv", ".txt"))):
    src = str(p).replace("'", "''")
    try:
        con.execute(f"CREATE TABLE f{i} AS SELECT * FROM read_csv('{src}', all_varchar=true)")
    except duckdb.Error:  # Windows-1252 export
        con.execute(f"CREATE TABLE f{i} AS SELECT * FROM read_csv('{src}', all_varchar=true, encoding='latin-1')")
    rows += con.execute(f"SELECT count(*) FROM f{i}").fetchall()[0][0]
con.execute("CHECKPOINT")
con.close()
print(json.dumps({"rows": rows}))
"""


# ------------------------------------------------------------------------------------------------
# Dashboard page queries
# ------------------------------------------------------------------------------------------------

def _query_literals(src: str) -> list[str]:
    """First arguments of every ``query(...)`` call: plain strings as they are, f-strings with
    ``{name}`` placeholders (implicit concatenation included)."""
    out = []
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Call) and node.args and (
            getattr(node.func, "id", None) == "query" or getattr(node.func, "attr", None) == "query"
        ):
            a = node.args[0]
            if isinstance(a, ast.Constant) and isinstance(a.value, str):
                out.append(a.value)
            elif isinstance(a, ast.JoinedStr):
                out.append("".join(v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
                                   for v in a.values))
    return out


def page_queries() -> dict[str, list[str]]:
    """The SQL each dashboard page runs, read from the dashboard code (not retyped here).

    The shared modules (dashboards/*.py: snapshot.py, protection.py, ...): every ``query("...")`` without
    placeholders (run by the shared header/sidebar helpers) and the ``load(table)`` template; views/*.py: the
    tables each page ``load``s and any literal query. Queries with other placeholders (existence probes) are
    left out."""
    literals = [q for f in sorted((ROOT / "dashboards").glob("*.py")) for q in _query_literals(f.read_text())]
    template = next((q for q in literals if q.replace("{table}", "") != q), "select * from {table}")
    shared = [q for q in literals if "{" not in q]
    pages = {}
    for view in sorted((ROOT / "dashboards" / "views").glob("*.py")):
        src = view.read_text()
        tables = re.findall(r'\bload\(\s*"([a-z_]+\.[a-z_0-9]+)"', src)
        own = [q for q in _query_literals(src) if "{" not in q]
        pages[view.stem] = shared + [template.format(table=t) for t in dict.fromkeys(tables)] + own
    return pages


def apptest_pages(serving: Path, env: dict) -> dict:
    """Whole-page render times with Streamlit's AppTest (bench/timing.py):
    cold = empty caches, every query reads the snapshot; warm = a rerun. {} when unavailable."""
    tool = ROOT / "bench" / "timing.py"
    if not tool.exists() or not serving.exists():
        return {}
    env = {**env, "HBH_SERVING": str(serving)}
    proc = subprocess.run([sys.executable, str(tool), "--serving", str(serving), "--json", "--repeat", "3"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        print(f"bench/timing.py failed: {proc.stderr[-1500:]}", file=sys.stderr)
        return {}
    return json.loads(proc.stdout[proc.stdout.index("{"):])


PAGE_SCRIPT = r"""
import duckdb, json, sys, time
path, pages = sys.argv[1], json.loads(sys.argv[2])
out = {}
for page, qs in pages.items():
    runs = []
    for rep in range(5):
        per_q, t0 = [], time.perf_counter()
        for q in qs:
            t = time.perf_counter()
            with duckdb.connect(path, read_only=True) as con:  # as dashboards/snapshot.py: per query
                df = con.sql(q).pl()
            per_q.append((q, time.perf_counter() - t, df.height))
        runs.append((time.perf_counter() - t0, per_q))
    out[page] = {"first_s": runs[0][0], "median_s": sorted(r[0] for r in runs)[2],
                 "queries": [(q, s, n) for q, s, n in runs[0][1]]}
print(json.dumps(out))
"""


# ------------------------------------------------------------------------------------------------
# Dagster step times (from the run's log)
# ------------------------------------------------------------------------------------------------

_STEP = re.compile(r'STEP_SUCCESS - Finished execution of step "([^"]+)" in ([0-9hms.]+)')
_PART = re.compile(r"([\d.]+)(ms|h|m|s)")


def _seconds(text: str) -> float:
    """Dagster's durations: "350ms", "2.5s", "3m15s", "1h2m"."""
    unit = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(v) * unit[u] for v, u in _PART.findall(text))


def failed_steps(log: Path) -> list[str]:
    return sorted(set(re.findall(r'STEP_FAILURE - Execution of step "([^"]+)" failed', log.read_text(errors="replace"))))


def step_times(log: Path) -> list[tuple[str, float]]:
    times = [(name, _seconds(d)) for name, d in _STEP.findall(log.read_text(errors="replace"))]
    return sorted(times, key=lambda x: -x[1])


def group_steps(times: list[tuple[str, float]]) -> dict[str, float]:
    raw = {f"raw__{c.stem}" for c in (ROOT / "data_contracts").glob("*.yaml")}
    models = {f"{f.parent.name}__{f.stem}" for f in (ROOT / "sql").glob("*/*.sql")}
    groups: dict[str, float] = {}
    for name, s in times:
        if name.endswith("gx_contract_suite"):
            g = "GX validation (checks gx_contract_suite, pandas)"
        elif name in raw:
            g = "ingestion (raw/*)"
        elif name in models:
            g = "SQL models (staging/marts)"
        elif name == "serving_snapshot":
            g = "publishing (serving_snapshot)"
        else:
            g = "other checks and assets"
        groups[g] = groups.get(g, 0.0) + s
    return dict(sorted(groups.items(), key=lambda x: -x[1]))


# ------------------------------------------------------------------------------------------------

def fmt_mb(b: int | None) -> str:
    return "–" if not b else f"{b / 2**20:,.0f} MB"


def warehouse_counts(warehouse: Path) -> dict:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        q = lambda s: con.execute(s).fetchall()[0][0]  # noqa: E731
        return {
            "raw_declaraties": q("SELECT count(*) FROM raw.declaraties"),
            "raw_indicaties": q("SELECT count(*) FROM raw.indicaties"),
            "quarantined": q("SELECT count(*) FROM meta.quarantine"),
            "clients": q("SELECT count(DISTINCT client_id) FROM raw.indicaties"),
            "client_years": q("SELECT count(*) FROM staging.client_years"),
            "files_loaded": q("SELECT count(*) FROM meta.ingestion_ledger WHERE status = 'geladen'"),
            # how each model was last brought up to date (hbh_monitor.models)
            "model_builds": {m: {"version": v, "mode": mode, "changed_keys": k, "reason": why} for m, v, mode, k, why in
                             con.execute("SELECT model, version, mode, changed_keys, reason FROM meta.model_builds").fetchall()},
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--name", help="scale label; a preset (gemeente/region/national) or your own")
    ap.add_argument("--gemeenten", type=int)
    ap.add_argument("--scale", type=float)
    ap.add_argument("--first-year", type=int)
    ap.add_argument("--last-year", type=int)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", type=Path, default=None, help="work folder (default bench/work/<name>)")
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    ap.add_argument("--memory-limit", default=os.environ.get("HBH_DUCKDB_MEMORY_LIMIT", "3GB"),
                    help="DuckDB memory_limit for pipeline and floor (HBH_DUCKDB_MEMORY_LIMIT)")
    ap.add_argument("--threads", default=os.environ.get("HBH_DUCKDB_THREADS", "2"))
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--render-only", action="store_true", help="re-render results/<name>.md from results/<name>.json")
    ap.add_argument("--pages-only", type=Path, metavar="SERVING",
                    help="only time the dashboard pages' queries on an existing snapshot; prints JSON")
    ap.add_argument("--summary", nargs="*", metavar="NAME",
                    help="print one markdown table over bench/results/<NAME>.json (the scales given, in order)")
    ap.add_argument("--floor-only", action="store_true",
                    help="generate and measure only the DuckDB floor (for a scale too large to refresh in the time at hand)")
    args = ap.parse_args(argv)
    if not args.name and args.summary is None and not args.pages_only:
        ap.error("--name is required")
    if args.summary is not None:
        print(summary_table([json.loads((args.results / f"{n}.json").read_text()) for n in args.summary]))
        return 0
    if args.pages_only:
        serving = args.pages_only
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HBH_", "DAGSTER_"))}
        pq = subprocess.run([sys.executable, "-c", PAGE_SCRIPT, str(serving), json.dumps(page_queries())],
                            env=env, capture_output=True, text=True, check=True)
        out = {"serving": str(serving), "pages": json.loads(pq.stdout), "pages_apptest": apptest_pages(serving, env)}
        print(json.dumps(out, indent=2))
        return 0
    if args.render_only:
        r = json.loads((args.results / f"{args.name}.json").read_text())
        (args.results / f"{args.name}.md").write_text(render(r))
        print(render(r))
        return 0

    gen = list(PRESETS.get(args.name, []))
    for flag, val in (("--gemeenten", args.gemeenten), ("--scale", args.scale),
                      ("--first-year", args.first_year), ("--last-year", args.last_year)):
        if val is not None:
            if flag in gen:
                gen[gen.index(flag) + 1] = str(val)
            else:
                gen += [flag, str(val)]
    gen += ["--seed", str(args.seed)]
    last_year = int(gen[gen.index("--last-year") + 1]) if "--last-year" in gen else 2025
    command = "python bench/run.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))

    work = args.work or ROOT / "bench" / "work" / args.name
    shutil.rmtree(work, ignore_errors=True)
    data, holdout = work / "data", work / "holdout"
    landing = data / "landing"
    (data / "dagster_home").mkdir(parents=True)
    (data / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HBH_", "DAGSTER_"))}
    env.update(HBH_DATA_DIR=str(data), HBH_DEMO="1", DAGSTER_HOME=str(data / "dagster_home"),
               HBH_DUCKDB_MEMORY_LIMIT=args.memory_limit, HBH_DUCKDB_THREADS=str(args.threads),
               PYTHONUNBUFFERED="1")
    cfg = {"memory_limit": args.memory_limit, "threads": int(args.threads)}
    res: dict = {"name": args.name, "command": command, "generator_args": gen, "duckdb": cfg, "code": _code_version()}

    print(f"[bench {args.name}] generating: {' '.join(gen)}", flush=True)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hbh_demo", "--out", str(landing), *gen],
                   env=env, check=True, capture_output=True, text=True)
    res["generate_s"] = time.perf_counter() - t
    manifest = json.loads((landing / "demo_manifest.json").read_text())
    res["manifest_rows"] = manifest["rows_per_dataset"]
    res["manifest_clients_region"] = manifest["clients"]["region"]
    res["held_back"] = hold_back_month(landing, holdout, last_year, 12)
    res["held_back_indicaties"] = hold_back_indicaties(landing, holdout, last_year, 12)
    res["landing_bytes"] = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())
    res["declaraties_lines_full"] = count_lines(landing / "declaraties")
    print(f"[bench {args.name}] {res['manifest_rows']}, held back {res['held_back']}", flush=True)

    print(f"[bench {args.name}] floor: DuckDB read_csv of the same files", flush=True)
    floor_db = work / "floor.duckdb"
    res["floor"] = run_measured([sys.executable, "-c", FLOOR_SCRIPT, str(floor_db), str(landing), json.dumps(cfg)],
                                env, work, work / "floor.log")
    floor_db.unlink(missing_ok=True)
    Path(str(floor_db) + ".wal").unlink(missing_ok=True)

    if args.floor_only:
        res["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "mem_total": _meminfo_total(), "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        args.results.mkdir(parents=True, exist_ok=True)
        (args.results / f"{args.name}-floor.json").write_text(json.dumps(res, indent=2, default=str))
        f = res["floor"]
        md = (f"# Benchmark: {args.name} — DuckDB floor only\n\nCommand: `{command}` (generator: `python -m "
              f"hbh_demo {' '.join(gen)}`, generated in {res['generate_s']:.0f} s). Code: {res['code']}.\n\n"
              f"Data: {_clients_last_year(res)}; {res['manifest_rows'].get('declaraties', 0):,} declaratie lines "
              f"generated ({res['declaraties_lines_full']:,} loaded here, {res['held_back']['lines']:,} held back as the "
              f"new month); landing {fmt_mb(res['landing_bytes'])}.\n\n"
              f"| run | wall time | peak memory | load average after |\n|---|---:|---:|---:|\n"
              f"| DuckDB floor: read_csv of the raw files into tables ({cfg}) | {f['wall_s']:.1f} s | "
              f"{fmt_mb(f['peak_tree_rss'])} | {f['loadavg_1min_after']:.1f} |\n\n"
              "The Dagster refresh was not run at this scale (see docs/scaling.md).\n")
        (args.results / f"{args.name}-floor.md").write_text(md)
        print(md)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        return 0

    refresh = [str(BIN / "dagster"), "job", "execute", "-m", "hbh_monitor.definitions", "-j", "refresh"]
    print(f"[bench {args.name}] full refresh through Dagster", flush=True)
    res["full"] = run_measured(refresh, env, ROOT / "pipelines", work / "full.log")
    res["full"]["steps"] = step_times(work / "full.log")
    res["full"]["failed_steps"] = failed_steps(work / "full.log")
    if res["full"]["rc"] != 0:
        print(f"full refresh FAILED, see {work / 'full.log'}", file=sys.stderr)
    serving = data / "serving" / "hbh_serving.duckdb"
    res["counts_full"] = warehouse_counts(data / "warehouse" / "hbh.duckdb")

    print(f"[bench {args.name}] dashboard page queries", flush=True)
    pq = subprocess.run([sys.executable, "-c", PAGE_SCRIPT, str(serving), json.dumps(page_queries())],
                        env=env, capture_output=True, text=True)
    res["pages"] = json.loads(pq.stdout) if pq.returncode == 0 else {}
    if pq.returncode != 0:
        print(f"page queries FAILED: {pq.stderr[-2000:]}", file=sys.stderr)
    res["pages_apptest"] = apptest_pages(serving, env)

    print(f"[bench {args.name}] incremental refresh: one new month", flush=True)
    for p in holdout.glob("*.csv"):
        shutil.move(p, landing / "declaraties" / p.name)
    res["incremental"] = run_measured(refresh, env, ROOT / "pipelines", work / "incremental.log")
    res["incremental"]["steps"] = step_times(work / "incremental.log")
    res["incremental"]["failed_steps"] = failed_steps(work / "incremental.log")
    res["counts_incremental"] = warehouse_counts(data / "warehouse" / "hbh.duckdb")
    if not res["pages"] and serving.exists():  # the full run published nothing (held back): time the incremental's snapshot
        pq = subprocess.run([sys.executable, "-c", PAGE_SCRIPT, str(serving), json.dumps(page_queries())],
                            env=env, capture_output=True, text=True)
        res["pages"] = json.loads(pq.stdout) if pq.returncode == 0 else {}
        res["pages_apptest"] = apptest_pages(serving, env)
        res["pages_after"] = "incremental"

    print(f"[bench {args.name}] next night: the gemeenten deliver their indicaties exports again", flush=True)
    for p in (holdout / "indicaties").glob("*.csv"):
        shutil.copy(p, landing / "indicaties" / p.name)  # copy, not copy2: a new modification time, as a new export has
    res["night_indicaties"] = run_measured(refresh, env, ROOT / "pipelines", work / "night_indicaties.log")
    res["night_indicaties"]["steps"] = step_times(work / "night_indicaties.log")
    res["night_indicaties"]["failed_steps"] = failed_steps(work / "night_indicaties.log")
    res["counts_night_indicaties"] = warehouse_counts(data / "warehouse" / "hbh.duckdb")

    res["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                      "mem_total": _meminfo_total(), "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{args.name}.json").write_text(json.dumps(res, indent=2, default=str))
    md = render(res)
    (args.results / f"{args.name}.md").write_text(md)
    print(md)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(res[k]["rc"] == 0 for k in ("full", "incremental", "night_indicaties")) else 1


def _code_version() -> str:
    """The commit measured (and whether the working tree had changes), or HBH_BENCH_CODE_NOTE."""
    if os.environ.get("HBH_BENCH_CODE_NOTE"):
        return os.environ["HBH_BENCH_CODE_NOTE"]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        # results of earlier scales in the same session are not code changes
        dirty = subprocess.run(["git", "status", "--porcelain", "--", ".", ":(exclude)bench/results"], cwd=ROOT,
                               capture_output=True, text=True).stdout
        return head + (" + uncommitted changes" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def _meminfo_total() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            return int(f.readline().split()[1]) * 1024
    except OSError:
        return None


def _failed_steps(run: dict) -> str:
    return ", ".join(f"`{s}`" for s in run.get("failed_steps", [])) or "see log"


def _clients_last_year(r: dict) -> str:
    per_year = r.get("manifest_clients_region") or {}
    if not per_year:
        return "per year unknown"
    y = max(per_year)
    return f"{int(per_year[y]):,} clients in {y}"


def summary_table(results: list[dict]) -> str:
    rows = ["| scale | clients (last year) | declaratie lines | DuckDB floor | full refresh | full ÷ floor | peak memory | "
            "incremental (+1 month) | incr. ÷ full | night with indicaties export | ÷ full | slowest page: queries | "
            "slowest page: AppTest cold render |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        f, full, inc, ind = r["floor"], r["full"], r["incremental"], r.get("night_indicaties")
        pages = max((p["median_s"] for p in r["pages"].values()), default=float("nan"))
        app = r.get("pages_apptest") or {}
        app_max = max(app.items(), key=lambda kv: kv[1]["cold_s"]) if app else None
        rows.append(
            f"| {r['name']} | {_clients_last_year(r).split(' clients')[0]} | {r['manifest_rows'].get('declaraties', 0):,} | "
            f"{f['wall_s']:.1f} s | {full['wall_s']:.1f} s{'' if full['rc'] == 0 else ' FAILED'} | {full['wall_s'] / f['wall_s']:.1f}× | "
            f"{fmt_mb(max(run['peak_tree_rss'] for run in (full, inc, ind) if run))} | {inc['wall_s']:.1f} s{'' if inc['rc'] == 0 else ' FAILED'} | "
            f"{inc['wall_s'] / full['wall_s']:.0%} | "
            + (f"{ind['wall_s']:.1f} s{'' if ind['rc'] == 0 else ' FAILED'} | {ind['wall_s'] / full['wall_s']:.0%}" if ind else "– | –")
            + f" | {pages:.2f} s | "
            + (f"{app_max[1]['cold_s']:.2f} s ({app_max[0]}; queries {app_max[1]['queries_cold_s']:.2f} s)" if app_max else "–")
            + " |")
    return "\n".join(rows)


def render(r: dict) -> str:
    full, inc, floor, ind = r["full"], r["incremental"], r["floor"], r.get("night_indicaties")
    pages_max = max((p["median_s"] for p in r["pages"].values()), default=float("nan"))
    lines = [
        f"# Benchmark: {r['name']}",
        "",
        f"Command: `{r['command']}` (generator: `python -m hbh_demo {' '.join(r['generator_args'])}`)",
        f"Machine: {r['machine']['cpus']} CPUs, {fmt_mb(r['machine']['mem_total'])} RAM, Python {r['machine']['python']}, "
        f"{r['machine']['at']}. DuckDB: memory_limit {r['duckdb']['memory_limit']}, threads {r['duckdb']['threads']}. "
        f"Code: {r.get('code', 'not recorded')}." + (f" Note: {r['note']}" if r.get("note") else ""),
        "",
        f"Data: {r['counts_full']['clients']:,} clients over the whole period (distinct pseudonyms; "
        f"{_clients_last_year(r)}), "
        f"{r['manifest_rows'].get('declaraties', 0):,} declaratie lines generated "
        f"({r['declaraties_lines_full']:,} in the full run + {r['held_back']['lines']:,} in the new month, "
        f"{r['held_back']['files']} new files), {r['manifest_rows'].get('indicaties', 0):,} indicaties"
        + (f" ({r['held_back_indicaties']['lines']:,} of them starting in the new month, which arrive with the "
           f"indicaties exports delivered again in the night with indicaties)" if ind else "")
        + "; "
        f"landing {fmt_mb(r['landing_bytes'])}.",
        "",
        "Other load on the machine during the runs (1-min load average right after each run; 2 cores): "
        + ", ".join(f"{k.replace('_', ' with ')} {r[k]['loadavg_1min_after']:.1f}" if "loadavg_1min_after" in r[k]
                    else f"{k} not recorded" for k in ("floor", "full", "incremental", "night_indicaties") if k in r)
        + ". Wall times include Python/Dagster start-up (about 4-5 s a run).",
        "",
        "| run | wall time | peak memory (process tree) | vs. floor / full |",
        "|---|---:|---:|---|",
        f"| DuckDB floor: read_csv of the same raw files into tables | {floor['wall_s']:.1f} s | {fmt_mb(floor['peak_tree_rss'])} | 1.00× floor |",
        f"| full refresh (Dagster CLI, job `refresh`) | {full['wall_s']:.1f} s | {fmt_mb(full['peak_tree_rss'])} | "
        f"{full['wall_s'] / floor['wall_s']:.2f}× floor{'' if full['rc'] == 0 else ' — run failed: ' + _failed_steps(full)} |",
        f"| incremental refresh (+1 month of declaraties) | {inc['wall_s']:.1f} s | {fmt_mb(inc['peak_tree_rss'])} | "
        f"{inc['wall_s'] / full['wall_s']:.0%} of full{'' if inc['rc'] == 0 else ' — run failed: ' + _failed_steps(inc)} |",
        *([f"| next night: every gemeente's indicaties export delivered again (with the new month's indicaties) | "
           f"{ind['wall_s']:.1f} s | {fmt_mb(ind['peak_tree_rss'])} | {ind['wall_s'] / full['wall_s']:.0%} of full"
           f"{'' if ind['rc'] == 0 else ' — run failed: ' + _failed_steps(ind)} |"] if ind else []),
        f"| dashboard pages: slowest page, all its queries (median of 5) | {pages_max:.3f} s | – | target ≤ 1 s |",
        "",
        "## Dashboard page queries (serving snapshot, fresh read-only connection per query)",
        "",
        *(["The full refresh published nothing (a blocking check held it back), so the pages were timed on the "
           "incremental run's snapshot.", ""] if r.get("pages_after") == "incremental" else []),
        "| page | queries | first run | median of 5 |",
        "|---|---:|---:|---:|",
    ]
    for page, p in r["pages"].items():
        lines.append(f"| {page} | {len(p['queries'])} | {p['first_s']:.3f} s | {p['median_s']:.3f} s |")
    if r.get("pages_apptest"):
        lines += ["", "Whole pages rendered server-side with Streamlit's AppTest (`bench/timing.py`, median of 3): "
                  "cold = empty caches, every query reads the snapshot; warm = a rerun.", "",
                  "| page | cold render | of which snapshot queries | warm rerun | error |", "|---|---:|---:|---:|---|"]
        for page, p in r["pages_apptest"].items():
            lines.append(f"| {page} | {p['cold_s']:.3f} s | {p['queries_cold_s']:.3f} s | {p['warm_s']:.3f} s | {p.get('error') or '–'} |")
    for label, run in (("full refresh", full), ("incremental refresh", inc), ("night with indicaties", ind)):
        if not run:
            continue
        lines += ["", f"## Where the {label} spends its time (Dagster step durations)", "",
                  "| part | seconds | share of steps |", "|---|---:|---:|"]
        groups = group_steps(run["steps"])
        tot = sum(groups.values()) or 1
        for g, s in groups.items():
            lines.append(f"| {g} | {s:.1f} | {s / tot:.0%} |")
        lines.append(f"| (outside steps: Python/Dagster start-up, run bookkeeping) | {run['wall_s'] - tot:.1f} | – |")
        lines += ["", "Slowest steps: " + ", ".join(f"`{n}` {s:.1f} s" for n, s in run["steps"][:6])]
    for label, since, now in (("incremental run", "counts_full", "counts_incremental"),
                              ("night with indicaties", "counts_incremental", "counts_night_indicaties")):
        before, after = (r.get(k, {}).get("model_builds") for k in (since, now))
        if not (before and after):
            continue
        changed = {m: b for m, b in after.items() if b["version"] != before.get(m, {}).get("version")}
        rebuilt = sorted(m for m, b in changed.items() if b["mode"] == "full")
        keyed = {m: b["changed_keys"] for m, b in changed.items() if b["mode"] == "incremental"}
        same = [m for m in after if m not in changed]
        lines += ["", f"Models in the {label} (`meta.model_builds`): {len(keyed)} updated by key"
                  + (" (" + ", ".join(f"`{m}` {k:,} keys" for m, k in sorted(keyed.items())) + ")" if keyed else "")
                  + f", {len(rebuilt)} rebuilt in full, "
                  f"{len(same)} left unchanged" + (" (" + ", ".join(f"`{m}`" for m in sorted(same)) + ")" if same else "") + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
