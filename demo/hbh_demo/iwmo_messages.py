"""iWmo 3.2 messages as text, one element a line: WMO301 (toewijzing), WMO305/WMO307 (start/stop zorg),
WMO323 (declaratie) and WMO325 (declaratie-antwoord), from rows of the CSV exports (csv_rows)."""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from hbh_demo.csv_rows import iso_date, parse_date, parse_decimal, parse_int

NS_BASIS = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"


def _el(tag: str, value, ns: str) -> str:
    return f"<{ns}:{tag}>{escape(str(value))}</{ns}:{tag}>"


def _header(ns: str, code: str, afzender: str, ontvanger: str, ident: str, dagtekening: str) -> list[str]:
    return [
        f"<{ns}:Header>",
        _el("BerichtCode", code, ns), _el("BerichtVersie", 3, ns), _el("BerichtSubversie", 2, ns),
        _el("Afzender", afzender, ns), _el("Ontvanger", ontvanger, ns),
        f"<{ns}:BerichtIdentificatie>", _el("Identificatie", ident, "iwmo"), _el("Dagtekening", dagtekening, "iwmo"),
        f"</{ns}:BerichtIdentificatie>",
        f"<{ns}:XsdVersie>", _el("BasisschemaXsdVersie", "1.0.0", "iwmo"), _el("BerichtXsdVersie", "1.0.0", "iwmo"),
        f"</{ns}:XsdVersie>",
        f"</{ns}:Header>",
    ]


def _root(ns: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{ns}:Bericht xmlns:iwmo="{NS_BASIS}" '
            f'xmlns:{ns}="http://www.istandaarden.nl/iwmo/3_2/{ns}/schema">')


def wmo301_message(rows: list[dict], entry: dict, ident: str) -> str:
    """One WMO301 (one client, one aanbieder, all their toegewezen producten), one element a line."""
    first = rows[0]
    ns = "wmo301"
    dag = max((iso_date(r["toewijzingsdatum"], entry) for r in rows if parse_date(r["toewijzingsdatum"] or "", entry)),
              default="2000-01-01")
    out = [_root(ns)]
    out += _header(ns, 414, first["gemeente_code"][2:], first["aanbieder_agb"] or "", ident, dag)
    out += [f"<{ns}:Client>", _el("Bsn", first["bsn"], ns),
            f"<{ns}:Geboortedatum>", _el("Datum", iso_date(first["geboortedatum"], entry), "iwmo"), f"</{ns}:Geboortedatum>",
            _el("Geslacht", first["geslacht"], ns),
            f"<{ns}:Naam>", "<iwmo:Geslachtsnaam>", _el("Achternaam", "Demo", "iwmo"), "</iwmo:Geslachtsnaam>",
            _el("NaamGebruik", 1, "iwmo"), f"</{ns}:Naam>",
            f"<{ns}:Contactgegevens>", f"<{ns}:Contact>", _el("Soort", "01", ns), f"</{ns}:Contact>",
            f"</{ns}:Contactgegevens>",
            f"<{ns}:ToegewezenProducten>"]
    for r in rows:
        code = [_el("Code", r["product_code"], "iwmo")] if r.get("product_code") else []  # none: category level
        out += [f"<{ns}:ToegewezenProduct>", _el("ToewijzingNummer", r["toewijzing_nummer"], ns),
                f"<{ns}:Product>", _el("Categorie", "01", "iwmo"), *code, f"</{ns}:Product>",
                _el("Toewijzingsdatum", iso_date(r["toewijzingsdatum"], entry), ns), _el("Toewijzingstijd", "12:00:00", ns),
                _el("Ingangsdatum", iso_date(r["ingangsdatum"], entry), ns)]
        if r.get("einddatum"):
            out.append(_el("Einddatum", iso_date(r["einddatum"], entry), ns))
        if r.get("reden_wijziging"):
            out.append(_el("RedenWijziging", r["reden_wijziging"], ns))
        volume, eenheid, frequentie = omvang_variant(r, entry)
        if volume or eenheid or frequentie:  # no Omvang at all: a budget-only toewijzing
            out += [f"<{ns}:Omvang>", _el("Volume", volume, "iwmo"), _el("Eenheid", eenheid, "iwmo"),
                    _el("Frequentie", frequentie, "iwmo"), f"</{ns}:Omvang>"]
        budget = parse_decimal(r.get("budget"))
        if budget is not None:  # LDT_Budget: eurocent
            out.append(_el("Budget", int((budget * 100).to_integral_value()), ns))
        out.append(f"</{ns}:ToegewezenProduct>")
    out += [f"</{ns}:ToegewezenProducten>", f"</{ns}:Client>", f"</{ns}:Bericht>", ""]
    return "\n".join(out)


