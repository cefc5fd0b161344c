"""reference/wijk_geometry: the outlines of the wijken in scope, for the map on the Wijken page.

Wijk geometry is reference data. ``landing/geo/*.geojson`` holds one or more GeoJSON
FeatureCollections in WGS84 (lon/lat): the demo writes ``wijken.geojson``; a municipality drops the
CBS "wijk- en buurtkaart" (wijken layer, exported as GeoJSON in EPSG:4326) there. A feature is
matched to a wijk of ``staging.wijken`` by its property ``statcode`` (CBS wijk code, e.g. WK026801;
``wijk_code`` is accepted too); features of wijken outside the scope are ignored (the CBS file covers
the whole country). The result is ``meta.wijk_geometry`` (wijk_code, wijk_name, gemeente_code,
geojson = the feature as JSON text), copied into the published snapshot by the publishing step.
"""


import json
from pathlib import Path

import dagster as dg
import duckdb as _duckdb
from dagster_duckdb import DuckDBResource

from hbh_monitor import settings
from hbh_monitor.geo import join_report

CODE_PROPERTIES = ("statcode", "wijk_code", "WK_CODE")
NAME_PROPERTIES = ("statnaam", "wijk_name", "WK_NAAM")


def geo_dir() -> Path:
    return settings.landing_dir() / "geo"


def _prop(props: dict, names: tuple[str, ...]) -> str | None:
    for n in names:
        if props.get(n) not in (None, ""):
            return str(props[n]).strip()
    return None


def read_features(folder: Path) -> dict[str, dict]:
    """wijk code -> GeoJSON feature, from every ``*.geojson`` in ``folder`` (later files win)."""
    out: dict[str, dict] = {}
    for path in sorted(folder.glob("*.geojson")) if folder.is_dir() else []:
        doc = json.loads(path.read_text(encoding="utf-8"))
        features = doc.get("features", []) if doc.get("type") == "FeatureCollection" else [doc]
        for f in features:
            props = f.get("properties") or {}
            code = _prop(props, CODE_PROPERTIES)
            if code and f.get("geometry"):
                out[code] = {**f, "_source": path.name, "_name": _prop(props, NAME_PROPERTIES)}
    return out


def load_wijk_geometry(con: _duckdb.DuckDBPyConnection, folder: Path) -> dict:
    """(Re)build meta.wijk_geometry for the wijken of staging.wijken; returns counts for metadata."""
    wijken = con.execute("SELECT wijk_code, wijk_name, gemeente_code FROM staging.wijken ORDER BY wijk_code").fetchall()
    features = read_features(folder)
    rows = []
    for code, name, gemeente in wijken:
        f = features.get(code)
        if f is None:
            continue
        feature = {
            "type": "Feature",
            "id": code,
            "properties": {"wijk_code": code, "wijk_name": name, "gemeente_code": gemeente},
            "geometry": f["geometry"],
        }
        rows.append((code, name, gemeente, f["_name"], f["_source"], json.dumps(feature, separators=(",", ":"))))
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(
        "CREATE OR REPLACE TABLE meta.wijk_geometry (wijk_code VARCHAR PRIMARY KEY, wijk_name VARCHAR, "
        "gemeente_code VARCHAR, source_name VARCHAR, source_file VARCHAR, geojson VARCHAR)"
    )
    if rows:
        con.executemany("INSERT INTO meta.wijk_geometry VALUES (?, ?, ?, ?, ?, ?)", rows)
    report = join_report({w[0]: w[2] for w in wijken}, features)
    return {"features_read": len(features), "wijken": len(wijken), "matched": len(rows),
            "missing": report["without_outline"], "outline_without_wijk": report["outline_without_wijk"]}


@dg.asset(
    key=["reference", "wijk_geometry"],
    deps=[dg.AssetKey(["staging", "wijken"])],
    group_name="publish",
    kinds={"duckdb"},
    description="Outlines of the wijken in scope (landing/geo/*.geojson, matched on CBS statcode) as meta.wijk_geometry, for the map.",
)
def wijk_geometry(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    folder = geo_dir()
    with duckdb.get_connection() as con:
        info = load_wijk_geometry(con, folder)
    if info["missing"]:
        context.log.warning(
            f"{len(info['missing'])} van {info['wijken']} wijken zonder omtrek in {folder} "
            f"(bijv. {', '.join(info['missing'][:5])}); die ontbreken op de kaart."
        )
    return dg.MaterializeResult(
        metadata={
            "folder": str(folder),
            "features_read": info["features_read"],
            "wijken": info["wijken"],
            "wijken_with_geometry": info["matched"],
            "wijken_without_geometry": len(info["missing"]),
            "outlines_without_wijk": len(info["outline_without_wijk"]),
        }
    )
