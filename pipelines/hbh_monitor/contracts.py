"""Data contracts (Open Data Contract Standard v3 YAML in ``data_contracts/``).

Each file is checked against the standard when it is loaded (:func:`validated`: the JSON Schema and
the Pydantic models of the ``open-data-contract-standard`` package), so a misspelt key is an error
that names the file and the key.

A contract is the single source of a dataset's columns, types and rules. This module reads it into
:class:`Contract` / :class:`Column` and derives the DuckDB types of the ``raw.<dataset>`` table
(:meth:`Contract.create_table_sql`). From the same objects :mod:`hbh_monitor.gate` writes the row gate
(one SQL condition with a Dutch reason per rule) and :mod:`hbh_monitor.validation` the Great
Expectations suite.

Rules a contract can state per property, besides ``logicalType`` and ``required``:

* ``logicalTypeOptions``: ``pattern``, ``minimum``/``maximum`` (for dates an ISO date or a date
  relative to the day of loading: ``today``, ``today+1 years``, ``today-130 years``), ``maxLength``;
* ``customProperties``: ``validValues``, ``pseudonymise``, ``references``, and the plausibility rules
  ``patternDescription`` (the pattern in Dutch words, shown in reasons), ``notBefore`` (a date not
  before another date column of the row), ``ageAt`` (on a birth date: ``{column, minimum, maximum}``
  age in whole years at that column's date) and ``maximumBy`` (``{column, values: {code: maximum}}``,
  e.g. the most a volume can be in each eenheid).

Nothing else in the code base retypes a column name or rule of an input dataset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import yaml

from hbh_monitor import settings

# logicalType → DuckDB type of the typed raw column.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "date": "DATE",
    "boolean": "BOOLEAN",
}



@dataclass(frozen=True)
class Column:
    name: str
    logical_type: str
    required: bool
    description: str = ""
    pattern: str | None = None
    minimum: object | None = None
    maximum: object | None = None
    valid_values: tuple[str, ...] | None = None
    pseudonymise_as: str | None = None  # e.g. "client_id" for the BSN
    references: str | None = None  # "<dataset>.<column>" every value must occur in
    max_length: int | None = None  # logicalTypeOptions.maxLength of a free-text column
    pattern_description: str | None = None  # the pattern in Dutch words, for reasons
    not_before: str | None = None  # plausibility: this date is not before that column's date
    age_at: dict | None = None  # plausibility on a birth date: {column, minimum, maximum} age in years
    maximum_by: dict | None = None  # plausibility: {column, values: {value: maximum}} (e.g. per eenheid)
    physical_type: str | None = None  # ODCS physicalType, e.g. DECIMAL(18,2) for exact euro amounts

    @property
    def duckdb_type(self) -> str:
        return self.physical_type or DUCKDB_TYPES[self.logical_type]


@dataclass(frozen=True)
class Contract:
    name: str
    version: str
    table: str  # physicalName, e.g. raw.indicaties
    description: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def pii_column(self) -> Column | None:
        return next((c for c in self.columns if c.pseudonymise_as), None)

    def loaded_columns(self) -> list[tuple[str, str]]:
        """(name, duckdb type) of the typed raw table, the BSN replaced by its pseudonym."""
        cols = []
        for c in self.columns:
            if c.pseudonymise_as:
                cols.append((c.pseudonymise_as, "UBIGINT"))
            else:
                cols.append((c.name, c.duckdb_type))
        return cols

    def create_table_sql(self) -> str:
        cols = ",\n  ".join(f"{n} {t}" for n, t in self.loaded_columns())
        return (
            f"CREATE TABLE IF NOT EXISTS {self.table} (\n  {cols},\n"
            "  source_file VARCHAR NOT NULL,\n  source_line BIGINT NOT NULL\n)"
        )


def relative_date(bound: object, today: date) -> date:
    """A date bound of a contract: an ISO date, or ``today``, ``today+N days``, ``today-N years`` etc."""
    if isinstance(bound, date):
        return bound
    text = str(bound).strip().lower().replace(" ", "")
    if not text.startswith("today"):
        return date.fromisoformat(text)
    m = re.fullmatch(r"today(?:([+-])(\d+)(days?|years?))?", text)
    if not m:
        raise ValueError(f"date bound {bound!r}: use an ISO date or today[+-]N days|years")
    if not m.group(1):
        return today
    n = int(m.group(2)) * (1 if m.group(1) == "+" else -1)
    if m.group(3).startswith("day"):
        return today + timedelta(days=n)
    try:
        return today.replace(year=today.year + n)
    except ValueError:  # 29 February
        return today.replace(year=today.year + n, day=28)


class ContractError(ValueError):
    """A contract file that is not a valid Open Data Contract Standard document (or uses a custom
    property this project does not know): the message names the file and the offending key."""


# The custom properties this project reads from a column (ODCS ``customProperties``); any other name
# is a misspelling, not an extension.
CUSTOM_PROPERTIES = {
    "validValues": "the only values allowed (the row gate quarantines others)",
    "pseudonymise": "replace the value by this pseudonym column at ingestion (the BSN: client_id)",
    "references": "<dataset>.<column> every value must occur in",
    # plausibility rules and reasons (hbh_monitor.gate, hbh_monitor.validation)
    "patternDescription": "the pattern in Dutch words, shown in the quarantine reason",
    "notBefore": "a date column this date may not lie before (einddatum >= begindatum)",
    "ageAt": "on a birth date: {column, minimum, maximum} age in whole years at that column's date",
    "maximumBy": "{column, values: {code: maximum}}: the most the value can be per code (e.g. per eenheid)",
    # CBS StatLine exports (hbh_monitor.readers.statline)
    "statlineKey": "the StatLine property key(s) the column comes from, matched without the _<n> suffix",
    "statlineDerived": "made by the StatLine reader: table_id (file name), year (period or table), secret",
}


@cache
def _odcs_validator():
    """A validator for the JSON Schema of the ODCS version the package implements (shipped with it)."""
    import json

    import jsonschema
    from open_data_contract_standard.model import OpenDataContractStandard

    schema = json.loads(OpenDataContractStandard.json_schema())
    return jsonschema.validators.validator_for(schema)(schema)


def _where(error) -> str:
    return "/".join(str(p) for p in error.absolute_path) or "(top level)"


def validated(path: Path):
    """The contract file as an ``OpenDataContractStandard`` (the package's Pydantic model), after
    checking it against the standard's JSON Schema: the Pydantic models ignore unknown keys below the
    top level, the schema does not, so a misspelt key is an error here rather than a rule that
    silently does not apply."""
    from open_data_contract_standard.model import OpenDataContractStandard
    from pydantic import ValidationError

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ContractError(f"{path.name}: not readable YAML: {e}") from e
    errors = sorted(_odcs_validator().iter_errors(doc), key=lambda e: (_where(e), e.message))
    if errors:
        seen = dict.fromkeys(f"{_where(e)}: {e.message}" for e in errors)
        raise ContractError(f"{path.name} is not a valid ODCS contract: " + "; ".join(list(seen)[:5]))
    try:
        odcs = OpenDataContractStandard(**doc)
    except ValidationError as e:
        raise ContractError(f"{path.name} is not a valid ODCS contract: {e}") from e
    if not odcs.schema_ or len(odcs.schema_) != 1:
        raise ContractError(f"{path.name}: a contract describes exactly one table (schema has {len(odcs.schema_ or [])})")
    for prop in odcs.schema_[0].properties or []:
        for cp in prop.customProperties or []:
            if cp.property not in CUSTOM_PROPERTIES:
                raise ContractError(f"{path.name}: column {prop.name}: unknown custom property {cp.property!r} "
                                    f"(known: {', '.join(CUSTOM_PROPERTIES)})")
    return odcs


def _custom(prop, key: str):
    for cp in prop.customProperties or []:
        if cp.property == key:
            return cp.value
    return None


def _parse(path: Path) -> Contract:
    odcs = validated(path)
    (obj,) = odcs.schema_
    cols = []
    for p in obj.properties or []:
        opts = p.logicalTypeOptions or {}
        vv = _custom(p, "validValues")
        cols.append(
            Column(
                name=p.name,
                logical_type=p.logicalType,
                required=bool(p.required),
                description=(p.description or "").strip(),
                pattern=opts.get("pattern"),
                minimum=opts.get("minimum"),
                maximum=opts.get("maximum"),
                valid_values=tuple(str(v) for v in vv) if vv else None,
                pseudonymise_as=_custom(p, "pseudonymise"),
                references=_custom(p, "references"),
                max_length=opts.get("maxLength"),
                pattern_description=_custom(p, "patternDescription"),
                not_before=_custom(p, "notBefore"),
                age_at=_custom(p, "ageAt"),
                maximum_by=_custom(p, "maximumBy"),
                physical_type=p.physicalType,
            )
        )
    return Contract(
        name=odcs.name,
        version=str(odcs.version),
        table=obj.physicalName,
        description=((odcs.description.purpose if odcs.description else None) or "").strip(),
        columns=tuple(cols),
    )


@cache
def load_contracts(directory: str | None = None) -> dict[str, Contract]:
    d = Path(directory) if directory else settings.contracts_dir()
    contracts = {}
    for f in sorted(d.glob("*.yaml")):
        c = _parse(f)
        contracts[c.name] = c
    return contracts


def contract(name: str) -> Contract:
    return load_contracts()[name]
