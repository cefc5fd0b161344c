"""The whole asset graph, materialised by a real Dagster run on a generated demo region.

Figures are checked against numbers computed here, independently, from the raw landing files with
Python's csv module (not by calling the pipeline's SQL), and against the generator's manifest.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from datetime import date

import duckdb
import pytest

# clean_rows, parse_date, parse_num stay importable from here for older test modules
from support import BIN, ROOT, clean_rows, copy_run, parse_date, parse_num, read_rows, refresh_in_process

BANDS = ("0-64", "65-74", "75-84", "85+")


@pytest.fixture(scope="module")
def independent(pipeline_run):
    """Clients, age bands, hours and cost computed from the raw files, without the pipeline."""
    run = pipeline_run
    wijk_gemeente = {r["wijk_code"]: r["gemeente_code"] for r in clean_rows(run, "wijken")}
    tariff = {(r["gemeente_code"], r["product_code"], int(r["jaar"])): parse_num(r["tarief_per_uur"]) for r in clean_rows(run, "producten")}
    indicaties = {}
    for r in clean_rows(run, "indicaties"):
        indicaties[(r["gemeente_code"], int(r["toewijzing_nummer"]))] = r
    declaraties = {}
    for r in clean_rows(run, "declaraties"):
        declaraties[(r["aanbieder_agb"], r["referentie_nummer"])] = r
    starts = [parse_date(r["begindatum"]) for r in declaraties.values()]
    years = range(min(starts).year, max(parse_date(r["einddatum"]) for r in declaraties.values()).year + 1)

    per_client_year = {}  # (bsn, year) -> (start, wijk, birth)
    for r in indicaties.values():
        start, end = parse_date(r["ingangsdatum"]), parse_date(r["einddatum"]) or date(9999, 12, 31)
        for y in years:
            if start <= date(y, 12, 31) and end >= date(y, 1, 1):
                key = (r["bsn"], y)
                cand = (start, r["wijk_code"], parse_date(r["geboortedatum"]))
                if key not in per_client_year or cand[0] > per_client_year[key][0]:
                    per_client_year[key] = cand
    clients_wijk = defaultdict(int)
    age = defaultdict(int)
    for (bsn, y), (_, wijk, birth) in per_client_year.items():
        clients_wijk[(wijk, y)] += 1
        a = y - birth.year - (0 if (birth.month, birth.day) == (1, 1) else 1)
        band = "0-64" if a < 65 else "65-74" if a < 75 else "75-84" if a < 85 else "85+"
        age[(wijk_gemeente[wijk], y, band)] += 1

    hours = defaultdict(float)
    cost = defaultdict(float)
    for r in declaraties.values():  # every declared line counts in its gemeente, known wijk or not
        y = parse_date(r["begindatum"]).year
        sign = -1 if r["debet_credit"] == "C" else 1
        h = sign * int(r["geleverd_volume"]) * (60 if r["eenheid"] == "04" else 1) / 60
        g = r["gemeente_code"]
        hours[(g, y)] += h
        cost[(g, y)] += h * tariff[(r["gemeente_code"], r["product_code"], y)]
    return {"clients_wijk": clients_wijk, "age": age, "hours": hours, "cost": cost, "years": years,
            "bsns": {r["bsn"] for r in indicaties.values()} | {r["bsn"] for r in declaraties.values()}}


def test_definitions_validate(pipeline_run):
    proc = subprocess.run([str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
                          cwd=ROOT, env=pipeline_run.env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_run_recorded_in_dagster_home_with_all_checks_passing(pipeline_run):
    from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, EventRecordsFilter

    with DagsterInstance.from_config(str(pipeline_run.dagster_home)) as instance:
        runs = instance.get_runs()
        assert runs and runs[-1].job_name == "refresh" and runs[-1].status == DagsterRunStatus.SUCCESS
        evals = instance.get_event_records(EventRecordsFilter(event_type=DagsterEventType.ASSET_CHECK_EVALUATION))
        results = {(e.event_log_entry.dagster_event.event_specific_data.asset_key.to_user_string(),
                    e.event_log_entry.dagster_event.event_specific_data.check_name):
                   e.event_log_entry.dagster_event.event_specific_data.passed for e in evals}
    assert len(results) >= 21
    assert all(results.values()), {k: v for k, v in results.items() if not v}
    assert ("raw/indicaties", "gx_contract_suite") in results


def test_every_row_is_loaded_or_quarantined(pipeline_run, warehouse):
    ledger = {f: (n_in, n_ok, n_q) for f, n_in, n_ok, n_q in warehouse.execute(
        "SELECT source_file, rows_in, rows_loaded, rows_quarantined FROM meta.ingestion_ledger WHERE status = 'geladen'").fetchall()}
    for entry in pipeline_run.manifest["files"]:
        n_file = len(read_rows(pipeline_run, entry))
        n_in, n_ok, n_q = ledger[entry["path"]]
        assert n_in == n_file == entry["rows"] == n_ok + n_q, entry["path"]
        assert n_q == len(entry["defects"]), entry["path"]
        table = f"raw.{entry['dataset']}"
        assert warehouse.execute(f"SELECT count(*) FROM {table} WHERE source_file = ?", [entry["path"]]).fetchall()[0][0] == n_ok
        lines = {r[0] for r in warehouse.execute("SELECT source_line FROM meta.quarantine WHERE source_file = ?", [entry["path"]]).fetchall()}
        assert lines == {d["record"] + 1 for d in entry["defects"]}, entry["path"]


def test_quarantine_reasons_name_the_planted_defect(pipeline_run, warehouse):
    expected_rule = {"bsn_elfproef": "elfproef", "missing_required": "required", "bad_date": "type", "not_a_number": "type", "invalid_code": "values"}
    for entry in pipeline_run.manifest["files"]:
        for d in entry["defects"]:
            rules, reason = warehouse.execute(
                "SELECT rules, reason FROM meta.quarantine WHERE source_file = ? AND source_line = ?", [entry["path"], d["record"] + 1]
            ).fetchall()[0]
            assert rules == f"{expected_rule[d['kind']]}:{'bsn' if d['kind'] == 'bsn_elfproef' else d['column']}", (entry["path"], d, rules)
            assert reason


def test_clients_per_wijk_match_the_raw_files(independent, warehouse):
    mart = {(w, y): c for w, y, c in warehouse.execute("SELECT wijk_code, year, clients FROM marts.wijk_year").fetchall()}
    expected = {k: independent["clients_wijk"].get(k, 0) for k in mart}
    assert mart == expected
    assert sum(mart.values()) > 1000


def test_age_distribution_matches_the_raw_files(independent, warehouse):
    mart = {(g, y, b): c for g, y, b, c in warehouse.execute("SELECT gemeente_code, year, age_band, clients FROM marts.age_year").fetchall()}
    assert mart == {k: independent["age"].get(k, 0) for k in mart}
    # the story: most clients are 75+
    share_75 = warehouse.execute("SELECT sum(clients) FILTER (WHERE age_band IN ('75-84', '85+')) / sum(clients) FROM marts.age_year").fetchall()[0][0]
    assert share_75 > 0.6


def test_hours_and_cost_match_the_raw_files(independent, warehouse):
    rows = warehouse.execute("SELECT gemeente_code, year, declared_hours, cost_eur FROM marts.gemeente_year").fetchall()
    for g, y, h, c in rows:
        assert h == pytest.approx(independent["hours"].get((g, y), 0.0), rel=1e-9, abs=1e-6)
        assert float(c) == pytest.approx(independent["cost"].get((g, y), 0.0), abs=0.006)  # DECIMAL, to the cent
    assert sum(r[3] for r in rows) > 1_000_000


def test_rates_per_1000(warehouse, independent):
    for clients, c75, inh, inh75, r, r75 in warehouse.execute(
        "SELECT clients, clients_75plus, inhabitants, inhabitants_75plus, clients_per_1000, clients_per_1000_75plus "
        "FROM marts.wijk_year"
    ).fetchall():
        assert r == pytest.approx(1000 * clients / inh)
        # clients aged 75+ per 1,000 inhabitants aged 75+ (not all clients per 1,000 aged 75+)
        assert 0 <= c75 <= clients
        assert r75 == pytest.approx(1000 * c75 / inh75)
    # the 75+ clients per gemeente and year match those counted from the raw files
    for g, y, c75 in warehouse.execute("SELECT gemeente_code, year, clients_75plus FROM marts.gemeente_year").fetchall():
        assert c75 == sum(independent["age"].get((g, y, b), 0) for b in ("75-84", "85+"))


def test_growth_recovers_the_planted_abonnementstarief_story(pipeline_run, warehouse):
    """Clients 2020 vs 2018 grew ≈16% in every gemeente (2 points demography + 14 suction)."""
    effect = pipeline_run.manifest["abonnementstarief_effect"]["per_gemeente"]
    for g, truth in effect.items():
        (growth,) = warehouse.execute("SELECT growth_vs_baseline FROM marts.gemeente_year WHERE gemeente_code = ? AND year = 2020", [g]).fetchall()[0]
        assert growth == pytest.approx(truth["total_growth"], abs=0.01), g
    truth_clients = pipeline_run.manifest["clients"]["per_gemeente"]
    n_defects = pipeline_run.manifest["defects_per_dataset"]["indicaties"]
    for g, y, c in warehouse.execute("SELECT gemeente_code, year, clients FROM marts.gemeente_year").fetchall():
        assert truth_clients[g][str(y)] - n_defects <= c <= truth_clients[g][str(y)]


def test_no_bsn_past_ingestion(pipeline_run, independent):
    bsns = independent["bsns"]
    assert len(bsns) > 1000
    # 1) every text value of every table in the working and the published database
    for db in (pipeline_run.warehouse, pipeline_run.serving):
        with duckdb.connect(str(db), read_only=True) as con:
            cols = con.execute("SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'").fetchall()
            for s, t, c in cols:
                values = {v for (v,) in con.execute(f'SELECT DISTINCT "{c}" FROM {s}.{t}').fetchall() if v}
                found = [v for v in values if any(run in bsns for run in _nine_digit_runs(v))]
                assert not found, f"BSN in {db.name}:{s}.{t}.{c}"
    # 2) the bytes of every file the pipeline wrote (databases, Dagster's run storage and logs)
    for path in pipeline_run.data_dir.rglob("*"):
        if path.is_file() and pipeline_run.landing not in path.parents:
            data = path.read_bytes()
            hits = [b for b in _nine_digit_runs(data.decode("latin-1")) if b in bsns]
            assert not hits, f"BSN in {path}"
    assert pipeline_run.stdout and not [b for b in _nine_digit_runs(pipeline_run.stdout) if b in bsns]


def _nine_digit_runs(text):
    import re

    return re.findall(r"(?<!\d)\d{9}(?!\d)", text)


def test_published_snapshot_holds_aggregates_only(pipeline_run):
    with duckdb.connect(str(pipeline_run.serving), read_only=True) as con:
        tables = {f"{s}.{t}" for s, t in con.execute("SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
        assert {"marts.wijk_year", "marts.gemeente_year", "marts.age_year", "meta.refresh"} <= tables
        assert not con.execute("SELECT * FROM information_schema.columns WHERE column_name IN ('client_id', 'bsn', 'record')").fetchall()
        threshold = con.execute("SELECT suppression_threshold FROM meta.refresh").fetchall()[0][0]
        for t in ("marts.wijk_year", "marts.gemeente_year", "marts.age_year"):
            small = con.execute(f"SELECT count(*) FROM {t} WHERE clients < {threshold}").fetchall()[0][0]
            assert small == 0, t
        assert con.execute("SELECT is_demo FROM meta.refresh").fetchall()[0][0] is True


def test_second_run_changes_nothing(pipeline_run, tmp_path):
    env = copy_run(pipeline_run.data_dir, tmp_path / "data")  # the session run stays as it is
    warehouse = tmp_path / "data" / "warehouse" / "hbh.duckdb"

    def snapshot():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return (
                con.execute("SELECT count(*), count(*) FILTER (WHERE status = 'geladen') FROM meta.ingestion_ledger").fetchall(),
                con.execute("SELECT count(*) FROM raw.indicaties").fetchall(),
                con.execute("SELECT count(*) FROM raw.declaraties").fetchall(),
                con.execute("SELECT count(*) FROM meta.quarantine").fetchall(),
                # floats rounded: parallel sums may add in another order
                [tuple(round(v, 6) if isinstance(v, float) else v for v in row)
                 for row in con.execute("SELECT * FROM marts.wijk_year ORDER BY wijk_code, year").fetchall()],
            )

    before = snapshot()
    proc = refresh_in_process(env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert snapshot() == before


def test_planted_duplicate_declarations_are_found(pipeline_run, warehouse):
    """The demo's suspicious aanbieder declares some months twice; reconciliation finds each pair."""
    planted = [(e["aanbieder_agb"], d) for e in pipeline_run.manifest["files"] for d in e.get("duplicates", [])]
    assert planted, "the demo plants duplicate declarations"
    agbs = {a for a, _ in planted}
    found = dict(warehouse.execute(
        "SELECT aanbieder_agb, sum(lines) FROM marts.reconciliation_summary WHERE finding_code = 'dubbel' GROUP BY ALL").fetchall())
    assert found == {a: 2 * sum(1 for b, _ in planted if b == a) for a in agbs}
