"""The Great Expectations suite derived from a contract catches what the row gate should have stopped."""

from __future__ import annotations

import duckdb

from hbh_monitor.contracts import contract
from hbh_monitor.ingest import ingest_dataset
from hbh_monitor.validation import expectations_for, validate_new_rows

HEADER = "gemeente_code;product_code;jaar;omschrijving;productsoort;frequentie_weken;tarief_per_uur"


def _landing(tmp_path, n=5):
    f = tmp_path / "landing/producten/p.csv"
    f.parent.mkdir(parents=True)
    f.write_text("\n".join([HEADER, *[f"GM9901;01A0{i};20{10 + i};HbH {i};regulier;1;30,{i}0" for i in range(n)]]) + "\n")


def test_suite_is_derived_from_the_contract():
    kinds = {(cls, kw["column"]) for cls, kw in expectations_for(contract("producten"))}
    assert ("ExpectColumnValuesToNotBeNull", "tarief_per_uur") in kinds
    assert ("ExpectColumnValuesToMatchRegex", "gemeente_code") in kinds
    assert ("ExpectColumnValuesToBeInSet", "productsoort") in kinds
    assert ("ExpectColumnValuesToBeBetween", "frequentie_weken") in kinds
    # the pseudonymised BSN is only checked for presence
    assert ("ExpectColumnValuesToNotBeNull", "client_id") in {(cls, kw.get("column")) for cls, kw in expectations_for(contract("indicaties"))}
    assert "bsn" not in {kw.get("column") for _, kw in expectations_for(contract("indicaties"))}


def test_every_new_row_is_validated_once_in_chunks_and_violations_are_counted(tmp_path, monkeypatch):
    monkeypatch.setenv("HBH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HBH_GX_CHUNK_ROWS", "2")  # 5 rows → 3 chunks
    _landing(tmp_path)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    c = contract("producten")
    ingest_dataset(con, c, tmp_path / "landing", b"")
    first = validate_new_rows(con, c, "run-1")
    assert first["success"] and first["rows"] == 5 and first["chunks"] == 3 and first["files"] == 1
    assert (tmp_path / "gx/gx/uncommitted/data_docs/local_site/index.html").exists()
    # nothing new: nothing validated again
    again = validate_new_rows(con, c, "run-2")
    assert again["files"] == 0 and again["rows"] == 0 and again["success"]
    # a row that slipped past the gate (written around it) is caught, with its count
    con.execute("INSERT INTO raw.producten VALUES ('GM99X1', '01A09', 2020, 'x', 'anders', 3, -1, 'producten/p.csv', 99)")
    con.execute("UPDATE meta.ingestion_ledger SET gx_contract_version = NULL")
    site = tmp_path / "gx/gx/uncommitted/data_docs/local_site/validations"
    assert len([p for p in site.rglob("*.html") if "run-1" in str(p)]) == 3
    monkeypatch.setenv("HBH_GX_KEEP_DAYS", "0")  # keep only the newest run's results
    bad = validate_new_rows(con, c, "run-3")
    assert bad["results_removed"] == 3
    pages = [p.relative_to(site) for p in site.rglob("*.html")]
    assert pages and all("run-3" in str(p) for p in pages), pages
    assert not list((tmp_path / "gx/gx/uncommitted/validations").rglob("*run-1*"))
    assert not bad["success"]
    failed = " ".join(bad["failed"])
    for expected in ("gemeente_code", "productsoort", "frequentie_weken", "tarief_per_uur"):
        assert expected in failed
    assert all(f.endswith(": 1 rijen") for f in bad["failed"])
    rows = con.execute("SELECT run_id, success FROM meta.gx_validations ORDER BY validated_at").fetchall()
    assert rows == [("run-1", True), ("run-2", True), ("run-3", False)]
