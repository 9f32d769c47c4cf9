"""Scratch databases on the server of DATABASE_URL, for what must run outside the test
database: the browser tests' served instance, the release end-to-end test, `make bench`."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg


def _maintenance_connection(database_url: str) -> psycopg.Connection:
    config = dj_database_url.parse(database_url)
    return psycopg.connect(dbname="postgres", user=config["USER"] or None,
                           password=config["PASSWORD"] or None, host=config["HOST"] or None,
                           port=config["PORT"] or None, autocommit=True)


def create_database(database_url: str, name: str) -> str:
    """(Re)create database `name` on the same server; return its URL."""
    with _maintenance_connection(database_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))


def drop_database(database_url: str, name: str) -> None:
    with _maintenance_connection(database_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
