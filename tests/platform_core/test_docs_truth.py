"""README.md and docs/ name only what exists: every `make` target, every `manage.py`
command, every URL path and every environment variable they cite is checked against the
Makefile, Django's commands, both URL configurations and the settings. A merge that
splices a stale paragraph, or a rename that forgets the docs, fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import get_commands
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TENANT_URLS, PUBLIC_URLS = "collectivrecup.urls_tenant", "collectivrecup.urls_public"
# Paths that are not routes: files on a machine, AWS log groups.
NOT_ROUTES = {"usr", "etc", "var", "tmp", "opt", "aws", "ecs", "app", "work"}


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _cited(pattern: str) -> list[tuple[str, str]]:
    return [(path.relative_to(ROOT).as_posix(), match)
            for path in DOCS for match in re.findall(pattern, _text(path))]


def test_every_make_target_cited_exists():
    makefile = _text(ROOT / "Makefile")
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.MULTILINE))
    # `make x` in code: backticks or a line of a code block (prose says "make a…").
    missing = [(doc, target) for doc, target in _cited(r"(?m)(?:`|^\s*)make ([a-z][a-z0-9-]*)")
               if target not in targets]
    assert not missing, missing


def test_every_management_command_cited_exists():
    commands = set(get_commands())
    missing = [(doc, name) for doc, name in _cited(r"manage\.py ([a-z_]+)")
               if name not in commands]
    missing += [(doc, name) for doc, name in _cited(r'make manage ARGS="([a-z_]+)')
                if name not in commands]
    assert not missing, missing


def _patterns(urlconf: str) -> list[str]:
    """Every route of `urlconf` as a path prefix (regex syntax left as is)."""
    from django.urls import URLResolver, get_resolver

    def walk(resolver, prefix: str):
        for entry in resolver.url_patterns:
            text = prefix + str(entry.pattern).lstrip("^").rstrip("$")
            if isinstance(entry, URLResolver):
                yield from walk(entry, text)
            else:
                yield "/" + text

    return list(walk(get_resolver(urlconf), ""))


def _served_by_middleware() -> set[str]:
    """Paths answered before URL routing (health checks)."""
    code = _text(ROOT / "platform" / "collectivrecup" / "middleware.py")
    return set(re.findall(r'request\.path == "(/[^"]*)"', code))


def _resolves(path: str) -> bool:
    if path in _served_by_middleware():
        return True
    for candidate in (path, "/api/v1" + path):
        # A prefix that groups routes (`/api/v1/`) names something that exists too.
        if path.endswith("/") and any(pattern.startswith(candidate) and pattern != candidate
                                      for urlconf in (TENANT_URLS, PUBLIC_URLS)
                                      for pattern in _patterns(urlconf)):
            return True
        for urlconf in (TENANT_URLS, PUBLIC_URLS):
            try:
                resolve(candidate, urlconf=urlconf)
            except Resolver404:
                continue
            return True
    return False


def _route_of(token: str) -> str | None:
    """The path a backticked token names, placeholders filled; None when not a route."""
    if "…" in token or " " in token:
        return None
    path = token.split("?", 1)[0]
    first = path.strip("/").split("/", 1)[0]
    if first in NOT_ROUTES or "." in path.rsplit("/", 1)[-1] and not path.endswith(
            (".csv", ".pdf", ".xlsx", ".zip", ".json", ".ics")):
        return None
    return re.sub(r"<[^>/]+>|\{[^}/]+\}", "1", path)


def test_every_url_path_cited_resolves():
    unresolved = []
    for doc, token in _cited(r"`(/[^`]*)`"):
        route = _route_of(token)
        if route is not None and not _resolves(route):
            unresolved.append((doc, token))
    assert not unresolved, unresolved


def _readme_variables() -> list[str]:
    table = _text(ROOT / "README.md").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = []
    for row in table.splitlines():
        if row.startswith("| `"):
            names += re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])
    return names


def test_configuration_table_lists_each_variable_once():
    names = _readme_variables()
    assert names, "README.md has no configuration table"
    assert sorted({n for n in names if names.count(n) > 1}) == []


@pytest.mark.parametrize("name", _readme_variables())
def test_every_configuration_variable_is_read_by_the_settings(name):
    settings_code = "".join(_text(p) for p in (ROOT / "platform" / "collectivrecup")
                            .rglob("*.py"))
    settings_code += _text(ROOT / "infra" / "gunicorn.conf.py")
    settings_code += _text(ROOT / "infra" / "entrypoint.sh")
    assert re.search(rf"\b{name}\b", settings_code), f"{name} is read nowhere"


def _readme_commands() -> str:
    """README's "Try it" part: the two commands and the table of the others."""
    readme = _text(ROOT / "README.md")
    return readme.split("## Try it", 1)[1].split("\n## ", 1)[0]


def test_every_make_target_is_in_the_readme_commands():
    phony = re.search(r"^\.PHONY:(.*)$", _text(ROOT / "Makefile"), re.MULTILINE)
    assert phony, "the Makefile declares no .PHONY targets"
    commands = _readme_commands()
    missing = [target for target in phony.group(1).split()
               if not re.search(rf"`(?:[A-Z_]+=\S+ )?make {re.escape(target)}\b", commands)]
    assert not missing, f"make targets missing from README's commands: {missing}"


# Read by the settings or the image's scripts, but not for an operator to set.
NOT_CONFIGURATION = {
    "DEBUG": "production.py forces it off",
    "CELERY_TASK_ALWAYS_EAGER": "tests run tasks inline",
    "TEST_DB_SUFFIX": "parallel test runs on one server",
    "PORT": "the port `make run` and the container listen on",
    "DJANGO_SETTINGS_MODULE": "named above the table",
}
_ENV_READ = re.compile(
    r"""(?:os\.environ\.get|os\.environ\[|os\.getenv|env_bool|env_list|env=)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|\$\{([A-Z][A-Z0-9_]+)""")


def _variables_read() -> set[str]:
    sources = [*(ROOT / "platform" / "collectivrecup" / "settings").glob("*.py"),
               ROOT / "infra" / "gunicorn.conf.py", ROOT / "infra" / "entrypoint.sh"]
    return {first or second for path in sources
            for first, second in _ENV_READ.findall(_text(path))}


def test_every_variable_the_settings_read_is_in_the_configuration_table():
    table = _text(ROOT / "README.md").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    read = _variables_read()
    assert {"SECRET_KEY", "TRUSTED_PROXY_COUNT", "WEB_CONCURRENCY"} <= read  # the scan works
    missing = sorted(name for name in read - set(NOT_CONFIGURATION)
                     if f"`{name}`" not in table)
    assert not missing, f"read by the settings but not in README's configuration: {missing}"
