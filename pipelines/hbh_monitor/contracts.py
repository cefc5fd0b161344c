"""Data contracts (Open Data Contract Standard v3 YAML in ``data_contracts/``).

Each file is checked against the standard when it is loaded (:func:`validated`: the JSON Schema and
the Pydantic models of the ``open-data-contract-standard`` package), so a misspelt key is an error
that names the file and the key.

A contract is the single source of a dataset's columns, types and rules. From it this module
derives:

* the DuckDB types of the ``raw.<dataset>`` table (:meth:`Contract.create_table_sql`),
* the row gate: one SQL expression per rule that yields a readable reason when a row breaks it
  (:meth:`Contract.gate_sql`), evaluated inside DuckDB on every row, and
* the rule list the Great Expectations suite is built from (:func:`hbh_monitor.validation`).

Nothing else in the code base retypes a column name or rule of an input dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from hbh_monitor import settings
from hbh_monitor.sqltext import literal

# logicalType → DuckDB type of the typed raw column.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "date": "DATE",
    "boolean": "BOOLEAN",
}

# Dutch names of the types, for reasons shown to analysts.
TYPE_WORDS = {"integer": "geheel getal", "number": "getal", "date": "geldige datum", "boolean": "ja/nee-waarde"}

# Date formats accepted in exports, tried in this order: ISO first, then dd-mm-jjjj and variants.
DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y%m%d", "%d-%m-%y"]


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

    # --- the row gate -------------------------------------------------------------------------
    def typed_expr(self, col: Column, src: str, *, normalised: bool = False) -> str:
        """SQL that turns the text value ``src`` into the column's type, or NULL if it can't.

        ``normalised``: ``src`` is already trimmed, with '' as NULL (what the gate computes once per
        value, see :meth:`rule_checks`).
        """
        v = src if normalised else f"nullif(trim({src}), '')"
        t = col.logical_type
        if t == "string":
            return v
        if t == "integer":
            # whole numbers only: TRY_CAST would round '1.5' to 2
            return f"CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+') THEN TRY_CAST({v} AS BIGINT) END"
        if t == "number":
            # Decimal comma (1234,56) or point (1234.56); a comma means '.' is a thousands separator.
            return (
                f"TRY_CAST(CASE WHEN contains({v}, ',') THEN replace(replace({v}, '.', ''), ',', '.') "
                f"ELSE {v} END AS {col.duckdb_type})"
            )
        if t == "date":
            fmts = ", ".join(f"'{f}'" for f in DATE_FORMATS)
            return f"TRY_STRPTIME({v}, [{fmts}])::DATE"
        if t == "boolean":
            return f"CASE lower({v}) WHEN 'ja' THEN true WHEN 'j' THEN true WHEN 'nee' THEN false WHEN 'n' THEN false ELSE TRY_CAST({v} AS BOOLEAN) END"
        raise ValueError(f"unknown logicalType {t!r} in contract {self.name}")

    def rule_checks(self, col: Column, v: str, typed: str | None = None) -> list[tuple[str, str, str]]:
        """(rule id, SQL condition that is TRUE when the rule is broken, Dutch reason SQL).

        ``v`` is the delivered text trimmed, with '' as NULL (``nullif(trim(x), '')``), and ``typed``
        its typed value (:meth:`typed_expr`); the gate computes both once per row and passes their names.
        """
        present = f"{v} IS NOT NULL"
        typed = typed or self.typed_expr(col, v, normalised=True)
        checks: list[tuple[str, str, str]] = []
        if col.required:
            checks.append(
                (f"required:{col.name}", f"NOT ({present})", f"'verplicht veld {col.name} is leeg'")
            )
        shown = "'***'" if col.pseudonymise_as else v
        if col.logical_type != "string":
            checks.append(
                (
                    f"type:{col.name}",
                    f"{present} AND {typed} IS NULL",
                    f"'{col.name}: ''' || {shown} || ''' is geen {TYPE_WORDS[col.logical_type]}'",
                )
            )
        if col.pattern:
            pat = col.pattern.replace("'", "''")
            checks.append(
                (
                    f"pattern:{col.name}",
                    f"{present} AND NOT regexp_full_match({v}, {literal(col.pattern)})",
                    f"'{col.name}: ''' || {shown} || ''' heeft niet de vorm {pat}'",
                )
            )
        if col.valid_values:
            vals = ", ".join(literal(x) for x in col.valid_values)
            checks.append(
                (
                    f"values:{col.name}",
                    f"{present} AND {v} NOT IN ({vals})",
                    f"'{col.name}: ''' || {shown} || ''' is geen toegestane waarde ({', '.join(col.valid_values)})'",
                )
            )
        for bound, op, word in ((col.minimum, "<", "kleiner dan"), (col.maximum, ">", "groter dan")):
            if bound is None:
                continue
            lit = f"DATE '{bound}'" if col.logical_type == "date" else str(bound)
            checks.append(
                (
                    f"range:{col.name}",
                    f"{typed} {op} {lit}",
                    f"'{col.name}: ' || {typed}::VARCHAR || ' is {word} {bound}'",
                )
            )
        if col.pseudonymise_as:
            checks.append(
                (
                    f"elfproef:{col.name}",
                    f"{present} AND regexp_full_match({v}, '[0-9]{{9}}') AND NOT {elfproef_sql(v)}",
                    f"'{col.name} voldoet niet aan de elfproef'",
                )
            )
        return checks


def elfproef_sql(v: str) -> str:
    """SQL: TRUE when the 9-digit text ``v`` passes the BSN elfproef (and is not all zeros)."""
    # The digits by integer arithmetic on one cast (cheaper than nine substrings). TRY_CAST: SQL does
    # not promise to skip this for values that failed the 9-digit pattern check.
    n = f"TRY_CAST({v} AS BIGINT)"
    terms = " + ".join(f"{w} * ({n} // {10 ** (8 - i)} % 10)" for i, w in enumerate([9, 8, 7, 6, 5, 4, 3, 2, -1]))
    return f"coalesce(({terms}) % 11 = 0 AND {v} <> '000000000', false)"


class ContractError(ValueError):
    """A contract file that is not a valid Open Data Contract Standard document (or uses a custom
    property this project does not know): the message names the file and the offending key."""


# The custom properties this project reads from a column (ODCS ``customProperties``); any other name
# is a misspelling, not an extension.
CUSTOM_PROPERTIES = {
    "validValues": "the only values allowed (the row gate quarantines others)",
    "pseudonymise": "replace the value by this pseudonym column at ingestion (the BSN: client_id)",
    "references": "<dataset>.<column> every value must occur in",
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
