"""iWmo 3.2 XML messages: WMO301 (toewijzing), WMO305 / WMO307 (start / stop zorg), WMO323
(declaratie) and WMO325 (declaratie-antwoord), each into the rows of its dataset.

======  ===========  ======================  ===============================================
code    BerichtCode  dataset                 one row per
======  ===========  ======================  ===============================================
WMO301  414          indicaties              ToegewezenProduct
WMO305  418          zorgstarts              StartProduct
WMO307  420          zorgstops               StopProduct
WMO323  484          declaraties             Prestatie
WMO325  485          declaratie_antwoorden   Prestatie (a prestatie the gemeente answered on)
======  ===========  ======================  ===============================================

The message is recognised by the namespace of its root ``Bericht``; any other namespace or release
(an iWmo 2.x file, a WMO315, a foreign XML) is refused with an error that names the namespace.
Elements are matched by local name in BOTH the message namespace and the basisschema namespace
(children of shared composite types such as ``Product/Categorie`` or ``IngediendBedrag/Bedrag``
are in the basisschema namespace); elements of any other namespace are ignored.

Parsing streams with ``lxml.etree.iterparse`` (no DTDs, no entities, no network): each product
element is cleared once its row is made and earlier siblings are dropped, so memory holds one
client plus the current batch of text rows, never the document. ``source_line`` is the line of
the product's start tag (``ToegewezenProduct`` / ``StartProduct`` / ``StopProduct`` / ``Prestatie``).

Mapping:

* The gemeente (4 digits, CBS code without ``GM``) and the aanbieder (AGB code) are only in the
  header: a message from the gemeente (301, 325) has them as Afzender / Ontvanger, a message from
  the aanbieder (305, 307, 323) the other way round. ``gemeente_code`` = ``GM`` + the 4 digits.
* WMO301: leveringsvorm = ZIN (a toewijzing always goes to an aanbieder; pgb is not exchanged in
  iWmo); volume/eenheid/frequentie from Omvang (every Eenheid and Frequentie of the standard;
  staging converts to hours per week or says why not), budget = Budget (eurocent) in euro,
  categorie = Product/Categorie. A toewijzing without Omvang (budget only) or without Product/Code
  (on category level) is valid and loads. The message carries no address: ``wijk_code`` stays
  empty and staging fills it from the client registration (dataset ``clienten``).
* WMO323: bedrag = IngediendBedrag/Bedrag (eurocent) / 100 in euro, vorig_referentie_nummer from
  ProductReferentie (a credit line names the debet it undoes), product_tarief in euro, and on
  every row the header's TotaalIngediendBedrag (signed: credit negative) as ``declaratie_totaal``
  so staging can check it against the sum of the prestaties (a difference is a finding; the rows
  still load). A prestatie without ProductCategorie breaks the standard: quarantined (rule
  ``categorie``), never taken for hulp bij het huishouden.
* WMO325: one row per listed prestatie with its RetourCodes (space-separated). In iWmo 3.x a
  declaratie-antwoord lists only the prestaties the gemeente did not grant in full; a prestatie
  whose only code is 0200 counts as toegekend.
* A product whose category is present and not ``01`` (hulp bij het huishouden) is not HbH: it goes
  to the quarantine with rule ``categorie`` and a reason, so rows in = loaded + quarantined holds.

Optional XSD validation: when ``HBH_IWMO_XSD_DIR`` names a folder with the official schemas
(``WMO301.xsd``, …, ``basisschema.xsd``), each message is first validated against its schema as a
parsed tree (streaming validation in lxml reports every error on line 0); an invalid message is
refused whole with the real line of each schema error (up to five) and the schema's message.
A message without a schema in that folder (the iWmo 3.2 release has none for WMO325) is read
without validation.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

from lxml import etree

from hbh_monitor.contracts import Contract
from hbh_monitor.readers import Delivery, ReadError, Reject, batches_of

NS_BASIS = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"
NS_MESSAGE = "http://www.istandaarden.nl/iwmo/3_2/{code}/schema"
HBH_CATEGORIE = "01"
MAX_SCHEMA_ERRORS = 5


@dataclass(frozen=True)
class Spec:
    code: str  # WMO301
    berichtcode: str
    dataset: str
    from_gemeente: bool  # the gemeente is the Afzender (301, 325), else the Ontvanger
    header: dict  # path (local names below the root) → key
    client_path: tuple
    client: dict  # path relative to the client → key
    product_path: tuple
    product: dict  # path relative to the product → key
    multi: frozenset = field(default_factory=frozenset)  # product keys that can repeat (joined by spaces)
    categorie_required: bool = False


_HEADER = {("Header", "Afzender"): "afzender", ("Header", "Ontvanger"): "ontvanger",
           ("Header", "BerichtCode"): "berichtcode"}
_PRODUCT = {("Product", "Categorie"): "categorie", ("Product", "Code"): "product_code"}

WMO301 = Spec(
    code="WMO301", berichtcode="414", dataset="indicaties", from_gemeente=True, header=_HEADER,
    client_path=("Client",),
    client={("Bsn",): "bsn", ("Geboortedatum", "Datum"): "geboortedatum", ("Geslacht",): "geslacht"},
    product_path=("Client", "ToegewezenProducten", "ToegewezenProduct"),
    product={("ToewijzingNummer",): "toewijzing_nummer", **_PRODUCT,
             ("Toewijzingsdatum",): "toewijzingsdatum", ("Ingangsdatum",): "ingangsdatum",
             ("Einddatum",): "einddatum", ("RedenWijziging",): "reden_wijziging",
             ("Omvang", "Volume"): "volume", ("Omvang", "Eenheid"): "eenheid",
             ("Omvang", "Frequentie"): "frequentie", ("Budget",): "budget_cent"},
)
_START_STOP = {("ToewijzingNummer",): "toewijzing_nummer", **_PRODUCT, ("Begindatum",): "begindatum",
               ("StatusAanlevering",): "status_aanlevering"}
WMO305 = Spec(
    code="WMO305", berichtcode="418", dataset="zorgstarts", from_gemeente=False, header=_HEADER,
    client_path=("Client",), client={("Bsn",): "bsn"},
    product_path=("Client", "StartProducten", "StartProduct"), product=_START_STOP,
)
WMO307 = Spec(
    code="WMO307", berichtcode="420", dataset="zorgstops", from_gemeente=False, header=_HEADER,
    client_path=("Client",), client={("Bsn",): "bsn"},
    product_path=("Client", "StopProducten", "StopProduct"),
    product={**_START_STOP, ("Einddatum",): "einddatum", ("RedenBeeindiging",): "reden_beeindiging"},
)
_PRESTATIE = {("ProductReferentie", "ReferentieNummer"): "referentie_nummer",
              ("ProductReferentie", "VorigReferentieNummer"): "vorig_referentie_nummer",
              ("ToewijzingNummer",): "toewijzing_nummer", ("ProductCategorie",): "categorie",
              ("ProductCode",): "product_code", ("ProductPeriode", "Begindatum"): "begindatum",
              ("ProductPeriode", "Einddatum"): "einddatum", ("GeleverdVolume",): "geleverd_volume",
              ("Eenheid",): "eenheid", ("ProductTarief",): "tarief_cent",
              ("IngediendBedrag", "Bedrag"): "bedrag_cent", ("IngediendBedrag", "DebetCredit"): "debet_credit"}
WMO323 = Spec(
    code="WMO323", berichtcode="484", dataset="declaraties", from_gemeente=False,
    header={**_HEADER, ("Declaratie", "DeclaratieNummer"): "declaratie_nummer",
            ("Declaratie", "TotaalIngediendBedrag", "TotaalBedrag"): "totaal_cent",
            ("Declaratie", "TotaalIngediendBedrag", "DebetCredit"): "totaal_dc"},
    client_path=("Declaratie", "Clienten", "Client"), client={("Bsn",): "bsn"},
    product_path=("Declaratie", "Clienten", "Client", "Prestaties", "Prestatie"), product=_PRESTATIE,
    categorie_required=True,
)
WMO325 = Spec(
    code="WMO325", berichtcode="485", dataset="declaratie_antwoorden", from_gemeente=True,
    header={**_HEADER, ("DeclaratieAntwoord", "DeclaratieNummer"): "declaratie_nummer",
            ("Header", "DeclaratieIdentificatie", "Identificatie"): "declaratie_identificatie"},
    client_path=("DeclaratieAntwoord", "Clienten", "Client"), client={("Bsn",): "bsn"},
    product_path=("DeclaratieAntwoord", "Clienten", "Client", "Prestaties", "Prestatie"),
    product={**_PRESTATIE, ("RetourCodes", "RetourCode"): "retourcodes"},
    multi=frozenset({"retourcodes"}),
)
SPECS = {NS_MESSAGE.format(code=s.code.lower()): s for s in (WMO301, WMO305, WMO307, WMO323, WMO325)}


def _gemeente(code: str | None) -> str | None:
    """Header gemeente (CBS code without GM, 4 digits) as the contract's GM code."""
    return None if not code else "GM" + code


