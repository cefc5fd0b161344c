"""The Dutch summary that opens each council page: what changed and what it means, with the figures.

Pure functions of the (already loaded, already protected) mart rows, so tests can check every figure
against the marts without a browser. A suppressed (NULL) count never becomes a number: the sentence
then says "afgeschermd" or leaves the comparison out.
"""

from __future__ import annotations

from typing import Any

import common as c


def _place(name: str) -> str:
    """"Regio totaal" reads as "de regio" in a sentence."""
    return "de regio" if name == c.REGIO_NAME else name


def _days(x: float) -> str:
    """A median of days: 7 -> "7", 12.5 -> "12,5"."""
    return c.fmt_number(x, 0 if float(x).is_integer() else 1)


def _up_down(change: float | None, up: str = "meer", down: str = "minder") -> str:
    if change is None:
        return ""
    return f"{c.fmt_pct(abs(change))} {up if change >= 0 else down}"


def overzicht(row: dict[str, Any], prev: dict[str, Any], name: str, year: int) -> str:
    """Clients, rate and cost of the year against the year before."""
    name = _place(name)
    clients = row.get("clients")
    if clients is None:
        first = f"In {year} is het aantal cliënten van {name} afgeschermd (minder dan {c.suppression_threshold()})."
    else:
        d = c.change(clients, prev.get("clients")) if not row.get("_hidden") and not prev.get("_hidden") else None
        lower = "ten minste " if row.get("_hidden") else ""
        first = (f"In {year} kregen {lower}{c.fmt_count(clients)} inwoners van {name} hulp bij het huishouden"
                 + (f", {_up_down(d)} dan in {year - 1}" if d is not None else "")
                 + (f": {c.fmt_rate(row.get('clients_per_1000'))} per 1.000 inwoners"
                    if row.get("clients_per_1000") is not None else "") + ".")
    cost = row.get("cost_eur")
    if cost is None:
        return first
    dc = c.change(cost, prev.get("cost_eur"))
    return first + (f" De gedeclareerde kosten waren {c.fmt_eur(cost)}"
                    + (f", {c.fmt_pct(dc, signed=True)} t.o.v. {year - 1}" if dc is not None else "") + ".")


def wijken(ranked_labels: list[str], ranked_values: list[float], ref: float | None, name: str, year: int,
           measure: str, fmt) -> str:
    """The gemeente (or regio) as a whole, and the highest and lowest wijk."""
    parts = []
    if ref is not None:
        parts.append(f"{measure} in {year} voor {name} als geheel: {fmt(ref)}.")
    if len(ranked_labels) >= 2:
        parts.append(f"Het hoogst in {ranked_labels[0]} ({fmt(ranked_values[0])}), het laagst in "
                     f"{ranked_labels[-1]} ({fmt(ranked_values[-1])}).")
    return " ".join(parts) or f"Voor {name} zijn in {year} geen wijkcijfers te tonen."


def leeftijd(rows: list[dict[str, Any]], name: str, year: int, base_year: int) -> str:
    """Share of clients aged 75+ in the year, and use per 1,000 of the oldest band then and in the base year."""
    name = _place(name)
    now = {r["age_band"]: r for r in rows if r["year"] == year}
    base = {r["age_band"]: r for r in rows if r["year"] == base_year}
    total = sum(r["clients"] for r in now.values() if r.get("clients") is not None)
    old = [now[b]["clients"] for b in ("75-84", "85+") if b in now]
    out = []
    if total and old and all(v is not None for v in old):
        out.append(f"In {year} was {c.fmt_pct(sum(old) / total)} van de cliënten van {name} 75 jaar of ouder "
                   f"({c.fmt_number(sum(old))} van {c.fmt_number(total)}).")
    r85, b85 = now.get("85+", {}).get("clients_per_1000"), base.get("85+", {}).get("clients_per_1000")
    if r85 is not None and b85 is not None and year != base_year:
        out.append(f"Van de inwoners van 85+ kregen {c.fmt_rate(r85)} per 1.000 hulp, tegen {c.fmt_rate(b85)} "
                   f"in {base_year}: het gebruik per oudere is {'gestegen' if r85 > b85 else 'gedaald'}, "
                   "los van de vergrijzing.")
    return " ".join(out) or f"Voor {name} zijn de aantallen per leeftijd in {year} afgeschermd."


