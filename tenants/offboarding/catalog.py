"""What a schema holds, read from pg_catalog: tables, columns, primary keys, sequences.

The export and the import discover the tables this way rather than from a list of
models, so that a table added by any app (today or in a later release) is carried.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as PostgreSQL spells it (format_type), e.g. "timestamp with time zone"
    generated: bool = False  # GENERATED ALWAYS AS (…) STORED: recomputed, not loaded


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    @property
    def qualified(self) -> str:
        return f"{quote(self.schema)}.{quote(self.name)}"

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        """The columns a CSV carries and an import loads (generated ones excluded)."""
        return tuple(c for c in self.columns if not c.generated)

    def select(self, columns: tuple[Column, ...] | None = None, where: str = "",
               replace: dict[str, str] | None = None) -> str:
        """SELECT of the table's rows in primary-key order (stable files, comparable).

        `replace` maps a column name to the SQL expression selected instead of its
        value (withheld columns: withheld.py), under the column's own name."""
        replace = replace or {}
        names = ", ".join(f"{replace[c.name]}::{c.type} AS {quote(c.name)}"
                          if c.name in replace else quote(c.name)
                          for c in (columns or self.columns))
        order = (", ".join(quote(c) for c in self.primary_key)
                 or ", ".join(quote(c.name) for c in (columns or self.columns)))
        return f"SELECT {names} FROM {self.qualified} {where} ORDER BY {order}"  # noqa: S608


@dataclass(frozen=True)
class Sequence:
    table: str
    column: str
    last_value: int
    is_called: bool


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


_COLUMNS = """
    SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated <> ''
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     ORDER BY c.relname, a.attnum
"""
_PRIMARY_KEYS = """
    SELECT c.relname, array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum))
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey::int2[])
     WHERE n.nspname = %s AND i.indisprimary
     GROUP BY c.relname
"""
# Sequences owned by a column (serial or identity), with the column that owns them.
_SEQUENCES = """
    SELECT s.relname, t.relname, a.attname
      FROM pg_class s
      JOIN pg_namespace n ON n.oid = s.relnamespace
      JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
                      AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
      JOIN pg_class t ON t.oid = d.refobjid
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
     WHERE n.nspname = %s AND s.relkind = 'S'
     ORDER BY t.relname, a.attname
"""
# Public tables with a foreign key to the authorities table, and the column(s) holding it.
_AUTHORITY_REFERENCES = """
    SELECT c.relname, array_agg(a.attname::text ORDER BY a.attname)
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(k.conkey)
     WHERE k.contype = 'f' AND k.confrelid = %s::regclass AND n.nspname = 'public'
     GROUP BY c.relname
     ORDER BY c.relname
"""


def tables(schema: str) -> list[Table]:
    """Every ordinary table of `schema`, by name."""
    with connection.cursor() as cursor:
        cursor.execute(_COLUMNS, [schema])
        rows = cursor.fetchall()
        cursor.execute(_PRIMARY_KEYS, [schema])
        keys = dict(cursor.fetchall())
    columns: dict[str, list[Column]] = {}
    for table, name, type_, generated in rows:
        columns.setdefault(table, []).append(Column(name, type_, generated))
    return [Table(schema, name, tuple(cols), tuple(keys.get(name) or ()))
            for name, cols in columns.items()]


def table(schema: str, name: str) -> Table | None:
    return next((t for t in tables(schema) if t.name == name), None)


def sequences(schema: str) -> list[Sequence]:
    """The column-owned sequences of `schema` with their current state."""
    with connection.cursor() as cursor:
        cursor.execute(_SEQUENCES, [schema])
        owned = cursor.fetchall()
        found = []
        for sequence, table_name, column in owned:
            cursor.execute(  # names come from pg_catalog, quoted
                f"SELECT last_value, is_called FROM {quote(schema)}.{quote(sequence)}")  # noqa: S608
            last_value, is_called = cursor.fetchone()
            found.append(Sequence(table_name, column, last_value, is_called))
    return found


def authority_references(authorities_table: str) -> list[tuple[str, tuple[str, ...]]]:
    """Public tables pointing at `authorities_table`: (table, foreign-key columns)."""
    with connection.cursor() as cursor:
        cursor.execute(_AUTHORITY_REFERENCES, [f"public.{authorities_table}"])
        return [(name, tuple(cols)) for name, cols in cursor.fetchall()]


def schema_exists(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %s)",
                       [schema])
        return cursor.fetchone()[0]
