"""iWmo 3.2 XML messages: WMO301 (toewijzing → indicaties) and WMO323 (declaratie → declaraties).

The message is recognised by the namespace of its root ``Bericht``; any other namespace or release
(an iWmo 2.x file, a WMO305, a foreign XML) is refused with an error that names the namespace.
Elements are matched by local name in BOTH the message namespace and the basisschema namespace
(children of shared composite types such as ``Product/Categorie`` or ``IngediendBedrag/Bedrag``
are in the basisschema namespace); elements of any other namespace are ignored.

Parsing streams with the standard library's expat parser (no new dependency, no DTDs or entities
allowed): memory holds one product at a time plus the current batch of text rows, never the
document. ``source_line`` is the line of the ``ToegewezenProduct`` / ``Prestatie`` start tag.

Mapping (one row per ToegewezenProduct / Prestatie):

* WMO301: gemeente_code = 'GM' + Header/Afzender, aanbieder_agb = Header/Ontvanger,
  leveringsvorm = ZIN (a toewijzing always goes to an aanbieder; pgb is not exchanged in iWmo),
  volume/eenheid/frequentie from Omvang, reden_wijziging from RedenWijziging (where the contract
  has that column). The message carries no address: ``wijk_code`` stays
  empty and staging fills it from the client registration (dataset ``clienten``).
* WMO323: gemeente_code = 'GM' + Header/Ontvanger, aanbieder_agb = Header/Afzender,
  bedrag = IngediendBedrag/Bedrag (eurocent) / 100 in euro, debet_credit from IngediendBedrag.
* A product whose category (Product/Categorie, ProductCategorie) is present and not ``01``
  (hulp bij het huishouden) is not HbH: it goes to the quarantine with rule ``categorie`` and a
  reason, so it is visible and rows in = loaded + quarantined holds. ProductTarief is not kept.

Optional XSD validation: when ``HBH_IWMO_XSD_DIR`` names a folder with the official schemas
(``WMO301.xsd``, ``WMO323.xsd``, ``basisschema.xsd``), each message is first validated against
them, streaming, with lxml (which must then be installed); an invalid message is refused whole
with the line and the schema's message.
"""

from __future__ import annotations

import json
import os
import re
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from hbh_monitor.contracts import Contract
from hbh_monitor.readers import Delivery, ReadError, Reject, batches_of

NS_BASIS = "http://www.istandaarden.nl/iwmo/3_2/basisschema/schema"
NS_MESSAGE = "http://www.istandaarden.nl/iwmo/3_2/{code}/schema"
CHUNK = 1 << 16
HBH_CATEGORIE = "01"


@dataclass(frozen=True)
class Spec:
    code: str  # WMO301
    berichtcode: str
    dataset: str
    header: dict  # path (local names below the root) → key
    client_path: tuple
    client: dict  # path relative to the client → key
    product_path: tuple
    product: dict  # path relative to the product → key


WMO301 = Spec(
    code="WMO301", berichtcode="414", dataset="indicaties",
    header={("Header", "Afzender"): "afzender", ("Header", "Ontvanger"): "ontvanger",
            ("Header", "BerichtCode"): "berichtcode"},
    client_path=("Client",),
    client={("Bsn",): "bsn", ("Geboortedatum", "Datum"): "geboortedatum", ("Geslacht",): "geslacht"},
    product_path=("Client", "ToegewezenProducten", "ToegewezenProduct"),
    product={("ToewijzingNummer",): "toewijzing_nummer", ("Product", "Categorie"): "categorie",
             ("Product", "Code"): "product_code", ("Toewijzingsdatum",): "toewijzingsdatum",
             ("Ingangsdatum",): "ingangsdatum", ("Einddatum",): "einddatum",
             ("RedenWijziging",): "reden_wijziging", ("Omvang", "Volume"): "volume", ("Omvang", "Eenheid"): "eenheid",
             ("Omvang", "Frequentie"): "frequentie"},
)
WMO323 = Spec(
    code="WMO323", berichtcode="484", dataset="declaraties",
    header={("Header", "Afzender"): "afzender", ("Header", "Ontvanger"): "ontvanger",
            ("Header", "BerichtCode"): "berichtcode",
            ("Declaratie", "DeclaratieNummer"): "declaratie_nummer"},
    client_path=("Declaratie", "Clienten", "Client"),
    client={("Bsn",): "bsn"},
    product_path=("Declaratie", "Clienten", "Client", "Prestaties", "Prestatie"),
    product={("ProductReferentie", "ReferentieNummer"): "referentie_nummer",
             ("ToewijzingNummer",): "toewijzing_nummer", ("ProductCategorie",): "categorie",
             ("ProductCode",): "product_code", ("ProductPeriode", "Begindatum"): "begindatum",
             ("ProductPeriode", "Einddatum"): "einddatum", ("GeleverdVolume",): "geleverd_volume",
             ("Eenheid",): "eenheid", ("IngediendBedrag", "Bedrag"): "bedrag_cent",
             ("IngediendBedrag", "DebetCredit"): "debet_credit"},
)
SPECS = {NS_MESSAGE.format(code=s.code.lower()): s for s in (WMO301, WMO323)}