def abonnementstarief(r: dict[str, Any], name: str, base_year: int, year: int) -> str:
    """Total growth since the base year split into demography and extra growth."""
    name = _place(name)
    if r.get("total_growth") is None:
        return f"Voor {name} is de groei {base_year}–{year} afgeschermd (te kleine aantallen)."
    text = (f"Van {base_year} tot {year} groeide het aantal cliënten in {name} met "
            f"{c.fmt_pct(r['total_growth'], signed=True)}: {c.fmt_pct(r['demographic_growth'], signed=True)} "
            f"door de bevolking (vooral vergrijzing) en {c.fmt_pct(r['excess_growth'], signed=True)} extra")
    if r.get("excess_growth_low") is not None and r.get("excess_growth_high") is not None:
        text += (f" (95%-band {c.fmt_pct(r['excess_growth_low'], signed=True)} tot "
                 f"{c.fmt_pct(r['excess_growth_high'], signed=True)})")
    text += "."
    lo = r.get("excess_growth_low")
    if lo is not None:
        text += (" Die extra groei is groter dan toeval kan verklaren." if lo > 0
                 else " Die extra groei is niet duidelijk groter dan toeval.")
    return text


def prognose(first: dict[str, Any], last: dict[str, Any], name: str, assumptions: str) -> str:
    """Forecast clients and cost from the first to the last forecast year, and the standard assumptions."""
    name = _place(name)
    dc = c.change(last["clients"], first["clients"])
    return (f"Volgens het standaardscenario gaat {name} van {c.fmt_number(first['clients'])} cliënten in "
            f"{first['year']} naar {c.fmt_number(last['clients'])} in {last['year']} "
            f"({c.fmt_pct(dc, signed=True)}); de kosten van {c.fmt_eur(first['cost'])} naar "
            f"{c.fmt_eur(last['cost'])}. Aannames van het standaardscenario: {assumptions}.")


def levering(delivery: dict[str, Any] | None, budget: dict[str, Any] | None, wait: dict[str, Any] | None,
             wait_prev: dict[str, Any] | None, name: str, year: int) -> str:
    """Delivered share, cost against budget and the median wait of the year."""
    name = _place(name)
    out = []
    if delivery and delivery.get("share_delivered") is not None:
        out.append(f"In {year} is in {name} {c.fmt_pct(delivery['share_delivered'])} van de geïndiceerde uren "
                   f"zorg in natura geleverd" + (f"; de niet-geleverde uren zouden {c.fmt_eur(delivery['gap_cost_eur'])} "
                                                 "kosten" if delivery.get("gap_cost_eur") else "") + ".")
    if budget and budget.get("budget_eur") is not None and budget.get("cost_eur") is not None:
        diff = budget["cost_eur"] - budget["budget_eur"]
        out.append(f"De kosten ({c.fmt_eur(budget['cost_eur'])}) lagen {c.fmt_eur(abs(diff))} "
                   f"{'boven' if diff > 0 else 'onder'} het budget ({c.fmt_eur(budget['budget_eur'])}).")
    if wait and wait.get("median_days_to_start") is not None:
        m = wait["median_days_to_start"]
        prev = (wait_prev or {}).get("median_days_to_start")
        out.append(f"Nieuwe cliënten wachtten mediaan {_days(m)} dagen op de start van de zorg"
                   + (f" ({_days(prev)} in {year - 1})" if prev is not None else "") + ".")
    return " ".join(out) or f"Voor {name} zijn in {year} geen leveringscijfers te tonen."
