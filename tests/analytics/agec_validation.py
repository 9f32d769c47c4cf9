"""Validate an AGEC declaration file with `frictionless` against the official Table
Schema of data.gouv.fr (the copy shipped in analytics/data, v0.1.0), as data.gouv.fr's
own tooling does."""

from __future__ import annotations

from pathlib import Path

from frictionless import Resource, Schema

from analytics.agec_categories import declaration_schema


def validation_errors(content: bytes, folder: Path) -> list[str]:
    """The validator's error messages for `content` (a CSV file); [] when valid."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "declaration.csv").write_bytes(content)
    # frictionless refuses absolute paths unless trusted: a relative path in basepath.
    report = Resource(path="declaration.csv", basepath=str(folder),
                      schema=Schema.from_descriptor(declaration_schema())).validate()
    return [error.message for task in report.tasks for error in task.errors] + [
        error.message for error in report.errors]


def assert_valid(content: bytes, folder: Path) -> None:
    errors = validation_errors(content, folder)
    assert errors == [], errors
