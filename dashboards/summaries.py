"""The Dutch summary that opens each council page: what changed and what it means, with the figures.

Pure functions of the (already loaded, already protected) mart rows and of what the page passes in, so
tests can check every figure against the marts without a browser (no snapshot, no Streamlit: an
import-linter contract in pyproject.toml holds this). A suppressed (NULL) count never becomes a number:
the sentence then says "afgeschermd" or leaves the comparison out.
"""

from __future__ import annotations

from typing import Any

from dashboards import formatting as nl


def _place(name: str) -> str:
    """"Regio totaal" reads as "de regio" in a sentence."""
    return "de regio" if name == nl.REGIO_NAME else name


def _days(x: float) -> str:
    """A median of days: 7 -> "7", 12.5 -> "12,5"."""
    return nl.fmt_number(x, 0 if float(x).is_integer() else 1)


def _up_down(change: float | None, up: str = "meer", down: str = "minder") -> str:
    if change is None:
        return ""
    return f"{nl.fmt_pct(abs(change))} {up if change >= 0 else down}"


def overzicht(row: dict[str, Any], prev: dict[str, Any], name: str, year: int, *, threshold: int) -> str:
    """Clients, rate and cost of the year against the year before; ``threshold``: the snapshot's suppression
    threshold (a hidden count is "minder dan" it)."""
    name = _place(name)
    clients = row.get("clients")
    if clients is None:
        first = f"In {year} is het aantal cliënten van {name} afgeschermd (minder dan {threshold})."
    else:
        d = nl.change(clients, prev.get("clients")) if not row.get("_hidden") and not prev.get("_hidden") else None
        lower = "ten minste " if row.get("_hidden") else ""
        first = (f"In {year} kregen {lower}{nl.fmt_count(clients)} inwoners van {name} hulp bij het huishouden"
                 + (f", {_up_down(d)} dan in {year - 1}" if d is not None else "")
                 + (f": {nl.fmt_rate(row.get('clients_per_1000'))} per 1.000 inwoners"
                    if row.get("clients_per_1000") is not None else "") + ".")
    cost = row.get("cost_eur")
    if cost is None:
        return first
    dc = nl.change(cost, prev.get("cost_eur"))
    return first + (f" De gedeclareerde kosten waren {nl.fmt_eur(cost)}"
                    + (f", {nl.fmt_pct(dc, signed=True)} t.o.v. {year - 1}" if dc is not None else "") + ".")


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
        out.append(f"In {year} was {nl.fmt_pct(sum(old) / total)} van de cliënten van {name} 75 jaar of ouder "
                   f"({nl.fmt_number(sum(old))} van {nl.fmt_number(total)}).")
    r85, b85 = now.get("85+", {}).get("clients_per_1000"), base.get("85+", {}).get("clients_per_1000")
    if r85 is not None and b85 is not None and year != base_year:
        out.append(f"Van de inwoners van 85+ kregen {nl.fmt_rate(r85)} per 1.000 hulp, tegen {nl.fmt_rate(b85)} "
                   f"in {base_year}: het gebruik per oudere is {'gestegen' if r85 > b85 else 'gedaald'}, "
                   "los van de vergrijzing.")
    return " ".join(out) or f"Voor {name} zijn de aantallen per leeftijd in {year} afgeschermd."


def abonnementstarief(r: dict[str, Any], name: str, base_year: int, year: int) -> str:
    """Total growth since the base year split into demography and extra growth."""
    name = _place(name)
    if r.get("total_growth") is None:
        return f"Voor {name} is de groei {base_year}–{year} afgeschermd (te kleine aantallen)."
    text = (f"Van {base_year} tot {year} groeide het aantal cliënten in {name} met "
            f"{nl.fmt_pct(r['total_growth'], signed=True)}: {nl.fmt_pct(r['demographic_growth'], signed=True)} "
            f"door de bevolking (vooral vergrijzing) en {nl.fmt_pct(r['excess_growth'], signed=True)} extra")
    if r.get("excess_growth_low") is not None and r.get("excess_growth_high") is not None:
        text += (f" (95%-band {nl.fmt_pct(r['excess_growth_low'], signed=True)} tot "
                 f"{nl.fmt_pct(r['excess_growth_high'], signed=True)})")
    text += "."
    lo = r.get("excess_growth_low")
    if lo is not None:
        text += (" Die extra groei is groter dan toeval kan verklaren." if lo > 0
                 else " Die extra groei is niet duidelijk groter dan toeval.")
    return text


