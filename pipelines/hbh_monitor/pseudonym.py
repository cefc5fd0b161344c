"""Keyed pseudonyms for the BSN (HMAC-SHA256), computed inside DuckDB at the front door.

The raw BSN never leaves the loading of its file: the row gate checks it (pattern, elfproef) into the
in-memory temp table of that load, the pseudonym ``client_id`` is computed once per distinct BSN and
replaces it on the way into ``raw`` (:mod:`hbh_monitor.ingest`), the temp tables are dropped, and
quarantine only keeps a masked form (last three digits).
The key comes from ``HBH_PSEUDONYM_KEY`` or the file named in ``HBH_PSEUDONYM_KEY_FILE``. Only a
demo run (``HBH_DEMO=1``) falls back to a published demo key, and says so.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

DEMO_KEY = b"hbh-monitor-demo-key-not-secret"


class PseudonymKeyMissing(RuntimeError):
    pass


def is_demo() -> bool:
    return os.environ.get("HBH_DEMO", "") == "1"


def pseudonym_key() -> bytes:
    if os.environ.get("HBH_PSEUDONYM_KEY"):
        return os.environ["HBH_PSEUDONYM_KEY"].encode("utf-8")
    key_file = os.environ.get("HBH_PSEUDONYM_KEY_FILE")
    if key_file:
        key = Path(key_file).read_bytes().strip()
        if not key:
            raise PseudonymKeyMissing(f"Sleutelbestand {key_file} is leeg.")
        return key
    if is_demo():
        return DEMO_KEY
    raise PseudonymKeyMissing(
        "Geen pseudonimiseringssleutel ingesteld. Zet HBH_PSEUDONYM_KEY of HBH_PSEUDONYM_KEY_FILE "
        "(een geheime, willekeurige tekst van minstens 32 tekens; bewaar hem buiten deze map). "
        "Alleen voor demogegevens: HBH_DEMO=1 gebruikt een openbare demosleutel."
    )


def hmac_sql(key: bytes, text_expr: str) -> str:
    """SQL computing HMAC-SHA256(key, text) as 64 hex characters, vectorised in DuckDB.

    HMAC(k, m) = H((k' ^ opad) || H((k' ^ ipad) || m)), with k' the key padded to the 64-byte block.
    """
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    k = key.ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in k).hex()
    opad = bytes(b ^ 0x5C for b in k).hex()
    return f"sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || CAST({text_expr} AS BLOB))))"


def client_id_sql(key: bytes, bsn_expr: str) -> str:
    """SQL for the client pseudonym: the first 64 bits of the HMAC as UBIGINT (compact to join on)."""
    return f"('0x' || substr({hmac_sql(key, bsn_expr)}, 1, 16))::UBIGINT"


def client_id(key: bytes, bsn: str) -> int:
    """The same pseudonym computed in Python (tests, lookups by an authorised analyst)."""
    return int(hmac.new(key, bsn.strip().encode("utf-8"), hashlib.sha256).hexdigest()[:16], 16)


def mask_sql(bsn_expr: str) -> str:
    """SQL for the masked BSN kept in quarantine: '******' + last three digits."""
    return f"CASE WHEN {bsn_expr} IS NULL OR trim({bsn_expr}) = '' THEN NULL ELSE '******' || right(trim({bsn_expr}), 3) END"