WEEKLY_PRODUCTS = ("01A01", "01A03")  # help every week (frequentie_weken 1 in the demo catalogue)


def omvang_variant(r: dict, entry: dict) -> tuple[str, str, str]:
    """The Omvang of a WMO301 product: the registration's minutes per week, written in one of the other
    forms iWmo 3.2 allows when that form holds exactly the same hours per week (so the marts stay equal):
    by ToewijzingNummer mod 5: 0 minuten per week, 1 uren per week, 2 minuten per dag, 3 minuten per
    maand (× 52 / 12), 4 minuten totaal binnen de geldigheidsduur (× weeks of validity). Products given
    every other week keep their per-week form (its volume is per two weeks)."""
    volume, eenheid, frequentie = r["volume"], r["eenheid"], r["frequentie"]
    v = parse_int(volume)
    if v is None or v == 0 or (eenheid, frequentie) != ("01", "2") or r.get("product_code") not in WEEKLY_PRODUCTS:
        return volume, eenheid, frequentie
    kind = (parse_int(r.get("toewijzing_nummer")) or 0) % 5
    if kind == 1 and v % 60 == 0:
        return str(v // 60), "04", "2"
    if kind == 2 and v % 7 == 0:
        return str(v // 7), "01", "1"
    if kind == 3 and v % 3 == 0:
        return str(v * 13 // 3), "01", "4"
    start, end = parse_date(r.get("ingangsdatum") or "", entry), parse_date(r.get("einddatum") or "", entry)
    if kind == 4 and start and end and end >= start and ((end - start).days + 1) % 7 == 0:
        return str(v * ((end - start).days + 1) // 7), "01", "6"
    return volume, eenheid, frequentie


def cents(r: dict) -> int:
    return int((parse_decimal(r["bedrag"]) * 100).to_integral_value())


def wmo323_message(rows: list[dict], entry: dict, ident: str, month: str) -> str:
    """One WMO323: one aanbieder, one gemeente, one declaration month; clients in row order."""
    first = rows[0]
    ns = "wmo323"
    y, m = int(month[:4]), int(month[4:])
    begin = dt.date(y, m, 1)
    end = (dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1))
    dag = (end + dt.timedelta(days=6)).isoformat()
    total = sum(cents(r) * (-1 if r["debet_credit"] == "C" else 1) for r in rows)
    out = [_root(ns)]
    out += _header(ns, 484, first["aanbieder_agb"], first["gemeente_code"][2:], ident, dag)
    # the iWmo DeclaratieNummer is alphanumeric only: D202401-1-01 → D202401101 (still unique)
    nummer = "".join(ch for ch in first["declaratie_nummer"] if ch.isalnum())
    out += [f"<{ns}:Declaratie>", _el("DeclaratieNummer", nummer, ns),
            f"<{ns}:DeclaratiePeriode>", _el("Begindatum", begin.isoformat(), "iwmo"),
            _el("Einddatum", end.isoformat(), "iwmo"), f"</{ns}:DeclaratiePeriode>",
            _el("DeclaratieDagtekening", dag, ns),
            f"<{ns}:TotaalIngediendBedrag>", _el("TotaalBedrag", abs(total), "iwmo"),
            _el("DebetCredit", "C" if total < 0 else "D", "iwmo"), f"</{ns}:TotaalIngediendBedrag>",
            f"<{ns}:Clienten>"]
    current = None
    for r in rows:
        if r["bsn"] != current:
            if current is not None:
                out += [f"</{ns}:Prestaties>", f"</{ns}:Client>"]
            out += [f"<{ns}:Client>", _el("Bsn", r["bsn"], ns), f"<{ns}:Prestaties>"]
            current = r["bsn"]
        vorig = [_el("VorigReferentieNummer", r["_vorig"], "iwmo")] if r.get("_vorig") else []
        out += [f"<{ns}:Prestatie>", f"<{ns}:ProductReferentie>", _el("ReferentieNummer", r["referentie_nummer"], "iwmo"),
                *vorig, f"</{ns}:ProductReferentie>", _el("ToewijzingNummer", r["toewijzing_nummer"], ns),
                _el("ProductCategorie", "01", ns), _el("ProductCode", r["product_code"], ns),
                f"<{ns}:ProductPeriode>", _el("Begindatum", iso_date(r["begindatum"], entry), "iwmo"),
                _el("Einddatum", iso_date(r["einddatum"], entry), "iwmo"), f"</{ns}:ProductPeriode>",
                _el("GeleverdVolume", r["geleverd_volume"], ns), _el("Eenheid", r["eenheid"], ns),
                f"<{ns}:IngediendBedrag>", _el("Bedrag", cents(r), "iwmo"),
                _el("DebetCredit", r["debet_credit"], "iwmo"), f"</{ns}:IngediendBedrag>", f"</{ns}:Prestatie>"]
    if current is not None:
        out += [f"</{ns}:Prestaties>", f"</{ns}:Client>"]
    out += [f"</{ns}:Clienten>", f"</{ns}:Declaratie>", f"</{ns}:Bericht>", ""]
    return "\n".join(out)


def wmo325_message(rows: list[dict], codes: dict[int, tuple], agb: str, gm: str, month: str, nummer: str) -> str:
    """WMO325 (as the official iWmo 3.2 example): header with the DeclaratieIdentificatie, then per client
    the prestaties not granted, each with its RetourCodes."""
    ns = "wmo325"
    y, m = int(month[:4]), int(month[4:])
    dag = (dt.date(y + m // 12, m % 12 + 1, 1) + dt.timedelta(days=14)).isoformat()
    total = sum(cents(r) * (-1 if r["debet_credit"] == "C" else 1) for r in rows)
    granted = total - sum(cents(rows[i]) for i in codes)
    out = [_root(ns)]
    head = _header(ns, 485, gm[2:], agb, f"{month}{gm[2:]}A", dag)
    out += head[:-1] + [f"<{ns}:DeclaratieIdentificatie>", _el("Identificatie", f"{month}{gm[2:]}", "iwmo"),
                        _el("Dagtekening", dag, "iwmo"), f"</{ns}:DeclaratieIdentificatie>",
                        _el("XsltVersie", "1.0.0", ns),
                        f"<{ns}:XsdVersieDeclaratie>", _el("BasisschemaXsdVersie", "1.0.0", "iwmo"),
                        _el("BerichtXsdVersie", "1.0.0", "iwmo"), f"</{ns}:XsdVersieDeclaratie>",
                        f"<{ns}:RetourCodes>", _el("RetourCode", "0200", ns), f"</{ns}:RetourCodes>", head[-1]]
    out += [f"<{ns}:DeclaratieAntwoord>", _el("DeclaratieNummer", nummer, ns),
            f"<{ns}:TotaalIngediendBedrag>", _el("TotaalBedrag", abs(total), "iwmo"),
            _el("DebetCredit", "C" if total < 0 else "D", "iwmo"), f"</{ns}:TotaalIngediendBedrag>",
            f"<{ns}:TotaalToegekendBedrag>", _el("TotaalBedrag", abs(granted), "iwmo"),
            _el("DebetCredit", "C" if granted < 0 else "D", "iwmo"), f"</{ns}:TotaalToegekendBedrag>",
            f"<{ns}:Clienten>"]
    by_client: dict[str, list[int]] = {}
    for i in sorted(codes):
        by_client.setdefault(rows[i]["bsn"], []).append(i)
    for bsn, idx in by_client.items():
        out += [f"<{ns}:Client>", _el("Bsn", bsn, ns), f"<{ns}:Prestaties>"]
        for i in idx:
            r = rows[i]
            out += [f"<{ns}:Prestatie>", f"<{ns}:ProductReferentie>",
                    _el("ReferentieNummer", r["referentie_nummer"], "iwmo"), f"</{ns}:ProductReferentie>",
                    _el("ToewijzingNummer", r["toewijzing_nummer"], ns), _el("ProductCategorie", "01", ns),
                    _el("ProductCode", r["product_code"], ns), f"<{ns}:ProductPeriode>",
                    _el("Begindatum", r["_begin"], "iwmo"), _el("Einddatum", r["_end"], "iwmo"),
                    f"</{ns}:ProductPeriode>", _el("GeleverdVolume", r["geleverd_volume"], ns),
                    _el("Eenheid", r["eenheid"], ns), f"<{ns}:IngediendBedrag>", _el("Bedrag", cents(r), "iwmo"),
                    _el("DebetCredit", r["debet_credit"], "iwmo"), f"</{ns}:IngediendBedrag>",
                    f"<{ns}:RetourCodes>", *[_el("RetourCode", c, ns) for c in codes[i]], f"</{ns}:RetourCodes>",
                    f"</{ns}:Prestatie>"]
        out += [f"</{ns}:Prestaties>", f"<{ns}:RetourCodes>", _el("RetourCode", "0200", ns), f"</{ns}:RetourCodes>",
                f"</{ns}:Client>"]
    out += [f"</{ns}:Clienten>", f"<{ns}:RetourCodes>", _el("RetourCode", "0200", ns), f"</{ns}:RetourCodes>",
            f"</{ns}:DeclaratieAntwoord>", f"</{ns}:Bericht>", ""]
    return "\n".join(out)


def start_stop_message(rows: list[dict], entry: dict, stop: bool, person: tuple[str, str], ident: str) -> str:
    """One WMO305 (start zorg) or WMO307 (stop zorg): one client, one aanbieder, its products."""
    ns, code, item = ("wmo307", 420, "StopProduct") if stop else ("wmo305", 418, "StartProduct")
    first = rows[0]
    dates = [iso_date(r["einddatum" if stop else "begindatum"], entry) for r in rows]
    dag = (dt.date.fromisoformat(max(dates)) + dt.timedelta(days=3)).isoformat()
    out = [_root(ns)]
    out += _header(ns, code, first["aanbieder_agb"], first["gemeente_code"][2:], ident, dag)
    out += [f"<{ns}:Client>", _el("Bsn", first["bsn"], ns),
            f"<{ns}:Geboortedatum>", _el("Datum", person[0], "iwmo"), f"</{ns}:Geboortedatum>",
            _el("Geslacht", person[1], ns),
            f"<{ns}:Naam>", "<iwmo:Geslachtsnaam>", _el("Achternaam", "Demo", "iwmo"), "</iwmo:Geslachtsnaam>",
            f"</{ns}:Naam>", f"<{ns}:{item}en>"]
    for r in rows:
        out += [f"<{ns}:{item}>", _el("ToewijzingNummer", r["toewijzing_nummer"], ns),
                f"<{ns}:Product>", _el("Categorie", "01", "iwmo"), _el("Code", r["product_code"], "iwmo"), f"</{ns}:Product>",
                _el("Begindatum", iso_date(r["begindatum"], entry), ns)]
        if stop:
            out += [_el("RedenBeeindiging", r["reden_beeindiging"], ns), _el("Einddatum", iso_date(r["einddatum"], entry), ns)]
        out += [_el("StatusAanlevering", r.get("status_aanlevering") or "1", ns), f"</{ns}:{item}>"]
    out += [f"</{ns}:{item}en>", f"</{ns}:Client>", f"</{ns}:Bericht>", ""]
    return "\n".join(out)
