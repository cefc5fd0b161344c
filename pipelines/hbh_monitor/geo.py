"""Plain geometry helpers for the wijk map (no Dagster, so the dashboards can use them too).

* :func:`join_report`: which wijken in scope have an outline and which outlines have no wijk in scope, for
  the gemeenten in scope (outlines of other gemeenten are not "missing", just elsewhere);
* :func:`border_segments`: a gemeente's border as the edges of its wijken that no other wijk of the same
  gemeente shares (vertices compared to about 1 m), as line pieces for a map trace;
* :func:`label_point`: where a wijk's name goes: the area-weighted centroid of its largest ring;
* :func:`d3_winding`: the rings turned the way d3-geo (Plotly's SVG geo maps) reads them.

GeoJSON in WGS84 (lon, lat); Polygon and MultiPolygon.
"""

from __future__ import annotations

from collections import Counter


def rings(geometry: dict) -> list[list[list[float]]]:
    """Every ring (outer and holes) of a Polygon or MultiPolygon."""
    t, coords = geometry.get("type"), geometry.get("coordinates") or []
    if t == "Polygon":
        return list(coords)
    if t == "MultiPolygon":
        return [r for poly in coords for r in poly]
    return []


def _area_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(a) < 1e-18:
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return 0.0, sum(xs) / len(xs), sum(ys) / len(ys)
    return abs(a) / 2, cx / (3 * a), cy / (3 * a)


def label_point(geometry: dict) -> tuple[float, float] | None:
    """(lon, lat) for the wijk's name: the centroid of its largest ring."""
    best = max((_area_centroid([p[:2] for p in r]) for r in rings(geometry) if len(r) >= 3), default=None)
    return (best[1], best[2]) if best else None


def _signed_area(ring: list[list[float]]) -> float:
    """Twice the planar area of a ring in (lon, lat): positive when it runs counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:] + ring[:1]))


def d3_winding(geometry: dict) -> dict:
    """The geometry with its rings wound as d3-geo expects: outer rings clockwise, holes counter-clockwise.

    RFC 7946 GeoJSON (the CBS outlines, the demo map) winds the other way; d3-geo, which draws Plotly's
    SVG geo maps, reads a counter-clockwise outer ring as the whole globe minus the wijk (the map fills
    with one colour and fitting the view to the wijken fails). A ring already wound right is kept as it is.
    Planar orientation in (lon, lat) equals the spherical one for rings as small as a wijk."""
    def poly(rs: list) -> list:
        return [r[::-1] if (_signed_area(r) > 0) == (i == 0) else r for i, r in enumerate(rs)]

    t, coords = geometry.get("type"), geometry.get("coordinates") or []
    if t == "Polygon":
        return {**geometry, "coordinates": poly(coords)}
    if t == "MultiPolygon":
        return {**geometry, "coordinates": [poly(p) for p in coords]}
    return geometry


def _key(p: list[float], digits: int) -> tuple[float, float]:
    return round(p[0], digits), round(p[1], digits)


def border_segments(geometries: list[dict], digits: int = 5) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The edges of ``geometries`` (the wijken of one gemeente) that occur once: the gemeente's border."""
    count: Counter = Counter()
    edges = []
    for g in geometries:
        for r in rings(g):
            for a, b in zip(r, r[1:]):
                ka, kb = _key(a, digits), _key(b, digits)
                if ka == kb:
                    continue
                k = (ka, kb) if ka <= kb else (kb, ka)
                count[k] += 1
                edges.append(k)
    return [k for k in dict.fromkeys(edges) if count[k] == 1]


def segments_to_lines(segments) -> tuple[list[float | None], list[float | None]]:
    """lon and lat lists for one map line trace: the segments separated by None."""
    lons: list[float | None] = []
    lats: list[float | None] = []
    for (x0, y0), (x1, y1) in segments:
        lons += [x0, x1, None]
        lats += [y0, y1, None]
    return lons, lats


def join_report(wijken: dict[str, str], outlines: dict[str, dict]) -> dict:
    """Join the wijken in scope (code -> gemeente code) to outlines (statcode -> feature).

    ``without_outline``: wijken in scope that have no outline; ``outline_without_wijk``: outlines of the
    gemeenten in scope whose code is not a wijk in scope (e.g. a wijk indeling of another year)."""
    gemeenten = {g[2:] for g in wijken.values()}
    matched = sorted(set(wijken) & set(outlines))
    return {
        "matched": matched,
        "without_outline": sorted(set(wijken) - set(outlines)),
        "outline_without_wijk": sorted(c for c in outlines if c not in wijken and c[2:6] in gemeenten),
    }