def prognose(first: dict[str, Any], last: dict[str, Any], name: str, assumptions: str) -> str:
    """Forecast clients and cost from the first to the last forecast year, and the standard assumptions."""
    name = _place(name)
    dc = nl.change(last["clients"], first["clients"])
    return (f"Volgens het standaardscenario gaat {name} van {nl.fmt_number(first['clients'])} cliënten in "
            f"{first['year']} naar {nl.fmt_number(last['clients'])} in {last['year']} "
            f"({nl.fmt_pct(dc, signed=True)}); de kosten van {nl.fmt_eur(first['cost'])} naar "
            f"{nl.fmt_eur(last['cost'])}. Aannames van het standaardscenario: {assumptions}.")


def levering(delivery: dict[str, Any] | None, budget: dict[str, Any] | None, wait: dict[str, Any] | None,
             wait_prev: dict[str, Any] | None, name: str, year: int) -> str:
    """Delivered share, cost against budget and the median wait of the year."""
    name = _place(name)
    out = []
    if delivery and delivery.get("share_delivered") is not None:
        out.append(f"In {year} is in {name} {nl.fmt_pct(delivery['share_delivered'])} van de geïndiceerde uren "
                   f"zorg in natura geleverd" + (f"; de niet-geleverde uren zouden {nl.fmt_eur(delivery['gap_cost_eur'])} "
                                                 "kosten" if delivery.get("gap_cost_eur") else "") + ".")
    if budget and budget.get("budget_eur") is not None and budget.get("cost_eur") is not None:
        diff = budget["cost_eur"] - budget["budget_eur"]
        out.append(f"De kosten ({nl.fmt_eur(budget['cost_eur'])}) lagen {nl.fmt_eur(abs(diff))} "
                   f"{'boven' if diff > 0 else 'onder'} het budget ({nl.fmt_eur(budget['budget_eur'])}).")
    if wait and wait.get("median_days_to_start") is not None:
        m = wait["median_days_to_start"]
        prev = (wait_prev or {}).get("median_days_to_start")
        out.append(f"Nieuwe cliënten wachtten mediaan {_days(m)} dagen op de start van de zorg"
                   + (f" ({_days(prev)} in {year - 1})" if prev is not None else "") + ".")
    return " ".join(out) or f"Voor {name} zijn in {year} geen leveringscijfers te tonen."


# The four effects of the cost bridge (marts.cost_bridge), as they read in a sentence.
COST_EFFECTS = (("clients_effect_eur", "het aantal cliënten"), ("volume_effect_eur", "de uren per cliënt"),
                ("mix_effect_eur", "de productmix"), ("price_effect_eur", "de tarieven"))


def kosten(bridge: dict[str, Any] | None, tariff: dict[str, Any] | None, contracted: dict[str, Any] | None,
           name: str, year: int) -> str:
    """The cost against the year before with its largest cause (cost bridge), and the tariff per hour at a fixed
    product mix in the year and the one already contracted for a later year (marts.tariffs, product 'alle')."""
    name = _place(name)
    out = []
    if bridge is not None and bridge.get("cost_eur") is not None and bridge.get("cost_before_eur") is not None:
        diff = bridge["cost_eur"] - bridge["cost_before_eur"]
        text = (f"De kosten van {name} gingen van {nl.fmt_eur(bridge['cost_before_eur'])} in {year - 1} naar "
                f"{nl.fmt_eur(bridge['cost_eur'])} in {year} ({nl.signed_difference(diff, nl.fmt_eur)}, "
                f"{nl.fmt_pct(nl.change(bridge['cost_eur'], bridge['cost_before_eur']), signed=True)}).")
        effects = [(k, lab, bridge.get(k)) for k, lab in COST_EFFECTS if bridge.get(k) is not None]
        if effects:
            k, lab, v = max(effects, key=lambda e: abs(e[2]))
            text += f" De grootste oorzaak: {lab} ({nl.signed_difference(v, nl.fmt_eur)})."
        out.append(text)
    elif bridge is not None:
        out.append(f"De kosten van {name} in {year} zijn {nl.HIDDEN_CELL}.")
    if tariff is not None and tariff.get("tariff_per_hour") is not None:
        out.append(f"Het uurtarief bij een vaste productmix was in {year} € {nl.fmt_number(tariff['tariff_per_hour'], 2)}"
                   + (f" ({nl.fmt_pct(tariff['change'], signed=True)})" if tariff.get("change") is not None else "") + ".")
    if contracted is not None and contracted.get("tariff_per_hour") is not None:
        text = (f"Voor {contracted['year']} is al € {nl.fmt_number(contracted['tariff_per_hour'], 2)} per uur "
                f"gecontracteerd ({nl.fmt_pct(contracted['change'], signed=True)}")
        if contracted.get("step") is not None:
            text += f", waarvan {nl.fmt_pct(contracted['step'], signed=True)} bovenop de gewone jaarlijkse stijging"
        out.append(text + ").")
    return " ".join(out) or f"Voor {name} zijn in {year} geen kosten en tarieven te tonen."


