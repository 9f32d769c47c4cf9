"""Role and access changes are journalled by the service that makes them, whoever
calls it (admin page, command line, onboarding, sign-up), and the authority's admins
read the journal on a page of their own (issue 12: "role changes are not audited")."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services
from accounts.models import AccessChange, Role, User
from tenants.models import Authority, OperatorAction
from tenants.validators import luhn_is_valid
from tests.accounts.factories import (
    AccessChangeFactory,
    agent,
    authority_admin,
    moderator,
    operator,
)
from tests.conftest import client_for, in_authority, verified_operator_client

pytestmark = pytest.mark.django_db


def test_a_role_change_on_the_admin_page_is_journalled_by_the_service(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin(email="dgs@chatellerault.example", first_name="Anne",
                                last_name="Durand")
        member = agent(email="marc@chatellerault.example", first_name="Marc",
                       last_name="Petit")
    before = timezone.now()
    response = client_for(chatellerault, admin).post(
        f"/accounts/admin/users/{member.pk}/",
        {"roles": [Role.AGENT, Role.MODERATOR], "is_active": "on"})
    assert response.status_code == 302
    with in_authority(chatellerault):
        [change] = AccessChange.objects.filter(member=member)
        assert (change.actor, change.actor_label, change.member_label) == (
            admin, "Anne Durand <dgs@chatellerault.example>",
            "Marc Petit <marc@chatellerault.example>")
        assert (change.roles_before, change.roles_after) == (
            [Role.AGENT], [Role.AGENT, Role.MODERATOR])
        assert (change.was_active, change.is_active, change.via) == (True, True, "admin_page")
        assert before <= change.created_at <= timezone.now()


def test_deactivation_is_journalled_and_a_service_only_change_is_not(chatellerault):
    with in_authority(chatellerault):
        admin, member = authority_admin(), moderator()
        services.update_member(actor=admin, member=member, roles=member.roles,
                               service=None, is_active=False)
        services.update_member(actor=admin, member=member, roles=member.roles,
                               service=None, is_active=False)  # nothing changes
        [change] = AccessChange.objects.filter(member=member)
        assert (change.was_active, change.is_active) == (True, False)
        assert change.roles_before == change.roles_after == [Role.AGENT, Role.MODERATOR]


def test_refused_changes_change_nothing_and_journal_nothing(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin()
        with pytest.raises(ValidationError) as lockout:
            services.update_member(actor=admin, member=admin, roles=[Role.AGENT],
                                   service=None, is_active=True)
        assert lockout.value.code == "self_lockout"
        with pytest.raises(ValidationError) as no_role:
            services.update_member(actor=admin, member=agent(), roles=["operator"],
                                   service=None, is_active=True)
        assert no_role.value.code == "no_role"
        assert User.objects.get(pk=admin.pk).roles == [
            Role.AGENT, Role.MODERATOR, Role.AUTHORITY_ADMIN]
        assert not AccessChange.objects.exists()


def test_the_command_line_goes_through_the_same_journalled_service(chatellerault):
    with in_authority(chatellerault):
        authority_admin(email="dgs@chatellerault.example")
        member = agent(email="marc@chatellerault.example")
    out = StringIO()
    call_command("set_member_access", "--authority", "chatellerault",
                 "--email", "MARC@chatellerault.example",
                 "--roles", "agent,moderator,authority_admin", stdout=out)
    assert "marc@chatellerault.example" in out.getvalue()
    call_command("set_member_access", "--authority", "chatellerault",
                 "--email", "marc@chatellerault.example", "--deactivate", stdout=StringIO())
    with in_authority(chatellerault):
        member.refresh_from_db()
        assert (member.roles, member.is_active) == (
            [Role.AGENT, Role.MODERATOR, Role.AUTHORITY_ADMIN], False)
        changes = list(AccessChange.objects.filter(member=member).order_by("created_at", "pk")
                       .values_list("actor", "actor_label", "via", "roles_after", "is_active"))
    assert changes == [
        (None, "manage.py set_member_access", "command_line",
         [Role.AGENT, Role.MODERATOR, Role.AUTHORITY_ADMIN], True),
        (None, "manage.py set_member_access", "command_line",
         [Role.AGENT, Role.MODERATOR, Role.AUTHORITY_ADMIN], False)]


@pytest.mark.parametrize("args", [["--roles", "agent,operator"], ["--roles", ""],
                                  ["--email", "nobody@chatellerault.example"]])
def test_the_command_refuses_bad_input_with_exit_code_1(chatellerault, args):
    with in_authority(chatellerault):
        member = agent(email="marc@chatellerault.example")
    options = {"--email": "marc@chatellerault.example",
               **dict(zip(args[::2], args[1::2], strict=True))}
    with pytest.raises(CommandError) as refused:
        call_command("set_member_access", "--authority", "chatellerault",
                     *[item for pair in options.items() for item in pair], stdout=StringIO())
    assert refused.value.returncode == 1
    with in_authority(chatellerault):
        assert User.objects.get(pk=member.pk).roles == [Role.AGENT]
        assert not AccessChange.objects.exists()


def test_the_last_active_administrator_cannot_be_removed_from_the_command_line(
        chatellerault):
    with in_authority(chatellerault):
        User.objects.filter(roles__contains=[Role.AUTHORITY_ADMIN]).update(is_active=False)
        authority_admin(email="seule@chatellerault.example")
    with pytest.raises(CommandError) as refused:
        call_command("set_member_access", "--authority", "chatellerault",
                     "--email", "seule@chatellerault.example", "--deactivate",
                     stdout=StringIO())
    assert "au moins un administrateur actif" in str(refused.value)
    with in_authority(chatellerault):
        assert User.objects.get(email="seule@chatellerault.example").is_active


def test_sign_up_journals_the_new_agent(chatellerault):
    with in_authority(chatellerault):
        user = services.register_agent(
            authority=chatellerault, email="nouvelle@chatellerault.example", first_name="Léa",
            last_name="Roux", service=None, password="Recyclons-86100!",
            host="chatellerault.localhost")
        [change] = AccessChange.objects.filter(member=user)
    assert (change.actor_id, change.via, change.roles_before, change.roles_after,
            change.was_active) == (user.pk, "sign_up", [], [Role.AGENT], None)


def _siren(prefix: str) -> str:
    return next(prefix + str(d) for d in range(10) if luhn_is_valid(prefix + str(d)))


def test_onboarding_from_the_command_line_is_audited_like_the_console(db):
    out = StringIO()
    call_command("onboard_authority", "--name", "Commune de Vouneuil", "--kind", "commune",
                 "--siren", _siren("21869885"), "--slug", "journal-vouneuil",
                 "--admin-email", "dgs@vouneuil.example", "--email-domain", "vouneuil.example",
                 stdout=out)
    assert json.loads(out.getvalue())["slug"] == "journal-vouneuil"
    authority = Authority.objects.get(slug="journal-vouneuil")
    action = OperatorAction.objects.get(action="authority_created", authority=authority)
    assert (action.actor, action.details) == (None, {"slug": "journal-vouneuil",
                                                     "via": "command line"})
    with in_authority(authority):
        [change] = AccessChange.objects.all()
        assert change.member.email == "dgs@vouneuil.example"
        assert (change.actor_label, change.via, change.roles_before, change.was_active) == (
            "manage.py onboard_authority", "onboarding", [], None)
        assert change.roles_after == [Role.AGENT, Role.MODERATOR, Role.AUTHORITY_ADMIN]


def test_onboarding_from_the_console_names_the_operator_in_both_logs(db):
    olivier = operator(email="olivier@collectivrecup.example", first_name="Olivier",
                       last_name="Martin")
    response = verified_operator_client(olivier).post("/operator/authorities/new/", {
        "name": "Commune de Vouneuil", "kind": "commune", "siren": _siren("21869886"),
        "slug": "journal-console", "admin_email": "dgs@vouneuil.example",
        "email_domains": "vouneuil.example", "departement": "86", "population": "1900"})
    assert response.status_code == 302, response.content.decode()[:2000]
    authority = Authority.objects.get(slug="journal-console")
    [action] = OperatorAction.objects.filter(action="authority_created", authority=authority)
    assert (action.actor, action.details["via"]) == (olivier, "console")
    with in_authority(authority):
        [change] = AccessChange.objects.all()
        assert change.actor_label == "Olivier Martin <olivier@collectivrecup.example>"


def test_the_journal_page_lists_the_latest_changes_first_paginated(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin(first_name="Anne", last_name="Durand")
        member = agent(first_name="Marc", last_name="Petit")
        start = timezone.now() - timedelta(days=1)
        for minute in range(60):
            AccessChangeFactory(
                created_at=start + timedelta(minutes=minute), actor=admin,
                actor_label="Anne Durand", member=member, member_label=f"Membre {minute:02}",
                roles_before=[Role.AGENT], roles_after=[Role.AGENT, Role.MODERATOR])
    client = client_for(chatellerault, admin)
    first = client.get("/accounts/admin/journal/").content.decode()
    assert first.count('class="access-change"') == 50
    assert first.index("Membre 59") < first.index("Membre 58")
    assert "Membre 09" not in first
    second = client.get("/accounts/admin/journal/?page=2").content.decode()
    assert second.count('class="access-change"') == 10
    assert "Membre 09" in second and "Membre 10" not in second
    assert "Modérateur" in first


def test_the_journal_page_is_for_the_authority_admins_only(chatellerault, grand_chatellerault):
    with in_authority(chatellerault):
        plain, mod, admin = agent(), moderator(), authority_admin()
        services.update_member(actor=admin, member=plain, roles=[Role.AGENT, Role.MODERATOR],
                               service=None, is_active=True)
    for user in (plain, mod):
        assert client_for(chatellerault, user).get("/accounts/admin/journal/"
                                                   ).status_code == 403
    with in_authority(grand_chatellerault):
        other_admin = authority_admin()
    other = client_for(grand_chatellerault, other_admin).get("/accounts/admin/journal/")
    assert other.status_code == 200
    assert plain.email not in other.content.decode()


def test_the_journal_page_queries_do_not_grow_with_entries(chatellerault):
    with in_authority(chatellerault):
        admin = authority_admin()
        members = [agent() for _ in range(3)]
    client = client_for(chatellerault, admin)

    def page_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/accounts/admin/journal/").status_code == 200
        return len(queries)

    with in_authority(chatellerault):
        services.update_member(actor=admin, member=members[0], roles=[Role.MODERATOR],
                               service=None, is_active=True)
    few = page_queries()
    with in_authority(chatellerault):
        for member in members:
            for active in (False, True, False):
                services.update_member(actor=admin, member=member, roles=[Role.AGENT],
                                       service=None, is_active=active)
    assert page_queries() == few
