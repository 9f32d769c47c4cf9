"""Authority admins' pages of the exchange: its settings and the category tree, plus the
category services (exchange/listings/services/categories.py) behind them."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from exchange.listings import selectors
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Category, CategoryKind, ExchangeSettings, ModerationMode
from exchange.listings.selectors import exchange_settings
from exchange.listings.services import categories
from tests.accounts.factories import agent, authority_admin, moderator
from tests.conftest import client_for, host_of, in_authority
from tests.exchange.listings.factories import CategoryFactory

pytestmark = pytest.mark.django_db

FOREIGN_PK = 987_654  # a pk no category of Châtellerault has


@pytest.fixture
def world(chatellerault):
    with in_authority(chatellerault):
        return SimpleNamespace(
            authority=chatellerault,
            admin=authority_admin(email="sophie@chatellerault.example"),
            moderator=moderator(email="nadia@chatellerault.example"),
            agent=agent(email="camille@chatellerault.example"),
            furniture=Category.objects.get(parent=None, name="Mobilier"),
            chairs=Category.objects.get(name="Chaise visiteur / empilable"),
            computers=Category.objects.get(parent=None, name="Informatique et téléphonie"),
        )


def url(name, *args):
    return reverse(f"exchange:{name}", args=args)


def current_settings(world) -> ExchangeSettings:
    with in_authority(world.authority):
        return exchange_settings()


VALID_SETTINGS = {
    "moderation_mode": "post",
    "review_words": "amiante, personnel,\nplomb, Amiante",
    "contact_cc": "achats@chatellerault.example, dst@chatellerault.example",
    "expiry_days": "90",
    "it_enabled": "",
    "appliances_enabled": "on",
    "contacts_per_hour": "5",
}


# --- Settings ------------------------------------------------------------------------------

def test_admin_changes_the_exchange_settings(world):
    client = client_for(world.authority, world.admin)
    page = client.get(url("settings"))
    assert page.status_code == 200
    assert 'name="expiry_days" value="60"' in page.content.decode()
    data = {**VALID_SETTINGS}
    del data["it_enabled"]  # an unticked checkbox is not sent
    response = client.post(url("settings"), data)
    assert response.status_code == 302
    rules = current_settings(world)
    assert rules.moderation_mode == ModerationMode.POST
    assert rules.review_words == ["amiante", "personnel", "plomb"]
    assert rules.contact_cc == ["achats@chatellerault.example", "dst@chatellerault.example"]
    assert rules.expiry_days == 90
    assert rules.it_enabled is False
    assert rules.appliances_enabled is True
    assert rules.contacts_per_hour == 5
    # Lists come back as comma-separated text.
    html = client.get(url("settings")).content.decode()
    assert 'value="amiante, personnel, plomb"' in html


def test_empty_contact_cc_means_every_moderator(world):
    client = client_for(world.authority, world.admin)
    response = client.post(url("settings"), {**VALID_SETTINGS, "contact_cc": " , "})
    assert response.status_code == 302
    assert current_settings(world).contact_cc == []


@pytest.mark.parametrize("field, value", [
    ("contact_cc", "achats@chatellerault.example, pas-une-adresse"),
    ("expiry_days", "3"),
    ("expiry_days", "-10"),
    ("moderation_mode", "sometimes"),
])
def test_bad_settings_are_refused_and_nothing_changes(world, field, value):
    before = current_settings(world)
    response = client_for(world.authority, world.admin).post(
        url("settings"), {**VALID_SETTINGS, field: value})
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    html = response.content.decode()
    assert 'class="field field-invalid"' in html
    assert value.split(",")[-1].strip() in html  # what was typed is kept
    after = current_settings(world)
    assert (after.moderation_mode, after.expiry_days, after.contact_cc) == (
        before.moderation_mode, before.expiry_days, before.contact_cc)


def test_bad_address_is_named_in_the_error(world):
    response = client_for(world.authority, world.admin).post(
        url("settings"), {**VALID_SETTINGS, "contact_cc": "ok@chatellerault.example, faux@"})
    assert any("faux@" in error for error in response.context["form"].errors["contact_cc"])


# --- Category pages ------------------------------------------------------------------------

def test_category_list_shows_the_tree_with_reference_items(world):
    page = client_for(world.authority, world.admin).get(url("category_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mobilier" in html and "Chaise visiteur / empilable" in html
    assert f'data-category="{world.chairs.pk}"' in html
    assert f'{url("category_create")}?parent={world.furniture.pk}' in html


def _category_list_queries(world) -> int:
    client = client_for(world.authority, world.admin)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("category_list")).status_code == 200
    return len(queries)


def test_category_list_query_count_does_not_grow(world):
    before = _category_list_queries(world)
    with in_authority(world.authority):
        for n in range(5):
            family = categories.add_category(actor=world.admin, name=f"Famille {n}")
            for m in range(3):
                categories.add_category(actor=world.admin, name=f"Type {m}", parent=family,
                                        reference_code="chaise-visiteur")
    assert _category_list_queries(world) == before


def test_admin_renames_and_hides_a_category(world):
    client = client_for(world.authority, world.admin)
    assert client.get(url("category_edit", world.chairs.pk)).status_code == 200
    response = client.post(url("category_edit", world.chairs.pk),
                           {"name": "Chaises de réunion", "is_hidden": "on"})
    assert response.status_code == 302
    with in_authority(world.authority):
        world.chairs.refresh_from_db()
        assert world.chairs.name == "Chaises de réunion"
        assert world.chairs.is_hidden
        assert world.chairs not in selectors.visible_categories()


def test_hide_and_show_from_the_list(world):
    client = client_for(world.authority, world.admin)
    response = client.post(url("category_edit", world.furniture.pk), {"visibility": "hide"})
    assert response.status_code == 302
    with in_authority(world.authority):
        assert Category.objects.get(pk=world.furniture.pk).is_hidden
        # Hiding a family hides its item types.
        assert world.chairs not in selectors.visible_categories()
    client.post(url("category_edit", world.furniture.pk), {"visibility": "show"})
    with in_authority(world.authority):
        assert not Category.objects.get(pk=world.furniture.pk).is_hidden
        assert world.chairs in selectors.visible_categories()


def test_renaming_to_a_sibling_name_is_a_form_error(world):
    response = client_for(world.authority, world.admin).post(
        url("category_edit", world.chairs.pk), {"name": "bureau DROIT"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    with in_authority(world.authority):
        assert Category.objects.get(pk=world.chairs.pk).name == "Chaise visiteur / empilable"


def test_admin_adds_a_family_and_an_item_type(world):
    client = client_for(world.authority, world.admin)
    page = client.get(url("category_create"), {"parent": world.furniture.pk})
    assert page.status_code == 200
    html = page.content.decode()
    # Reference items come from the public schema, grouped by family.
    assert '<optgroup label="Mobilier">' in html
    assert '<option value="chaise-visiteur">' in html
    assert f'<option value="{world.furniture.pk}" selected>' in html

    assert client.post(url("category_create"), {"name": "Signalétique"}).status_code == 302
    with in_authority(world.authority):
        family = Category.objects.get(parent=None, name="Signalétique")
    response = client.post(url("category_create"), {
        "name": "Panneau d'affichage", "parent": family.pk, "reference_code": "bureau-droit"})
    assert response.status_code == 302
    with in_authority(world.authority):
        item = Category.objects.get(name="Panneau d'affichage")
        assert item.parent == family
        assert item.reference_code == "bureau-droit"
        assert item in selectors.visible_categories()


@pytest.mark.parametrize("data, field", [
    ({"name": "Tabouret", "parent": "FURNITURE"}, "reference_code"),
    ({"name": "Tabouret", "parent": "FURNITURE", "reference_code": "inconnu"}, "reference_code"),
    ({"name": "Famille", "reference_code": "bureau-droit"}, "reference_code"),
    ({"name": "  ", "parent": "FURNITURE", "reference_code": "bureau-droit"}, "name"),
    ({"name": "Bureau droit", "parent": "FURNITURE", "reference_code": "bureau-droit"}, "name"),
])
def test_bad_new_categories_are_form_errors(world, data, field):
    data = {k: (world.furniture.pk if v == "FURNITURE" else v) for k, v in data.items()}
    with in_authority(world.authority):
        count = Category.objects.count()
    response = client_for(world.authority, world.admin).post(url("category_create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    with in_authority(world.authority):
        assert Category.objects.count() == count


# --- Category services ---------------------------------------------------------------------

def test_only_authority_admins_change_categories(world):
    with in_authority(world.authority):
        for actor in (world.moderator, world.agent):
            with pytest.raises(ExchangeError) as refused:
                categories.rename_category(category=world.chairs, actor=actor, name="X")
            assert refused.value.code == "forbidden"
            with pytest.raises(ExchangeError):
                categories.set_category_hidden(category=world.chairs, actor=actor, hidden=True)
            with pytest.raises(ExchangeError):
                categories.add_category(actor=actor, name="X")
        assert Category.objects.get(pk=world.chairs.pk).name == "Chaise visiteur / empilable"


def test_an_item_type_takes_the_kind_of_its_family(world):
    with in_authority(world.authority):
        tablet = categories.add_category(actor=world.admin, name="Borne interactive",
                                         parent=world.computers, reference_code="bureau-droit")
        assert tablet.kind == CategoryKind.IT
        rules = exchange_settings()
        rules.it_enabled = False
        rules.save()
        assert tablet not in selectors.visible_categories()


def test_an_item_type_cannot_hold_another(world):
    with in_authority(world.authority):
        with pytest.raises(ExchangeError) as refused:
            categories.add_category(actor=world.admin, name="Sous-type", parent=world.chairs,
                                    reference_code="chaise-visiteur")
        assert refused.value.code == "parent"


def test_names_are_tidied_and_unique_per_family_ignoring_case(world):
    with in_authority(world.authority):
        item = categories.add_category(actor=world.admin, name="  Chaise   haute ",
                                       parent=world.furniture, reference_code="chaise-visiteur")
        assert item.name == "Chaise haute"
        with pytest.raises(ExchangeError):
            categories.add_category(actor=world.admin, name="CHAISE HAUTE",
                                    parent=world.furniture, reference_code="chaise-visiteur")
        # The same name in another family is fine.
        categories.add_category(actor=world.admin, name="Chaise haute",
                                parent=world.computers, reference_code="chaise-visiteur")
        # Renaming to its own name in another case is fine.
        categories.rename_category(category=item, actor=world.admin, name="chaise haute")
        assert Category.objects.get(pk=item.pk).name == "chaise haute"


# --- Who may see what --------------------------------------------------------------------

def admin_pages(category_pk: int) -> list[tuple[str, str]]:
    return [
        ("get", url("settings")),
        ("post", url("settings")),
        ("get", url("category_list")),
        ("get", url("category_create")),
        ("post", url("category_create")),
        ("get", url("category_edit", category_pk)),
        ("post", url("category_edit", category_pk)),
    ]


def test_agents_and_moderators_get_403_anonymous_users_the_login_page(world):
    for user in (world.agent, world.moderator):
        client = client_for(world.authority, user)
        for method, path in admin_pages(world.chairs.pk):
            assert getattr(client, method)(path, {"visibility": "hide"}).status_code == 403, path
    anonymous = client_for(world.authority)
    for method, path in admin_pages(world.chairs.pk):
        response = getattr(anonymous, method)(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path
    with in_authority(world.authority):
        assert not Category.objects.get(pk=world.chairs.pk).is_hidden


def test_a_category_of_another_authority_is_not_found(world, grand_chatellerault):
    with in_authority(grand_chatellerault):
        foreign = CategoryFactory(pk=FOREIGN_PK, name="Catégorie étrangère")
    client = client_for(world.authority, world.admin)
    assert client.get(url("category_edit", foreign.pk)).status_code == 404
    assert client.post(url("category_edit", foreign.pk),
                       {"visibility": "hide"}).status_code == 404
    response = client.post(url("category_create"), {"name": "Tabouret", "parent": foreign.pk,
                                                    "reference_code": "chaise-visiteur"})
    assert response.status_code == 400
    assert response.context["form"].errors["parent"]
    with in_authority(grand_chatellerault):
        assert not Category.objects.get(pk=FOREIGN_PK).is_hidden


def test_an_admin_of_one_authority_is_anonymous_on_the_other(world, grand_chatellerault):
    client = client_for(world.authority, world.admin)
    client.defaults["HTTP_HOST"] = host_of(grand_chatellerault)
    for method, path in admin_pages(world.chairs.pk):
        response = getattr(client, method)(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path


def test_an_admin_who_does_not_moderate_reaches_the_admin_pages_only(world):
    with in_authority(world.authority):
        admin = agent(roles=[Role.AGENT, Role.AUTHORITY_ADMIN])
    client = client_for(world.authority, admin)
    html = client.get(url("settings")).content.decode()
    assert url("category_list") in html
    # The queue's own link (administrators open « Loi AGEC », under the same path).
    assert f'href="{url("moderation_queue")}"' not in html.split('class="subnav"')[1]
    assert client.get(url("category_list")).status_code == 200
    assert client.get(url("moderation_queue")).status_code == 403


def test_settings_of_one_authority_do_not_touch_the_other(world, grand_chatellerault):
    response = client_for(world.authority, world.admin).post(url("settings"), VALID_SETTINGS)
    assert response.status_code == 302
    with in_authority(grand_chatellerault):
        assert exchange_settings().expiry_days == 60