def eigen_bijdrage(r: dict[str, Any], name: str, base_year: int) -> str:
    """Growth of clients with a high and a low income since the base year, their difference in percentage points,
    and the share of the year's clients with a middle or high income (who pay more with an income-dependent
    eigen bijdrage). Hidden (NULL) counts leave their part out."""
    name = _place(name)
    year = r["year"]
    out = []
    if r.get("growth_hoog") is not None and r.get("growth_laag") is not None:
        diff = r.get("growth_difference_points")
        out.append(f"Van {base_year} tot {year} groeide het aantal cliënten in {name} met een hoog inkomen met "
                   f"{nl.fmt_pct(r['growth_hoog'], signed=True)}, met een laag inkomen met "
                   f"{nl.fmt_pct(r['growth_laag'], signed=True)}"
                   + (f": {nl.fmt_number(abs(diff), 1)} procentpunt {'meer' if diff >= 0 else 'minder'} groei bij de "
                      "hoge inkomens, voor wie het abonnementstarief de eigen bijdrage het meest verlaagde"
                      if diff is not None else "") + ".")
    else:
        out.append(f"De groei per inkomensklasse van {name} sinds {base_year} is {nl.HIDDEN_CELL}.")
    known = [r.get(f"clients_{k}") for k in ("laag", "midden", "hoog")]
    if all(p is not None for p in known) and sum(known):
        # a hidden number without a registered class is not counted as 0: the share is then of the known classes
        # (NULL without its flag: the registration gives every client a class)
        unknown = r.get("clients_onbekend")
        unknown_hidden = unknown is None and r.get("clients_onbekend_suppressed") is not False
        total = sum(known) + (unknown or 0)
        mh = r["clients_midden"] + r["clients_hoog"]
        out.append(f"In {year} had {nl.fmt_pct(mh / total, 0)} van de cliënten"
                   + (" met een bekende inkomensklasse" if unknown_hidden else "") + " een midden- of hoog inkomen "
                   f"({nl.fmt_number(mh)} van {nl.fmt_number(total)}): de groep die met een inkomensafhankelijke "
                   "eigen bijdrage meer gaat betalen.")
    return " ".join(out)


def _lower_sum(rows: list[dict[str, Any]], col: str) -> tuple[float | None, bool]:
    """Sum of the published values of ``col`` and whether some were hidden (then the sum is a lower bound);
    None when none is published."""
    shown = [r[col] for r in rows if r.get(col) is not None]
    return (sum(shown) if shown else None), len(shown) < len(rows)


def herindicatie(rows: list[dict[str, Any]], name: str, year: int) -> str:
    """Clients in the herindicatie round, minutes per week per client before and after, the yearly cost effect
    and the transition cost (marts.herindicatie_simulation). Hidden cells are left out: totals say "ten minste"."""
    name = _place(name)
    clients, partial = _lower_sum(rows, "clients")
    if not clients:
        return f"De aantallen van de herindicatieronde in {name} zijn {nl.HIDDEN_CELL} (te kleine aantallen)."
    atleast = "ten minste " if partial else ""
    before, _ = _lower_sum(rows, "minutes_per_week_before")
    after, _ = _lower_sum(rows, "minutes_per_week_after")
    effect, _ = _lower_sum(rows, "yearly_cost_effect_eur")
    out = [f"De herindicatieronde naar de nieuwe producten (vanaf {year}) raakt in {name} {atleast}"
           f"{nl.fmt_number(clients)} cliënten. Gemiddeld gaan zij van {nl.fmt_number(before / clients)} naar "
           f"{nl.fmt_number(after / clients)} minuten hulp per week."]
    if effect is not None:
        out.append(f"De jaarlijkse kosten van de geïndiceerde hulp worden daardoor {atleast}{nl.fmt_eur(abs(effect))} "
                   f"{'lager' if effect < 0 else 'hoger'}.")
    transition, partial_t = _lower_sum(rows, "transition_cost_eur")
    if transition is not None:
        out.append(f"De overgangsperiode kost {'ten minste ' if partial_t else ''}{nl.fmt_eur(transition)}.")
    parts = {k: _lower_sum(rows, f"clients_{k}") for k in ("down", "same", "up")}
    if not partial and all(v is not None and not p for v, p in parts.values()):
        out.append(f"{nl.fmt_number(parts['down'][0])} cliënten gaan omlaag, {nl.fmt_number(parts['same'][0])} blijven "
                   f"gelijk en {nl.fmt_number(parts['up'][0])} gaan omhoog.")
    if partial:
        hidden = sum(r.get("clients") is None for r in rows)
        out.append(f"({hidden} van de {len(rows)} groepen per wijk en leeftijd zijn {nl.HIDDEN_CELL}: de totalen zijn "
                   "een ondergrens.)")
    return " ".join(out)


