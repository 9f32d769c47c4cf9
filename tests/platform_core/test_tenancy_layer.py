"""The rule of the tenancy layer (docs/architecture.md, "The tenancy layer"): application
code leaves the schema it runs in only through tenants/crossing.py, which names and
checks the ground of every crossing. `django_tenants.utils.schema_context` and
`tenant_context`, and the hand-made equivalent `connection.set_tenant(…)` /
`connection.set_schema(…)`, therefore appear nowhere else (`set_schema_to_public()`, a
reset, is allowed).

What is searched: every file git tracks or would track (or, outside a git checkout, every file under
the repository), except tests/ (tests set up their world with tests/conftest.py's
helper), docs/ and other Markdown prose, migrations and the virtualenv. Comments count:
a comment naming the old helpers is how a use comes back.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"tenants/crossing.py"}
FORBIDDEN = re.compile(r"\b(schema_context|tenant_context)\b|\.set_(tenant|schema)\(")
SKIPPED_DIRS = {"tests", "docs", "migrations", ".venv", "venv", ".git", "var",
                "node_modules", "__pycache__", "staticfiles"}
SKIPPED_SUFFIXES = {".md", ".mo", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff",
                    ".woff2", ".pdf", ".zip", ".pyc"}


def application_files() -> list[str]:
    """Repository-relative paths of the files the rule applies to."""
    try:
        listed = subprocess.run(  # tracked, and new files not yet added (not ignored)
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        listed = [str(path.relative_to(ROOT)) for path in ROOT.rglob("*") if path.is_file()]
    return sorted(path for path in listed if path and _applies(path))


def _applies(path: str) -> bool:
    parts = Path(path).parts
    return (not SKIPPED_DIRS.intersection(parts[:-1]) and parts[0] not in SKIPPED_DIRS
            and Path(path).suffix.lower() not in SKIPPED_SUFFIXES)


def crossings_outside_the_layer(paths: list[str]) -> list[str]:
    """"file:line: text" of every use of the forbidden helpers outside ALLOWED."""
    found = []
    for path in paths:
        if path in ALLOWED:
            continue
        try:
            text = (ROOT / path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # binary, or deleted in the work tree and not yet committed
        for number, line in enumerate(text.splitlines(), 1):
            if FORBIDDEN.search(line):
                found.append(f"{path}:{number}: {line.strip()}")
    return found


def test_the_search_covers_the_application_code():
    """Guards the guard: a listing that missed the code would let every use through."""
    paths = application_files()
    for expected in ("tenants/crossing.py", "exchange/sharing/views.py",
                     "exchange/listings/tasks.py",
                     "analytics/facts.py", "platform/accounts/services.py",
                     "platform/collectivrecup/management/commands/seed_demo.py"):
        assert expected in paths, expected
    assert not [path for path in paths if path.startswith(("tests/", "docs/"))]
    assert not [path for path in paths if "/migrations/" in path]
    assert crossings_outside_the_layer(["tenants/crossing.py"]) == []
    assert FORBIDDEN.search("with schema_context(schema):")
    assert FORBIDDEN.search("from django_tenants.utils import tenant_context")
    assert FORBIDDEN.search("connection.set_tenant(tenant)")
    assert FORBIDDEN.search("connection.set_schema(schema)")
    assert not FORBIDDEN.search("connection.set_schema_to_public()")
    assert not FORBIDDEN.search("with in_authority(owner, ground=ground):")


def test_no_schema_context_or_tenant_context_outside_the_tenancy_layer():
    found = crossings_outside_the_layer(application_files())
    assert found == [], (
        "Cross schemas through tenants/crossing.py (in_authority, in_schema, in_public, "
        "in_dropped_schema, for_each_live_authority) with a ground, not directly:\n"
        + "\n".join(found))