def _euro(cents: str | None, sign: int = 1) -> str | None:
    """Eurocent integer text → exact euro text ('5000' → '50.00'); anything else fails the gate visibly."""
    if cents is None or cents == "":
        return None
    if re.fullmatch(r"[0-9]+", cents):
        return str((Decimal(cents) * sign).scaleb(-2))
    return f"{cents} (eurocent)"


def _parties(spec: Spec, h: dict) -> tuple[str | None, str | None]:
    """(gemeente_code, aanbieder_agb) from the header."""
    gem, agb = (h.get("afzender"), h.get("ontvanger")) if spec.from_gemeente else (h.get("ontvanger"), h.get("afzender"))
    return _gemeente(gem), agb


def row_301(h: dict, c: dict, p: dict) -> dict:
    gem, agb = _parties(WMO301, h)
    return {
        "bsn": c.get("bsn"), "geboortedatum": c.get("geboortedatum"), "geslacht": c.get("geslacht"),
        "gemeente_code": gem, "toewijzing_nummer": p.get("toewijzing_nummer"),
        "categorie": p.get("categorie"), "product_code": p.get("product_code"), "leveringsvorm": "ZIN",
        "aanbieder_agb": agb, "toewijzingsdatum": p.get("toewijzingsdatum"), "ingangsdatum": p.get("ingangsdatum"),
        "einddatum": p.get("einddatum"), "volume": p.get("volume"), "eenheid": p.get("eenheid"),
        "frequentie": p.get("frequentie"), "budget": _euro(p.get("budget_cent")),
        "reden_wijziging": p.get("reden_wijziging"),
    }


