"""Disclosure declarations of the money marts (tariffs, cost bridge, budget, income, herindicatie simulation):
which columns count persons, which figures are derived from which counts, and which counts are parts of a
published total. Publishing (hbh_monitor.publish) reads DERIVED and CLIENT_PARTS; the rest is declared here for the
suppression catalogue, so one place says what each money table publishes about persons.
"""

from __future__ import annotations

# Person counts per table (all are integer columns with "clients" in their name, so publish._is_count finds them).
PERSON_COUNTS: dict[str, tuple[str, ...]] = {
    "marts.cost_bridge": ("clients", "clients_before"),
    "marts.income_response": ("clients_laag", "clients_midden", "clients_hoog", "clients_onbekend",
                              "clients_laag_baseline", "clients_midden_baseline", "clients_hoog_baseline",
                              "clients_onbekend_baseline"),
    "marts.herindicatie_simulation": ("clients", "clients_down", "clients_same", "clients_up"),
}
# Tables without person counts: tariffs and model values (forecast cost, budget), published as they are.
NO_PERSON_COUNTS: tuple[str, ...] = ("marts.tariffs", "marts.budget_scenario")

# Derived figure → the counts it is computed from; hidden when any of them is hidden (publish.DERIVED).
DERIVED: dict[str, tuple[str, ...]] = {
    **{f"growth_{k}": (f"clients_{k}", f"clients_{k}_baseline") for k in ("laag", "midden", "hoog")},
    "growth_difference_points": ("clients_laag", "clients_laag_baseline", "clients_hoog", "clients_hoog_baseline"),
    # cost bridge: amounts of the earlier year rest on that year's clients
    **{c: ("clients", "clients_before") for c in (
        "declared_hours_before", "hours_per_client_before", "cost_before_eur", "change_eur", "clients_effect_eur",
        "volume_effect_eur", "mix_effect_eur", "price_effect_eur")},
    # herindicatie simulation: minutes and euros rest on the cell's clients
    **{c: ("clients",) for c in (
        "minutes_per_week_before", "minutes_per_week_after", "mean_minutes_per_week_before",
        "mean_minutes_per_week_after", "transition_cost_eur", "yearly_cost_effect_eur")},
}

# Counts of one row that are parts of a published total: the income classes add up to marts.gemeente_year.clients
# (so no row may keep exactly one class hidden; the catalogue's secondary suppression must cover them).
COLUMN_PARTS: dict[str, dict[str, tuple[str, ...]]] = {
    "marts.income_response": {"marts.gemeente_year.clients": (
        "clients_laag", "clients_midden", "clients_hoog", "clients_onbekend")},
    "marts.herindicatie_simulation": {"clients": ("clients_down", "clients_same", "clients_up")},
}
# The parts of a row's ``clients`` (publish.COLUMN_PARTS): no row keeps exactly one part hidden.
CLIENT_PARTS: list[tuple[str, ...]] = [COLUMN_PARTS["marts.herindicatie_simulation"]["clients"]]
