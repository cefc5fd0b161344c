"""Calibration of the demo region: the seed figures the planted story is drawn from, the products,
aanbieders and gemeenten, and one independent random stream per generation step.

Seed figures: shared/domain.md ("Seed figures"); Nijmegen beleidsvisie HbH and Stadsbegroting 2023.
"""

from __future__ import annotations

import numpy as np

BANDS = ("0-64", "65-74", "75-84", "85+")
BAND_LOWER = np.array([65, 75, 85])  # age on 1 January -> band index via searchsorted

# HbH clients per 1,000 inhabitants by age band (Nijmegen figure 1, "users are mostly elderly").
# The whole vector is multiplied by one factor so that Demostad has DEMOSTAD_CLIENTS_2022 clients.
USAGE_PER_1000 = np.array([4.0, 45.0, 170.0, 420.0])
# Nijmegen: "about 5,000 residents a year use HbH" (policy vision; age figure is per 1 Jan 2022).
DEMOSTAD_CLIENTS_2022 = 5_000
# Wijk factor ("sociaal niveau"), Nijmegen figure 3: large differences between wijken.
WIJK_FACTOR_RANGE = (0.6, 1.5)
# Share of inhabitants aged 75+ per wijk (strongly differing age structure).
SHARE_75PLUS_RANGE = (0.04, 0.14)

# Abonnementstarief suction: clients 2020 vs 2018 +16% = 2% autonomous + 14% suction (Nijmegen,
# Stadsbegroting 2023). 1.02 * (1 + 0.1373) - 1 = 0.160; excess share 1.02 * 0.1373 = 0.140.
# 2019: the national monitor saw +12.3% in 2019; we plant about half the 2020 effect.
DEMOGRAPHIC_GROWTH_2018_2020 = 0.02
EXCESS_BY_YEAR = {2019: 0.07}
EXCESS_FROM_2020 = 0.1373


def excess(year: int) -> float:
    """Relative excess of clients above the demographic expectation (0 up to 2018)."""
    if year <= 2018:
        return 0.0
    return EXCESS_BY_YEAR.get(year, EXCESS_FROM_2020)


# Annual population growth per band (before per-gemeente calibration of the 65+ bands to
# DEMOGRAPHIC_GROWTH_2018_2020). Nijmegen: "especially the 75-84 year olds grew strongly".
BAND_GROWTH_BASE = np.array([0.0, 0.010, 0.016, 0.006])
# From 2021 on the post-war cohorts reach 75: 75-84 grows faster, 65-74 slower.
BAND_GROWTH_BOOM = np.array([1.0, 0.5, 2.2, 1.5])
GROWTH_0_64 = {"GM9901": 0.004}  # the city still grows a little; others ~0 (drawn)
PROGNOSE_UNTIL = 2030

# Client dynamics.
UITSTROOM_HAZARD = np.array([0.22, 0.19, 0.20, 0.27])  # ~20-25% of clients end each year
FIRST_YEAR_INSTROOM_SHARE = 0.22  # share of the first year's clients that start in that year
HERINDICATIE_SHARE = 0.20
WASVERZORGING_SHARE = 0.06  # extra maatwerk product next to the regular help
PGB_SHARE = 0.12
WOMEN_SHARE = 0.70
MAIN_AANBIEDER_SHARE = 0.60  # wijkgericht werken: one main aanbieder per wijk
OPEN_ENDED_SHARE = 0.55  # of the indications still running after last_year: no einddatum
# Every-other-week help (normenkader 2025 / Heemstede) offered to new small indications.
BIWEEKLY_FROM = 2022
BIWEEKLY_OFFER_SHARE = {2022: 0.35, 2023: 0.50, 2024: 0.60}  # later years: 0.70

# Products and tariffs (reële tarieven; CAO step in 2026, Heemstede raadsinformatiebericht).
TARIFF_2016 = 26.50
TARIFF_GROWTH = 0.03
TARIFF_STEP_2026 = 0.12
PRODUCTS = (
    # code, omschrijving, productsoort, frequentie_weken, tariff factor, first year
    ("01A01", "Hulp bij het huishouden", "regulier", 1, 1.00, 0),
    ("01A02", "Hulp bij het huishouden eens per twee weken", "regulier", 2, 1.00, BIWEEKLY_FROM),
    ("01A03", "Wasverzorging", "maatwerk", 1, 1.04, 0),
)
DELIVERY_FACTOR = (0.97, 0.04, 0.80, 1.05)  # mean, sd, min, max of delivered / indicated
CREDIT_CORRECTION_SHARE = 0.002

AANBIEDERS = (
    ("98104521", "Thuishulp De Linde (demo)"),
    ("98117830", "Huishoudhulp Noordkust, Zorgcoöperatie (demo)"),
    ("98122964", "Zorggroep Duinzicht (demo)"),
    ("98135017", "Schoon & Thuis B.V. (demo)"),
    ("98146652", "Hulp aan Huis Polderland (demo)"),
    ("98158309", "Wijkhulp Sérieux (demo)"),
)

# The five-municipality demo region (sizes like Nijmegen and the Kennemerland joint purchase).
BASE_GEMEENTEN = (
    ("GM9901", "Demostad", 177_000, (
        "Centrum, Oude Stad", "Havenkwartier", "Poëtenwijk", "Ruïneveld", "Cité Verte",
        "Molenkamp-Zuid", "Kreekoever", "De Weverij", "Linderhof", "Zonnehoek", "Beekdal",
        "Heidebloem")),
    ("GM9902", "Duinwijk", 42_000, (
        "Dorpskern", "Duinzoom", "Strandwal, Noord", "Helmgras", "Zeeërf", "Meeuwenhoek")),
    ("GM9903", "Heidedorp", 27_000, ("Brink", "Heiderand", "Schaapskooi", "Kapelakker")),
    ("GM9904", "Polderveen", 35_000, (
        "Veenkern", "Polderzicht", "Turfhaven", "Rietlanden", "Molenpolder")),
    ("GM9905", "Kustmeer", 31_000, ("Meerzicht", "Kustbaan", "Naïadehaven", "Lagune", "Oud-Kustmeer")),
)

# Fictional outlines in an empty stretch of the North Sea (WGS84).
GEO_BOX = (3.6, 52.6, 4.4, 53.2)  # lon_min, lat_min, lon_max, lat_max

NO_END = 2_932_896  # days since 1970 of 9999-12-31: "no einddatum"


# Independent random streams per step.
STREAM = {"region": 1, "population": 2, "clients": 3, "bsn": 4, "indicaties": 5,
          "declaraties": 6, "defects": 7, "geo": 8}


def rng_for(seed: int, step: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAM[step]])