def _row_start_stop(spec: Spec, h: dict, c: dict, p: dict) -> dict:
    gem, agb = _parties(spec, h)
    row = {"bsn": c.get("bsn"), "gemeente_code": gem, "aanbieder_agb": agb,
           "toewijzing_nummer": p.get("toewijzing_nummer"), "product_code": p.get("product_code"),
           "begindatum": p.get("begindatum")}
    if spec is WMO307:
        row.update(einddatum=p.get("einddatum"), reden_beeindiging=p.get("reden_beeindiging"))
    row["status_aanlevering"] = p.get("status_aanlevering")
    return row


def row_305(h: dict, c: dict, p: dict) -> dict:
    return _row_start_stop(WMO305, h, c, p)


def row_307(h: dict, c: dict, p: dict) -> dict:
    return _row_start_stop(WMO307, h, c, p)


def _prestatie(spec: Spec, h: dict, c: dict, p: dict) -> dict:
    gem, agb = _parties(spec, h)
    return {
        "declaratie_nummer": h.get("declaratie_nummer"), "gemeente_code": gem, "aanbieder_agb": agb,
        "bsn": c.get("bsn"), "referentie_nummer": p.get("referentie_nummer"),
        "vorig_referentie_nummer": p.get("vorig_referentie_nummer"),
        "toewijzing_nummer": p.get("toewijzing_nummer"), "product_categorie": p.get("categorie"),
        "product_code": p.get("product_code"), "begindatum": p.get("begindatum"), "einddatum": p.get("einddatum"),
        "geleverd_volume": p.get("geleverd_volume"), "eenheid": p.get("eenheid"),
        "product_tarief": _euro(p.get("tarief_cent")), "bedrag": _euro(p.get("bedrag_cent")),
        "debet_credit": p.get("debet_credit"),
    }


def row_323(h: dict, c: dict, p: dict) -> dict:
    row = _prestatie(WMO323, h, c, p)
    row["declaratie_totaal"] = _euro(h.get("totaal_cent"), -1 if h.get("totaal_dc") == "C" else 1)
    return row


def row_325(h: dict, c: dict, p: dict) -> dict:
    row = _prestatie(WMO325, h, c, p)
    row["declaratie_identificatie"] = h.get("declaratie_identificatie")
    row["retourcodes"] = p.get("retourcodes")
    return row


ROW_BUILDERS = {"WMO301": row_301, "WMO305": row_305, "WMO307": row_307, "WMO323": row_323, "WMO325": row_325}
# the contract columns each message fills (wijk_code is not in a WMO301)
COLUMNS = {code: list(build({}, {}, {}).keys()) for code, build in ROW_BUILDERS.items()}


def _local(tag) -> tuple[str, str]:
    if not isinstance(tag, str):  # comment / processing instruction
        return "", ""
    q = etree.QName(tag)
    return q.namespace or "", q.localname


