"""The wijk outlines: fictional quadrilaterals in an empty stretch of the North Sea (GeoJSON)."""

from __future__ import annotations

import math

import numpy as np

from hbh_demo.calibration import GEO_BOX
from hbh_demo.population import Region

def wijk_geojson(rng: np.random.Generator, region: Region) -> dict:
    """Adjacent quadrilaterals per gemeente, gemeenten as blocks in the North Sea box."""
    lon0, lat0, lon1, lat1 = GEO_BOX
    G = len(region.gem_code)
    bcols = math.ceil(math.sqrt(G))
    brows = math.ceil(G / bcols)
    bw, bh = (lon1 - lon0) / bcols, (lat1 - lat0) / brows
    features = []
    for g in range(G):
        idx = np.flatnonzero(region.wijk_gem == g)
        n = idx.size
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        ox = lon0 + (g % bcols) * bw + 0.06 * bw
        oy = lat1 - (g // bcols + 1) * bh + 0.06 * bh
        cw, ch = 0.88 * bw / cols, 0.88 * bh / rows
        xs = ox + np.arange(cols + 1)[None, :] * cw + np.zeros((rows + 1, 1))
        ys = oy + np.arange(rows + 1)[:, None] * ch + np.zeros((1, cols + 1))
        inner = (slice(1, rows), slice(1, cols))
        xs[inner] += rng.uniform(-0.2, 0.2, xs[inner].shape) * cw
        ys[inner] += rng.uniform(-0.2, 0.2, ys[inner].shape) * ch
        for k, w in enumerate(idx):
            r, c = divmod(k, cols)
            corners = [(r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c), (r, c)]  # counter-clockwise
            ring = [[round(float(xs[i, j]), 6), round(float(ys[i, j]), 6)] for i, j in corners]
            features.append({
                "type": "Feature",
                "properties": {"statcode": region.wijk_code[w], "statnaam": region.wijk_naam[w],
                               "gemeente_code": region.gem_code[g]},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            })
    return {"type": "FeatureCollection", "name": "demo_wijken (fictief, Noordzee)", "features": features}
