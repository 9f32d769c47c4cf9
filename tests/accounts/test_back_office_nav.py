"""The back office grouped by task (issue 20): which groups and entries each member sees
is decided by the permission flags (accounts.permissions), and every page of the back
office shows the group its section belongs to."""

import re

import pytest
from django.urls import reverse

from accounts.back_office import GROUPS, back_office_nav, group_of
from accounts.models import Role
from accounts.permissions import permission_flags
from tests.accounts.factories import UserFactory, agent, authority_admin, finance, moderator
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db


def shown(user, section=None) -> dict[str, list[str]]:
    nav = back_office_nav(permission_flags(user), section)
    groups = {str(group["label"]): [] for group in nav["groups"]}
    current = [str(group["label"]) for group in nav["groups"] if group["current"]]
    if current:
        groups[current[0]] = [str(entry["label"]) for entry in nav["entries"]]
    return groups


def test_every_section_belongs_to_one_group_and_names_a_known_flag(chatellerault):
    sections = [entry.section for group in GROUPS for entry in group.entries]
    assert len(sections) == len(set(sections))
    with in_authority(chatellerault):
        flags = permission_flags(agent())
    for group in GROUPS:
        for entry in group.entries:
            assert entry.flag in flags, entry
            assert group_of(entry.section) is group
            reverse(entry.url_name)  # names a page that exists


def test_each_member_sees_the_groups_of_their_tasks(chatellerault):
    with in_authority(chatellerault):
        an_agent, a_moderator = agent(), moderator()
        finance_team, admin = finance(), authority_admin()
        admin_only = UserFactory(roles=[Role.AGENT, Role.AUTHORITY_ADMIN])
        assert shown(an_agent, "queue") == {}
        assert shown(a_moderator, "queue") == {
            "Modération": ["File d'attente", "Cessions à confirmer",
                           "Cessions reçues à confirmer", "Réponses types"],
            "Statistiques": []}
        assert shown(finance_team, "agec") == {"Statistiques": ["Loi AGEC"]}
        assert shown(admin_only, "agec") == {
            "Statistiques": ["Loi AGEC", "Facteurs"], "Administration": [], "Paramètres": []}
        assert list(shown(admin, "billing")) == [
            "Modération", "Statistiques", "Administration", "Paramètres"]
        assert shown(admin, "billing")["Paramètres"] == [
            "Catégories", "Paramètres des échanges", "Réglages des statistiques", "Partage",
            "Partenaires", "Informations de facturation", "Exporter nos données"]


def test_a_group_links_to_the_first_entry_its_member_may_open(chatellerault):
    with in_authority(chatellerault):
        finance_team, a_moderator = finance(), moderator()
        [statistics] = back_office_nav(permission_flags(finance_team), "agec")["groups"]
        assert statistics["url"] == reverse("statistics:agec_report")
        groups = back_office_nav(permission_flags(a_moderator), "queue")["groups"]
        assert [g["url"] for g in groups] == [reverse("exchange:moderation_queue"),
                                              reverse("exchange:moderation_dashboard")]


@pytest.mark.parametrize(("name", "group", "entry"), [
    ("exchange:moderation_queue", "Modération", "File d'attente"),
    ("exchange:moderation_dashboard", "Statistiques", "Chiffres"),
    ("statistics:moderation_report", "Statistiques", "Rapport"),
    ("accounts:member_list", "Administration", "Utilisateurs et rôles"),
    ("accounts:identity_provider", "Administration", "Fournisseur d'identité"),
    ("exchange:settings", "Paramètres", "Paramètres des échanges"),
    ("billing:details", "Paramètres", "Informations de facturation"),
    ("offboarding:exports", "Paramètres", "Exporter nos données"),
])
def test_each_page_shows_its_group_open_and_its_entry_current(chatellerault, name, group,
                                                               entry):
    with in_authority(chatellerault):
        admin = authority_admin()
    html = client_for(chatellerault, admin).get(reverse(name)).content.decode()
    current_group = re.search(r'data-group="\w+" aria-current="true">([^<]+)<', html)
    current_entry = re.search(r'aria-current="page">([^<]+)<', html.split("back-office-nav")[1])
    assert current_group and current_group.group(1) == group
    assert current_entry and current_entry.group(1).replace("&#x27;", "'") == entry
