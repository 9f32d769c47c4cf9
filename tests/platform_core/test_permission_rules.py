"""The rule of the permission layer (docs/architecture.md, "Roles and the permission
layer"): who may do what is decided by the `can_*` / `is_*` functions of
platform/accounts/permissions.py (role rules) and exchange/listings/permissions.py (object
rules). Services, web views, API views, forms and templates call them (templates read
the `can` flags); nothing else tests a role name. Choosing who holds a role (the
moderators to e-mail) goes through accounts/selectors.py's `members_with_role`.

What is searched: the Python files and templates git tracks or would track, except
tests/, docs/ and migrations; platform/accounts/models.py may define the Role enum and
`User.has_role`. Comments count, as in test_tenancy_layer.py.
"""

from __future__ import annotations

import re

from tests.platform_core.test_tenancy_layer import ROOT, application_files

PERMISSION_MODULES = {"platform/accounts/permissions.py", "exchange/listings/permissions.py"}
ROLE_SELECTOR = "platform/accounts/selectors.py"
MODELS = "platform/accounts/models.py"
CHECKED_SUFFIXES = (".py", ".html", ".txt")

ROLE = r"(?:agent|moderator|authority_admin|operator)"
# A role name or Role member tested for membership, a user's roles tested, the raw
# role helpers, and the User role properties that ignored the schema.
ROLE_TEST = re.compile(
    rf"""["']{ROLE}["']\s+(?:not\s+)?in\b"""
    r"|\bRole\.(?:AGENT|MODERATOR|AUTHORITY_ADMIN|OPERATOR)\s+(?:not\s+)?in\b"
    r"|\bin\s+[\w.\[\]()]*\.roles\b(?!_)"
    r"|\buser\.roles\b(?!_)"
    r"|\b(?:user_has_role|has_role)\("
    r"|\.is_(?:moderator|authority_admin|operator|agent)\b"
)
# Selecting accounts by role: only the selector does it.
ROLE_QUERY = re.compile(r"\broles__(?:contains|overlap|contained_by)\b")


def role_tests_outside_the_layer(paths: list[str], root=ROOT) -> list[str]:
    """"file:line: text" of every role-name test outside the permission modules, and
    of every query by role outside the selector."""
    found = []
    for path in paths:
        if not path.endswith(CHECKED_SUFFIXES) or path in PERMISSION_MODULES:
            continue
        try:
            text = (root / path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            role_test = ROLE_TEST.search(line) and path not in (MODELS, ROLE_SELECTOR)
            role_query = ROLE_QUERY.search(line) and path != ROLE_SELECTOR
            if role_test or role_query:
                found.append(f"{path}:{number}: {line.strip()}")
    return found


def test_the_search_covers_views_services_api_and_templates():
    """Guards the guard: the files the rule is about are searched, and each kind of
    role-name test is recognised (the ones this layer replaced, taken from the code)."""
    paths = application_files()
    for expected in ("exchange/listings/services/closure.py", "exchange/listings/views/listings.py",
                     "analytics/views/statistics.py",
                     "platform/accounts/api_permissions.py",
                     "exchange/listings/templates/exchange/_nav.html",
                     "platform/templates/base.html",
                     "tenants/two_factor.py", "analytics/notifications.py",
                     "platform/accounts/permissions.py"):
        assert expected in paths, expected
    for line in ('{% if "authority_admin" in user.roles %}',
                 '{% if "moderator" in user.roles %}',
                 "if Role.MODERATOR in moderator.roles:",
                 "if not user_has_role(request.user, Role.AGENT):",
                 "if not (user.is_active and user.has_role(Role.OPERATOR)):",
                 "if not user.is_operator:"):
        assert ROLE_TEST.search(line), line
    assert ROLE_QUERY.search("User.objects.filter(roles__contains=[Role.MODERATOR])")
    for line in ("{% if can.moderate %}", "if not can_moderate(actor):",
                 "{{ change.roles_before_labels|join:', ' }}", "roles=[Role.AGENT],",
                 "member.roles = roles", "if listing.is_operator_issued:"):
        assert not ROLE_TEST.search(line), line


def test_a_role_test_is_reported_with_its_file_and_line_unless_in_the_layer(tmp_path):
    """The same inline test is the point in a permission module and a fault in a view;
    a query by role is allowed in the selector only."""
    inline = "    if not user_has_role(request.user, Role.MODERATOR):\n"
    query = "    return User.objects.filter(roles__contains=[role])\n"
    files = {"platform/accounts/permissions.py": inline, "exchange/listings/permissions.py": inline,
             "exchange/listings/views/scratch.py": "def view(request):\n" + inline,
             "exchange/listings/templates/scratch.html": '{% if "moderator" in user.roles %}\n',
             ROLE_SELECTOR: query, "exchange/listings/notifications.py": query}
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    found = role_tests_outside_the_layer(sorted(files), root=tmp_path)
    assert found == [
        "exchange/listings/notifications.py:1: return User.objects.filter(roles__contains=[role])",
        'exchange/listings/templates/scratch.html:1: {% if "moderator" in user.roles %}',
        "exchange/listings/views/scratch.py:2: if not user_has_role(request.user, Role.MODERATOR):",
    ]


def test_no_role_name_test_outside_the_permission_layer():
    found = role_tests_outside_the_layer(application_files())
    assert found == [], (
        "Decide with a can_* function of accounts/permissions.py or "
        "exchange/listings/permissions.py "
        "(templates: the `can` flags or a view's flag); select holders of a role with "
        "accounts.selectors.members_with_role:\n" + "\n".join(found))
