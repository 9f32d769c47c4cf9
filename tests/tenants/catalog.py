"""The schema comparison: everything that makes a schema, read from the catalog, so that
two schemas built by different paths (provisioned from the template, migrated by
django-tenants, migrations replayed from rendered SQL) can be compared as equal."""

from __future__ import annotations

import re

from django.db import connection


def _rows(sql: str, params) -> list[tuple]:
    connection.set_schema_to_public()  # defaults and definitions print qualified names
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(tuple(map(str, row)) for row in cursor.fetchall())


def catalog_snapshot(schema: str) -> dict[str, list[tuple]]:
    """Everything that makes a schema, with the schema's own name replaced by <S>."""
    pattern = re.compile(rf'(?<![\w"])"?{re.escape(schema)}"?\.')

    def norm(rows):
        return sorted(tuple(pattern.sub("<S>.", value) for value in row) for row in rows)

    columns = _rows(
        "SELECT table_name, column_name, data_type, udt_name, is_nullable, "
        "coalesce(column_default, ''), is_identity, coalesce(identity_generation, ''), "
        "coalesce(character_maximum_length, 0), "
        # column order; absolute positions keep the holes of dropped columns
        "row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position) "
        "FROM information_schema.columns WHERE table_schema = %s", [schema])
    for row in columns:  # a nextval default must use the schema's own sequence
        if "nextval" in row[5]:
            assert f"{schema}." in row[5], row
    return {
        "tables": norm(_rows("SELECT table_name, table_type FROM information_schema.tables "
                             "WHERE table_schema = %s", [schema])),
        "columns": norm(columns),
        "constraints": norm(_rows(
            "SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "LEFT JOIN pg_class t ON t.oid = c.conrelid WHERE n.nspname = %s", [schema])),
        "indexes": norm(_rows("SELECT tablename, indexname, indexdef FROM pg_indexes "
                              "WHERE schemaname = %s", [schema])),
        "sequences": norm(_rows(
            "SELECT sequencename, data_type, start_value, min_value, max_value, "
            "increment_by, cycle, cache_size FROM pg_sequences WHERE schemaname = %s",
            [schema])),
        "sequence_owners": norm(_rows(
            "SELECT s.relname, t.relname, a.attname, d.deptype FROM pg_class s "
            "JOIN pg_namespace n ON n.oid = s.relnamespace "
            "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass "
            "AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
            "WHERE s.relkind = 'S' AND n.nspname = %s", [schema])),
        "routines": norm(_rows(
            "SELECT p.proname, pg_get_function_identity_arguments(p.oid), "
            "pg_get_functiondef(p.oid) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s", [schema])),
        "triggers": norm(_rows(
            "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = %s", [schema])),
        "views": norm(_rows("SELECT table_name, view_definition FROM information_schema.views "
                            "WHERE table_schema = %s", [schema])),
        "migrations": _rows(
            f'SELECT app, name FROM "{schema}".django_migrations', None),  # noqa: S608
    }
