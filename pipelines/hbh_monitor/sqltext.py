"""Quoting for SQL the pipeline writes as text (DuckDB): one place for string literals and identifiers."""


def literal(s: str) -> str:
    """A SQL string literal: ``it's`` → ``'it''s'``."""
    return "'" + s.replace("'", "''") + "'"


def ident(s: str) -> str:
    """A quoted SQL identifier, e.g. a column name as a delivered file spells it (``"`` doubled)."""
    return '"' + s.replace('"', '""') + '"'