# libxml2's most common complaints in Dutch; another one is quoted as the XML reader's own words.
_SYNTAX_NL = {
    "Premature end of data": "het bestand houdt midden in een element op",
    "EndTag: '</' not found": "het bestand houdt midden in een element op",
    "Start tag expected": "het begint niet met een XML-element ('<')",
    "Document is empty": "het document is leeg",
    "Opening and ending tag mismatch": "een begin- en eindtag horen niet bij elkaar",
    "Extra content at the end of the document": "na het einde van het bericht staat nog tekst",
    "Input is not proper UTF-8": "de tekens passen niet bij de opgegeven codering",
    "Char 0x0 out of allowed range": "het bestand bevat ongeldige tekens (binair?)",
}


def _syntax_error(exc: etree.XMLSyntaxError, what: str) -> ReadError:
    line = exc.lineno if exc.lineno else (exc.position[0] if getattr(exc, "position", None) else 0)
    msg = (exc.msg or str(exc)).split(", line ")[0]
    dutch = next((nl for en, nl in _SYNTAX_NL.items() if msg.startswith(en)), None)
    return ReadError(f"{what}, regel {line}: {dutch or f'melding van de XML-lezer: {msg}'}")


def _iterparse(path: Path, events=("start", "end")):
    return etree.iterparse(str(path), events=events, resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def _refuse_doctype(elem) -> None:
    info = elem.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise ReadError("XML met DOCTYPE of entiteiten wordt niet gelezen (iWmo-berichten hebben die niet)")


def root_namespace(path: Path) -> tuple[str, str]:
    """(namespace, local name) of the root element, reading only as far as the root tag."""
    ctx = _iterparse(path, events=("start",))
    try:
        for _event, elem in ctx:
            _refuse_doctype(elem)
            return _local(elem.tag)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, "geen goed gevormde XML") from exc
    raise ReadError("geen XML-element gevonden")


def message_spec(namespace: str, local: str) -> Spec:
    """The supported message for a root namespace, or a clear error naming what was found."""
    spec = SPECS.get(namespace)
    if spec is not None and local == "Bericht":
        return spec
    shown = namespace or "(geen namespace)"
    m = re.fullmatch(r"http://www\.istandaarden\.nl/iwmo/([0-9_]+)/(wmo[0-9]+)/schema(?:/.*)?", namespace)
    if m and m.group(1) == "3_2":
        raise ReadError(f"iWmo-bericht {m.group(2).upper()} (namespace {shown}) wordt niet ingelezen; "
                        f"alleen {', '.join(s.code for s in SPECS.values())}")
    if m:
        raise ReadError(f"iWmo-release {m.group(1).replace('_', '.')} (namespace {shown}, bericht "
                        f"{m.group(2).upper()}) wordt niet ondersteund; alleen iWmo 3.2")
    raise ReadError(f"geen iWmo 3.2-bericht: root-element {local} in namespace {shown}")


@cache
def _schema(xsd_dir: str, code: str):
    return etree.XMLSchema(etree.parse(str(Path(xsd_dir) / f"{code}.xsd")))


