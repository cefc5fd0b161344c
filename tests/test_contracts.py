"""Data contracts are checked against the Open Data Contract Standard when they are loaded: a
misspelt key anywhere in a contract is an error naming the file and the key, never silently ignored."""

from __future__ import annotations

import shutil

import pytest
import yaml

from hbh_monitor.contracts import ContractError, load_contracts
from support import ROOT

CONTRACTS = ROOT / "data_contracts"


def _with(tmp_path, change) -> str:
    """The project's contracts in a temp folder, indicaties.yaml changed by ``change(doc)``."""
    d = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, d)
    doc = yaml.safe_load((d / "indicaties.yaml").read_text(encoding="utf-8"))
    change(doc)
    (d / "indicaties.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return str(d)


def test_every_contract_of_the_project_is_valid_odcs():
    contracts = load_contracts(str(CONTRACTS))
    assert {p.stem for p in CONTRACTS.glob("*.yaml")} == set(contracts)
    bsn = contracts["indicaties"].pii_column
    assert bsn.name == "bsn" and bsn.pseudonymise_as == "client_id" and bsn.pattern == "^[0-9]{9}$"


def _prop(doc, name):
    return next(p for p in doc["schema"][0]["properties"] if p["name"] == name)


@pytest.mark.parametrize("where, change, key", [
    ("a column", lambda d: _prop(d, "volume").update(requird=True), "requird"),
    ("a column's type options", lambda d: _prop(d, "bsn")["logicalTypeOptions"].update(patern="^[0-9]+$"), "patern"),
    ("the table", lambda d: d["schema"][0].update(physicalname="raw.indicaties"), "physicalname"),
    ("the contract", lambda d: d.update(descripton={"purpose": "x"}), "descripton"),
    ("a custom property of the project", lambda d: _prop(d, "bsn")["customProperties"][0].update(property="pseudonymse"),
     "pseudonymse"),
])
def test_a_misspelt_key_is_an_error_naming_file_and_key(tmp_path, where, change, key):
    directory = _with(tmp_path, change)
    with pytest.raises(ContractError) as e:
        load_contracts(directory)
    assert "indicaties.yaml" in str(e.value) and key in str(e.value), (where, str(e.value))


def test_a_wrong_value_type_is_an_error(tmp_path):
    directory = _with(tmp_path, lambda d: _prop(d, "volume").update(required="misschien"))
    with pytest.raises(ContractError, match="indicaties.yaml"):
        load_contracts(directory)