def _cbs_period(period: str | None) -> str:
    """StatLine's period code in words: 2024JJ00 -> "heel 2024", 2024HJ01 -> "eerste halfjaar 2024"."""
    if not period or len(period) != 8:
        return period or ""
    kind = {"JJ00": "heel", "HJ01": "eerste halfjaar", "HJ02": "tweede halfjaar"}.get(period[4:])
    return f"{kind} {period[:4]}" if kind else period


def cbs(comp: dict[str, Any] | None, bench: dict[str, Any] | None, name: str, year: int) -> str:
    """Our clients next to CBS's count for the gemeente as a whole, and CBS's rate against gemeenten of the same
    size class (marts.cbs_comparison wijk 'alle', marts.cbs_benchmark)."""
    out = []
    if comp is not None:
        ours, theirs = comp.get("clients"), comp.get("cbs_clients")
        if ours is not None and theirs is not None:
            d = comp.get("cbs_difference")
            out.append(f"In {year} telden wij in {name} {nl.fmt_number(ours)} cliënten met hulp bij het huishouden, het "
                       f"CBS {nl.fmt_number(theirs)} ({_cbs_period(comp.get('cbs_period'))})"
                       + (f": {nl.fmt_number(abs(d))} {'meer' if d >= 0 else 'minder'} bij ons"
                          + (f" ({nl.fmt_pct(abs(comp['cbs_difference_pct']))})"
                             if comp.get("cbs_difference_pct") is not None else "")
                          if d is not None else "")
                       + (f". Reden van het verschil: {comp['cbs_gap_reason']}" if comp.get("cbs_gap_reason") else "")
                       + ".")
        else:
            out.append(f"In {year} is het aantal cliënten van {name} bij ons of bij het CBS {nl.HIDDEN_CELL}.")
    if bench is not None and bench.get("cbs_clients_per_1000") is not None:
        out.append(f"Volgens het CBS kregen {nl.fmt_rate(bench['cbs_clients_per_1000'])} per 1.000 inwoners hulp"
                   + (f": {bench['cbs_sentence']}" if bench.get("cbs_sentence") else "")
                   + (f" ({bench['peer_group']})" if bench.get("peer_group") else "") + ".")
    return " ".join(out) or f"Voor {name} zijn er in {year} geen CBS-cijfers om mee te vergelijken."