def _gemeente(code: str | None) -> str | None:
    """Header gemeente (CBS code without GM, 4 digits) as the contract's GM code."""
    return None if not code else "GM" + code


def _euro(cents: str | None) -> str | None:
    """Eurocent integer text → euro text ('5000' → '50.00'); anything else fails the gate visibly."""
    if cents is None or cents == "":
        return None
    if re.fullmatch(r"[0-9]+", cents):
        return str(Decimal(cents).scaleb(-2))
    return f"{cents} (eurocent)"


def row_301(h: dict, c: dict, p: dict) -> dict:
    return {
        "bsn": c.get("bsn"), "geboortedatum": c.get("geboortedatum"), "geslacht": c.get("geslacht"),
        "gemeente_code": _gemeente(h.get("afzender")), "toewijzing_nummer": p.get("toewijzing_nummer"),
        "product_code": p.get("product_code"), "leveringsvorm": "ZIN", "aanbieder_agb": h.get("ontvanger"),
        "toewijzingsdatum": p.get("toewijzingsdatum"), "ingangsdatum": p.get("ingangsdatum"),
        "einddatum": p.get("einddatum"), "volume": p.get("volume"), "eenheid": p.get("eenheid"),
        "frequentie": p.get("frequentie"), "reden_wijziging": p.get("reden_wijziging"),
    }


def row_323(h: dict, c: dict, p: dict) -> dict:
    return {
        "declaratie_nummer": h.get("declaratie_nummer"), "gemeente_code": _gemeente(h.get("ontvanger")),
        "aanbieder_agb": h.get("afzender"), "bsn": c.get("bsn"), "referentie_nummer": p.get("referentie_nummer"),
        "toewijzing_nummer": p.get("toewijzing_nummer"), "product_code": p.get("product_code"),
        "begindatum": p.get("begindatum"), "einddatum": p.get("einddatum"),
        "geleverd_volume": p.get("geleverd_volume"), "eenheid": p.get("eenheid"),
        "bedrag": _euro(p.get("bedrag_cent")), "debet_credit": p.get("debet_credit"),
    }


ROW_BUILDERS = {"WMO301": row_301, "WMO323": row_323}
# the contract columns each message fills (wijk_code is not in a WMO301)
COLUMNS = {code: list(build({}, {}, {}).keys()) for code, build in ROW_BUILDERS.items()}


class _Stop(Exception):
    pass


def _new_parser() -> xml.parsers.expat.XMLParserType:
    p = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    p.buffer_text = True

    def no_doctype(*_args):
        raise ReadError("XML met DOCTYPE of entiteiten wordt niet gelezen (iWmo-berichten hebben die niet)")

    p.StartDoctypeDeclHandler = no_doctype
    p.EntityDeclHandler = no_doctype
    return p


def _split(name: str) -> tuple[str, str]:
    ns, _, local = name.rpartition(" ")
    return ns, local


def root_namespace(path: Path) -> tuple[str, str]:
    """(namespace, local name) of the root element, reading only as far as the root tag."""
    p = _new_parser()
    found: list[tuple[str, str]] = []

    def start(name, _attrs):
        found.append(_split(name))
        raise _Stop

    p.StartElementHandler = start
    try:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                p.Parse(chunk, False)
            p.Parse(b"", True)
    except _Stop:
        return found[0]
    except xml.parsers.expat.ExpatError as exc:
        raise ReadError(f"geen goed gevormde XML, regel {exc.lineno}: {xml.parsers.expat.ErrorString(exc.code)}") from exc
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
                        "alleen WMO301 (toewijzing) en WMO323 (declaratie)")
    if m:
        raise ReadError(f"iWmo-release {m.group(1).replace('_', '.')} (namespace {shown}, bericht "
                        f"{m.group(2).upper()}) wordt niet ondersteund; alleen iWmo 3.2")
    raise ReadError(f"geen iWmo 3.2-bericht: root-element {local} in namespace {shown}")


@cache
def _schema(xsd_dir: str, code: str):
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(Path(xsd_dir) / f"{code}.xsd")))


