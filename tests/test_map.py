"""The map says where you are: real CBS wijk outlines (../shared/reference/cbs/, read in place) joined on
statcode with a report of the wijken missing on either side, gemeente borders derived from them, rings
wound for d3-geo, and the wijk map on the Wijken page (an SVG geo map) with borders and names."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from hbh_monitor.defs.publishing.geometry import load_wijk_geometry, read_features
from hbh_monitor.geo import border_segments, d3_winding, join_report, label_point, rings
from support import require_shared

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT.parent / "shared" / "reference" / "cbs"
APP = ROOT / "dashboards" / "app.py"


@pytest.fixture(scope="module")
def outlines():
    require_shared(REF, "CBS wijk outlines")
    return read_features(REF)


def test_real_outlines_join_on_statcode_with_a_report(outlines, tmp_path, capsys):
    # our side: Nijmegen as registered in an older indeling (WK026809 not yet, WK026810 since merged away),
    # and the five Kennemerland gemeenten with all their 2024 wijken
    kennemerland = [c for c in outlines if c[2:6] in ("0375", "0377", "0396", "0397", "0453")]
    ours = [(c, "GM0268") for c in ("WK026801", "WK026802", "WK026803", "WK026804", "WK026805", "WK026806",
                                     "WK026807", "WK026808", "WK026810")]
    ours += [(c, "GM" + c[2:6]) for c in kennemerland]
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE TABLE staging.wijken (gemeente_code VARCHAR, gemeente_name VARCHAR, wijk_code VARCHAR, wijk_name VARCHAR)")
    con.executemany("INSERT INTO staging.wijken VALUES (?, ?, ?, ?)", [[g, g, w, w] for w, g in ours])
    info = load_wijk_geometry(con, REF)
    report = join_report({w: g for w, g in ours}, outlines)
    with capsys.disabled():
        print(f"\nCBS wijk outlines 2024 ({len(outlines)} features) joined on statcode to {len(ours)} wijken in scope: "
              f"{len(report['matched'])} matched; wijken without outline: {report['without_outline']}; "
              f"outlines without wijk in scope: {report['outline_without_wijk']}")
    assert len(outlines) == 49 and len(kennemerland) == 40
    assert report["without_outline"] == ["WK026810"] and info["missing"] == ["WK026810"]
    assert report["outline_without_wijk"] == ["WK026809"] and info["outline_without_wijk"] == ["WK026809"]
    assert info["matched"] == len(report["matched"]) == 48
    names = dict(con.execute("SELECT wijk_code, source_name FROM meta.wijk_geometry").fetchall())
    assert names["WK026801"] == "Nijmegen-Centrum"
    # every matched outline lies in the Netherlands and has a label point inside its bounding box
    for code in report["matched"]:
        g = outlines[code]["geometry"]
        xs = [p[0] for r in rings(g) for p in r]
        ys = [p[1] for r in rings(g) for p in r]
        assert 3.2 < min(xs) <= max(xs) < 7.3 and 50.7 < min(ys) <= max(ys) < 53.6, code
        lon, lat = label_point(g)
        assert min(xs) <= lon <= max(xs) and min(ys) <= lat <= max(ys), code


def test_gemeente_border_from_real_outlines(outlines):
    """Nijmegen's border: its wijken's edges minus the ones two wijken share."""
    geoms = [f["geometry"] for c, f in outlines.items() if c.startswith("WK0268")]
    all_edges = sum(len(r) - 1 for g in geoms for r in rings(g))
    border = border_segments(geoms)
    assert 0 < len(border) < all_edges  # the inner boundaries (shared by two wijken) are gone
    # the border is closed: every vertex of it is an end of an even number of border edges
    ends: dict = {}
    for a, b in border:
        ends[a] = ends.get(a, 0) + 1
        ends[b] = ends.get(b, 0) + 1
    odd = [p for p, n in ends.items() if n % 2]
    assert len(odd) <= 0.02 * len(ends), f"{len(odd)} loose ends of {len(ends)}"


def _shoelace(ring) -> float:
    """Signed planar area in (lon, lat): > 0 counter-clockwise (RFC 7946's outer rings), < 0 clockwise."""
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1])) / 2


def _polygons(g: dict) -> list:
    return [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]