def wijkgericht(rows: list[dict[str, Any]], name: str, year: int) -> str:
    """Clients in zorg in natura over the wijken, the share of the largest aanbieder per wijk, the concentration
    (HHI) and the clients with a new aanbieder; rows of marts.wijk_concentration for the year, with the figures of
    a wijk whose count is hidden already hidden (as on the page)."""
    name = _place(name)
    if not rows:
        return f"Voor {name} zijn er in {year} geen cijfers per wijk."
    clients, partial = _lower_sum(rows, "zin_clients")
    wijken = f"{len(rows)} {'wijk' if len(rows) == 1 else 'wijken'}"
    out = [f"In {year} is het aantal cliënten met zorg in natura in {name} ({wijken}) {nl.HIDDEN_CELL}."
           if clients is None else
           f"In {year} kregen in {name} {'ten minste ' if partial else ''}{nl.fmt_number(clients)} cliënten zorg in "
           f"natura, verdeeld over {wijken}."]
    shares = [r for r in rows if r.get("main_market_share") is not None]
    if shares:
        top = max(shares, key=lambda r: r["main_market_share"])
        med = sorted(r["main_market_share"] for r in shares)
        mid = (med[(len(med) - 1) // 2] + med[len(med) // 2]) / 2
        out.append(f"De grootste aanbieder van een wijk deed mediaan {nl.fmt_pct(mid)} van de uren; het meest in "
                   f"{top['wijk_name']}: {top['main_aanbieder_name']} met {nl.fmt_pct(top['main_market_share'])}.")
    hhi = sorted(r["hhi"] for r in rows if r.get("hhi") is not None)
    if hhi:
        out.append(f"De concentratie (HHI, 1 = één aanbieder doet alles) is mediaan "
                   f"{nl.fmt_number((hhi[(len(hhi) - 1) // 2] + hhi[len(hhi) // 2]) / 2, 2)} over "
                   f"{len(hhi)} {'wijk' if len(hhi) == 1 else 'wijken'} waar die getoond mag worden.")
    switched, partial_s = _lower_sum(rows, "switched_clients")
    if switched is not None:
        out.append(f"{'Ten minste ' if partial_s else ''}{nl.fmt_number(switched)} cliënten kregen een nieuwe aanbieder.")
    else:
        out.append(f"Het aantal cliënten met een nieuwe aanbieder is {nl.HIDDEN_CELL}.")
    return " ".join(out)


def prognoseband(rows: list[dict[str, Any]], name: str) -> str:
    """The forecast clients of the last forecast year and the cost of the first with their band, and the cost
    against the budget (marts.forecast_bands of one level / gemeente)."""
    name = _place(name)
    by = {(r["measure"], r["year"]): r for r in rows}
    years = sorted({r["year"] for r in rows})
    if not years:
        return f"Voor {name} is geen prognose gepubliceerd."
    out = []
    pct = nl.fmt_pct(rows[0]["coverage"], 0)
    cl = by.get(("clients", years[-1]))
    if cl:
        out.append(f"Volgens het standaardscenario heeft {name} in {years[-1]} {nl.fmt_number(cl['forecast'])} cliënten; "
                   f"met {pct} kans tussen {nl.fmt_number(cl['lower'])} en {nl.fmt_number(cl['upper'])}.")
    co = by.get(("cost_eur", years[0]))
    if co:
        text = (f"De kosten in {years[0]}: {nl.fmt_eur(co['forecast'])} (band {nl.fmt_eur(co['lower'])} tot "
                f"{nl.fmt_eur(co['upper'])})")
        b = co.get("budget_eur")
        if b is not None:
            where = ("de hele band ligt boven" if co["lower"] > b else "de hele band ligt onder" if co["upper"] < b
                     else "boven" if co["forecast"] > b else "onder")
            text += f", {'de prognose ligt ' if where in ('boven', 'onder') else ''}{where} het budget van {nl.fmt_eur(b)}"
        out.append(text + ".")
    return " ".join(out)


def without_hours(values: list[Any], name: str, year: int) -> str:
    """How many clients have a toewijzing without hours (marts.gemeente_year.clients_without_hours of the gemeente,
    or of every gemeente for the regio) and that the hour figures leave them out. Hidden counts are left out of a
    regio sum (then "ten minste"); when all are hidden the sentence says so."""
    name = _place(name)
    what = ("een toewijzing zonder uren per week (in euro's of stuks, alleen een budget, of op categorieniveau): zij "
            "tellen mee als cliënt en in de kosten, maar de uren laten hen buiten beschouwing")
    n, partial = _lower_sum([{"v": v} for v in values], "v")
    if n is None:
        return f"Het aantal cliënten van {name} met {what.split(':')[0]} is in {year} {nl.HIDDEN_CELL}; de uren laten " \
               "die cliënten buiten beschouwing."
    return f"In {year} hadden {'ten minste ' if partial else ''}{nl.fmt_number(n)} cliënten van {name} {what}."


def eigen_bijdrage_scenario(r: dict[str, Any], name: str) -> str:
    """Without income classes per client: the clients' income distribution (CBS or the registration) and the share
    of the extra growth the Prognose takes to disappear (marts.eigen_bijdrage_scenario, one level's row)."""
    name = _place(name)
    parts = [r.get(f"clients_{k}") for k in ("laag", "midden", "hoog")]
    source = "de cliëntregistratie" if r.get("distribution_source") == "cliëntregistratie" else "het CBS"
    out = []
    if all(p is not None for p in parts) and sum(parts):
        mh = r["clients_midden"] + r["clients_hoog"]
        out.append(f"Volgens {source} had in {r['year']} {nl.fmt_pct(mh / sum(parts), 0)} van de cliënten van {name} een "
                   f"midden- of hoog inkomen ({nl.fmt_number(mh)} van {nl.fmt_number(sum(parts))}): de groep die met een "
                   "inkomensafhankelijke eigen bijdrage meer gaat betalen.")
    else:
        out.append(f"De inkomensverdeling van de cliënten van {name} is {nl.HIDDEN_CELL} of onbekend.")
    if r.get("excess_removed_share") is not None:
        out.append(f"De Prognose rekent daarom standaard met {nl.fmt_pct(r['excess_removed_share'])} minder extra groei "
                   "vanaf 2027.")
    return " ".join(out)
