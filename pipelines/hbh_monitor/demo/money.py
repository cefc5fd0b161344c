"""Money story of the demo region: the contracted tariffs of the year after the data period (the
2026 step of the reële tarieven is known before the year starts) and what the manifest says about
them, so tests can recover the planted tariff step and check the cost bridge.

Kept apart from the generator's indicatie and declaratie code: the generator only asks this module
which years its tariff table and product catalogue cover, and adds :func:`truth` to the manifest.
"""

from __future__ import annotations

import numpy as np


def tariff_years(first_year: int, last_year: int) -> np.ndarray:
    """Years of the tariff table and of ``producten/``: the data period plus the next year, whose
    tariffs the gemeenten have already contracted (a product catalogue is set before the year)."""
    return np.arange(first_year, last_year + 2)


def truth(tariff: np.ndarray, region, first_year: int, last_year: int) -> dict:
    """The manifest's "money" section: the planted tariff rule and the contracted tariffs."""
    from hbh_monitor.demo import generator as gen

    years = tariff_years(first_year, last_year)
    return {
        "tariffs": {
            "rule": "tariff(gemeente, product, year) = level(gemeente) × product factor × (1 + growth)^(year − 2016) "
                    "× (1 + step from step_year), rounded to whole cents",
            "growth_per_year": gen.TARIFF_GROWTH,
            "step": gen.TARIFF_STEP_2026,
            "step_year": 2026,
            "contracted_until": int(years[-1]),
            "per_gemeente_product_year": {
                region.gem_code[g]: {code: {str(int(y)): int(tariff[g, p, i]) / 100 for i, y in enumerate(years)
                                            if y >= from_year}
                                     for p, (code, _o, _s, _f, _x, from_year) in enumerate(gen.PRODUCTS)}
                for g in range(len(region.gem_code))
            },
        },
    }