def schema_errors(path: Path, xsd_dir: str, code: str) -> list[tuple[int, str]]:
    """(line, message) of every schema error of the message against ``<xsd_dir>/<code>.xsd``.

    The message is parsed into a tree first: validating while streaming reports line 0."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, "geen goed gevormde XML") from exc
    schema = _schema(xsd_dir, code)
    if schema.validate(tree):
        return []
    return [(e.line, e.message) for e in schema.error_log]


def validate_xsd(path: Path, code: str) -> None:
    """Validate against the official schema in HBH_IWMO_XSD_DIR (if set)."""
    xsd_dir = os.environ.get("HBH_IWMO_XSD_DIR")
    if not xsd_dir:
        return
    if not (Path(xsd_dir) / "basisschema.xsd").is_file():
        raise ReadError(f"basisschema.xsd niet gevonden in HBH_IWMO_XSD_DIR={xsd_dir}")
    if not (Path(xsd_dir) / f"{code}.xsd").is_file():
        return  # this release of the standard has no schema for the message (WMO325 in iWmo 3.2)
    errors = schema_errors(path, xsd_dir, code)
    if errors:
        shown = "; ".join(f"regel {line}: {msg}" for line, msg in errors[:MAX_SCHEMA_ERRORS])
        more = f" (en nog {len(errors) - MAX_SCHEMA_ERRORS} fouten)" if len(errors) > MAX_SCHEMA_ERRORS else ""
        raise ReadError(f"voldoet niet aan {code}.xsd: {shown}{more}")


def _mask(row: dict) -> str:
    shown = dict(row)
    if shown.get("bsn"):
        shown["bsn"] = "******" + shown["bsn"].strip()[-3:]
    return json.dumps(shown, ensure_ascii=False)


def _reject_reason(spec: Spec, product: dict) -> str | None:
    cat = product.get("categorie")
    if cat in (None, "") and spec.categorie_required:
        return f"productcategorie ontbreekt (verplicht in {spec.code}); niet als hulp bij het huishouden ingelezen"
    if cat not in (None, "", HBH_CATEGORIE):
        return f"productcategorie {cat} is geen hulp bij het huishouden ({HBH_CATEGORIE}); niet ingelezen"
    return None


def _stream(path: Path, spec: Spec, rejects: list[Reject], header: dict | None = None
            ) -> Iterator[tuple[int, list[str | None]]]:
    """(source_line, values in COLUMNS order) per product, streaming with lxml iterparse."""
    ok = {NS_MESSAGE.format(code=spec.code.lower()), NS_BASIS}
    build, columns = ROW_BUILDERS[spec.code], COLUMNS[spec.code]
    np_, nc = len(spec.product_path), len(spec.client_path)
    path_: list[str] = []
    header = {} if header is None else header
    client: dict = {}
    product: dict | None = None
    product_line = 0
    ctx = _iterparse(path)
    try:
        for event, elem in ctx:
            if event == "start":
                ns, local = _local(elem.tag)
                path_.append(local if ns in ok else "\0" + local)
                rel = tuple(path_[1:])
                if len(rel) == nc and rel == spec.client_path:
                    client = {}
                elif len(rel) == np_ and rel == spec.product_path:
                    product, product_line = {}, elem.sourceline
                elif not rel:
                    _refuse_doctype(elem)
                continue
            rel = tuple(path_[1:])
            value = (elem.text or "").strip() if len(elem) == 0 else ""
            if product is not None and rel[:np_] == spec.product_path:
                if len(rel) == np_:
                    row = build(header, client, product)
                    reason = _reject_reason(spec, product)
                    if reason:
                        rejects.append(Reject(product_line, "categorie", reason, _mask(row)))
                    else:
                        yield product_line, [row[c] or None for c in columns]
                    product = None
                    elem.clear(keep_tail=True)
                    parent = elem.getparent()
                    while parent is not None and elem.getprevious() is not None:
                        del parent[0]
                else:
                    key = spec.product.get(rel[np_:])
                    if key and key in spec.multi:
                        product[key] = f"{product[key]} {value}" if product.get(key) else value
                    elif key:
                        product[key] = value
            elif rel[:nc] == spec.client_path and len(rel) > nc:
                key = spec.client.get(rel[nc:])
                if key:
                    client[key] = value
            elif len(rel) == nc and rel == spec.client_path:
                elem.clear(keep_tail=True)
                parent = elem.getparent()
                while parent is not None and elem.getprevious() is not None:
                    del parent[0]
            else:
                key = spec.header.get(rel)
                if key:
                    header[key] = value
            path_.pop()
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, "geen goed gevormde XML (afgebroken of beschadigd?)") from exc
    code = header.get("berichtcode")
    if code and code != spec.berichtcode:
        raise ReadError(f"BerichtCode {code} past niet bij {spec.code} (verwacht {spec.berichtcode})")


def read_iwmo(path: Path, contract: Contract) -> Delivery:
    spec = message_spec(*root_namespace(path))
    if spec.dataset != contract.name:
        raise ReadError(f"{spec.code}-bericht (namespace {NS_MESSAGE.format(code=spec.code.lower())}) hoort bij "
                        f"dataset {spec.dataset}, niet bij {contract.name}")
    validate_xsd(path, spec.code)
    rejects: list[Reject] = []
    columns = [c for c in contract.column_names if c in COLUMNS[spec.code]]
    order = [COLUMNS[spec.code].index(c) for c in columns]

    def rows():
        for line, values in _stream(path, spec, rejects):
            yield line, [values[i] for i in order]

    return Delivery(fmt=f"iwmo-{spec.code.lower()}", columns=columns, batches=batches_of(columns, rows()),
                    rejects=rejects)


def parse_rows(path: Path) -> tuple[str, list[tuple[int, dict]], list[Reject]]:
    """(message code, [(source_line, row dict)], rejects) of a whole message, for tests and tools."""
    spec = message_spec(*root_namespace(path))
    rejects: list[Reject] = []
    cols = COLUMNS[spec.code]
    rows = [(line, dict(zip(cols, values))) for line, values in _stream(path, spec, rejects)]
    return spec.code, rows, rejects