def validate_xsd(path: Path, code: str) -> None:
    """Validate against the official schema in HBH_IWMO_XSD_DIR (if set), streaming with lxml."""
    xsd_dir = os.environ.get("HBH_IWMO_XSD_DIR")
    if not xsd_dir:
        return
    try:
        from lxml import etree
    except ImportError as exc:
        raise ReadError("XSD-validatie (HBH_IWMO_XSD_DIR is gezet) vraagt het pakket lxml") from exc
    if not (Path(xsd_dir) / f"{code}.xsd").is_file():
        raise ReadError(f"schema {code}.xsd niet gevonden in HBH_IWMO_XSD_DIR={xsd_dir}")
    try:
        for _event, elem in etree.iterparse(str(path), events=("end",), schema=_schema(xsd_dir, code),
                                            resolve_entities=False, no_network=True, huge_tree=False):
            elem.clear()
    except etree.XMLSyntaxError as exc:
        raise ReadError(f"voldoet niet aan {code}.xsd, regel {exc.lineno}: {exc.msg}") from exc


def _mask(row: dict) -> str:
    shown = dict(row)
    if shown.get("bsn"):
        shown["bsn"] = "******" + shown["bsn"].strip()[-3:]
    return json.dumps(shown, ensure_ascii=False)


class _Collector:
    """expat handlers: track the path of local names, collect the fields of interest."""

    def __init__(self, spec: Spec, parser, rejects: list[Reject]):
        self.spec, self.parser, self.rejects = spec, parser, rejects
        self.ns_ok = {NS_MESSAGE.format(code=spec.code.lower()), NS_BASIS}
        self.build = ROW_BUILDERS[spec.code]
        self.columns = COLUMNS[spec.code]
        self.path: list[str] = []
        self.text: list[list[str]] = []
        self.header: dict = {}
        self.client: dict = {}
        self.product: dict | None = None
        self.product_line = 0
        self.rows: list[tuple[int, list[str | None]]] = []
        np, nc = len(spec.product_path), len(spec.client_path)
        self.np, self.nc = np, nc

    def start(self, name, _attrs):
        ns, local = _split(name)
        self.path.append(local if ns in self.ns_ok else "\0" + local)
        self.text.append([])
        depth = len(self.path) - 1  # below the root
        if depth == self.nc and tuple(self.path[1:]) == self.spec.client_path:
            self.client = {}
        if depth == self.np and tuple(self.path[1:]) == self.spec.product_path:
            self.product = {}
            self.product_line = self.parser.CurrentLineNumber

    def chars(self, data):
        if self.text:
            self.text[-1].append(data)

    def end(self, _name):
        rel = tuple(self.path[1:])
        value = "".join(self.text.pop()).strip()
        spec = self.spec
        if self.product is not None and rel[: self.np] == spec.product_path:
            if len(rel) == self.np:
                self._emit()
            else:
                key = spec.product.get(rel[self.np:])
                if key:
                    self.product[key] = value
        elif rel[: self.nc] == spec.client_path and len(rel) > self.nc:
            key = spec.client.get(rel[self.nc:])
            if key:
                self.client[key] = value
        else:
            key = spec.header.get(rel)
            if key:
                self.header[key] = value
        self.path.pop()

    def _emit(self):
        row = self.build(self.header, self.client, self.product)
        cat = self.product.get("categorie")
        if cat not in (None, "", HBH_CATEGORIE):
            self.rejects.append(Reject(
                self.product_line, "categorie",
                f"productcategorie {cat} is geen hulp bij het huishouden ({HBH_CATEGORIE}); niet ingelezen",
                _mask(row)))
        else:
            self.rows.append((self.product_line, [row[c] or None for c in self.columns]))
        self.product = None


def _stream(path: Path, spec: Spec, rejects: list[Reject]) -> Iterator[tuple[int, list[str | None]]]:
    p = _new_parser()
    col = _Collector(spec, p, rejects)
    p.StartElementHandler = col.start
    p.EndElementHandler = col.end
    p.CharacterDataHandler = col.chars
    try:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                p.Parse(chunk, False)
                if col.rows:
                    yield from col.rows
                    col.rows = []
            p.Parse(b"", True)
    except xml.parsers.expat.ExpatError as exc:
        raise ReadError(f"geen goed gevormde XML (afgebroken of beschadigd?), regel {exc.lineno}: "
                        f"{xml.parsers.expat.ErrorString(exc.code)}") from exc
    yield from col.rows
    code = col.header.get("berichtcode")
    if code and code != spec.berichtcode:
        raise ReadError(f"BerichtCode {code} past niet bij {spec.code} (verwacht {spec.berichtcode})")


def read_iwmo(path: Path, contract: Contract) -> Delivery:
    spec = message_spec(*root_namespace(path))
    if spec.dataset != contract.name:
        raise ReadError(f"{spec.code}-bericht hoort bij dataset {spec.dataset}, niet bij {contract.name}")
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