def test_d3_winding_turns_rfc7946_rings_for_plotly_geo(outlines):
    """d3-geo (Plotly's SVG map) takes a counter-clockwise outer ring for the globe minus the wijk: outer rings
    clockwise, holes counter-clockwise, the same points, and a ring already wound so is left alone."""
    published = [r for f in outlines.values() for poly in _polygons(f["geometry"]) for r in poly[:1]]
    assert published and all(_shoelace(r) > 0 for r in published)  # the CBS outlines follow RFC 7946
    for code, f in outlines.items():
        g = d3_winding(f["geometry"])
        assert g["type"] == f["geometry"]["type"]
        for before, after in zip(_polygons(f["geometry"]), _polygons(g)):
            assert _shoelace(after[0]) < 0, code
            assert all(_shoelace(h) > 0 for h in after[1:]), code
            assert [sorted(map(tuple, r)) for r in before] == [sorted(map(tuple, r)) for r in after], code
        assert d3_winding(g) == g, code
    # a wijk with a hole (a lake), RFC 7946 winding, as a MultiPolygon next to a square already wound for d3
    outer = [[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.1], [5.0, 52.0]]
    hole = [[5.02, 52.02], [5.02, 52.08], [5.08, 52.08], [5.08, 52.02], [5.02, 52.02]]
    ready = [[6.0, 52.0], [6.0, 52.1], [6.1, 52.1], [6.1, 52.0], [6.0, 52.0]]
    g = d3_winding({"type": "MultiPolygon", "coordinates": [[outer, hole], [ready]]})
    assert g["coordinates"] == [[outer[::-1], hole[::-1]], [ready]]
    assert d3_winding({"type": "Point", "coordinates": [5.0, 52.0]}) == {"type": "Point", "coordinates": [5.0, 52.0]}


def _map_spec(at) -> dict:
    specs = [json.loads(ch.proto.spec) for ch in at.get("plotly_chart")]
    maps = [f for f in specs if any(t["type"] == "choropleth" for t in f["data"])]
    assert len(maps) == 1
    return maps[0]


def test_wijk_map_shows_borders_and_names(serving_db, monkeypatch):
    monkeypatch.setenv("HBH_SERVING", str(serving_db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("views/wijken.py").run()
    at.selectbox(key="wijken_gemeente").set_value("GM9902").run()
    assert not at.exception, [e.value for e in at.exception]
    fig = _map_spec(at)
    # an SVG geo map (no WebGL map, no tiles): fitted to the wijken, without base layers, not draggable
    assert {t["type"] for t in fig["data"]} == {"choropleth", "scattergeo"}
    geo = fig["layout"]["geo"]
    assert geo["fitbounds"] == "locations" and geo["visible"] is False and geo["projection"]["type"] == "mercator"
    assert fig["layout"]["dragmode"] not in ("pan", "zoom", "select", "lasso", None)
    # a line trace first: Plotly fetches its world map (cdn.plot.ly) when the first geo trace has locations
    assert fig["data"][0]["type"] == "scattergeo" and "locations" not in fig["data"][0]
    borders = [t for t in fig["data"] if t["type"] == "scattergeo" and t.get("mode") == "lines"]
    assert len(borders) == 1 and None in borders[0]["lon"]
    # every wijk's outer ring clockwise (d3-geo's winding)
    for t in fig["data"]:
        for f in t.get("geojson", {}).get("features", []):
            assert all(_shoelace(poly[0]) < 0 for poly in _polygons(f["geometry"])), f["id"]
    texts = {x.replace("<br>", " ") for t in fig["data"] if t.get("mode") == "text" for x in t["text"]}
    with duckdb.connect(str(serving_db), read_only=True) as con:
        wijken = {r[0] for r in con.execute("SELECT wijk_name FROM marts.wijk_year WHERE gemeente_code = 'GM9902'").fetchall()}
    assert wijken and wijken <= texts, wijken - texts
    # the whole region: the gemeente names (five blocks with their borders)
    at.selectbox(key="wijken_gemeente").set_value("__regio__").run()
    fig = _map_spec(at)
    assert len([t for t in fig["data"] if t.get("mode") == "lines"]) == 5
    texts = {x for t in fig["data"] if t.get("mode") == "text" for x in t["text"]}
    assert texts >= {"<b>Demostad</b>", "<b>Duinwijk</b>", "<b>Kustmeer</b>"}
    assert not fig["layout"].get("annotations")
