"""Writes on the category tree: seeded from the reference items when an authority is
provisioned (`seed_categories`), then changed by the authority's administrators: rename
a category, hide or show it, add a family or an item type.

Families have no parent and no reference item; item types sit under a family and point
at a reference item (analytics.ReferenceItem, public schema) so that weight and CO2e can
be estimated. Hiding a family hides its item types (see checks.check_category).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import can_administer
from analytics.models import ReferenceItem
from analytics.reference_data import APPLIANCE_FAMILIES, IT_FAMILIES, read_reference_rows
from core import cache as authority_cache
from exchange.listings.errors import ExchangeError
from exchange.listings.models import CATEGORIES_CACHE, Category, CategoryKind
from exchange.listings.services.settings import ensure_exchange_settings

NAME_MAX_LENGTH = Category._meta.get_field("name").max_length


# --- Seeding (provisioning) ----------------------------------------------------------

def _category_kind(family_name: str) -> str:
    if family_name in IT_FAMILIES:
        return CategoryKind.IT
    if family_name in APPLIANCE_FAMILIES:
        return CategoryKind.APPLIANCE
    return CategoryKind.GENERAL


def _bulk_seed_categories(rows: list[dict]) -> int:
    """A new schema's tree in two INSERTs (same rows as the get_or_create path)."""
    families: dict[str, Category] = {}
    for position, row in enumerate(rows):
        families.setdefault(row["family_fr"], Category(
            parent=None, name=row["family_fr"], kind=_category_kind(row["family_fr"]),
            position=position))
    Category.objects.bulk_create(families.values())
    items: dict[tuple[str, str], Category] = {}
    for position, row in enumerate(rows):
        family = families[row["family_fr"]]
        items.setdefault((row["family_fr"], row["label_fr"]), Category(
            parent=family, name=row["label_fr"], reference_code=row["code"],
            kind=family.kind, position=position))
    Category.objects.bulk_create(items.values())
    # bulk_create skips Category.save(), which forgets the cached categories.
    authority_cache.invalidate(CATEGORIES_CACHE, authority_cache.LISTING_CARDS)
    return len(families) + len(items)


def seed_categories() -> int:
    """Create the family/item-type tree from the reference items, and the authority's
    exchange settings row. Idempotent."""
    rows = read_reference_rows()
    if not Category.objects.exists():  # a new authority: no per-row round trips
        created = _bulk_seed_categories(rows)
        ensure_exchange_settings()
        return created
    created = 0
    families: dict[str, Category] = {}
    for position, row in enumerate(rows):
        family_name = row["family_fr"]
        kind = _category_kind(family_name)
        if family_name not in families:
            families[family_name], new = Category.objects.get_or_create(
                parent=None, name=family_name, defaults={"kind": kind, "position": position})
            created += new
        _, new = Category.objects.get_or_create(
            parent=families[family_name], name=row["label_fr"],
            defaults={"reference_code": row["code"], "kind": kind, "position": position})
        created += new
    ensure_exchange_settings()
    return created


# --- The administrators' changes -----------------------------------------------------


def _require_admin(actor: User) -> None:
    if not can_administer(actor):
        raise ExchangeError(_("Only the authority's administrators can change categories."),
                            code="forbidden")


def _clean_name(name: str, *, parent_id: int | None, exclude_pk: int | None = None) -> str:
    """The name with spaces tidied; refused when empty, too long or already used in
    the same family (ignoring case)."""
    name = " ".join((name or "").split())
    if not name:
        raise ExchangeError(_("Give the category a name."), code="name")
    if len(name) > NAME_MAX_LENGTH:
        raise ExchangeError(
            _("A category name has at most %(max)s characters.") % {"max": NAME_MAX_LENGTH},
            code="name")
    siblings = Category.objects.filter(parent_id=parent_id, name__iexact=name)
    if exclude_pk is not None:
        siblings = siblings.exclude(pk=exclude_pk)
    if siblings.exists():
        raise ExchangeError(_("This category already exists."), code="name")
    return name


def _save(category: Category, **kwargs) -> None:
    """Save, turning a race on the unique name into the same error as the check."""
    try:
        with transaction.atomic():
            category.save(**kwargs)
    except IntegrityError as error:
        raise ExchangeError(_("This category already exists."), code="name") from error


@transaction.atomic
def rename_category(*, category: Category, actor: User, name: str) -> Category:
    _require_admin(actor)
    category = Category.objects.select_for_update().get(pk=category.pk)
    category.name = _clean_name(name, parent_id=category.parent_id, exclude_pk=category.pk)
    _save(category, update_fields=["name"])
    return category


@transaction.atomic
def set_category_hidden(*, category: Category, actor: User, hidden: bool) -> Category:
    """Hide a category from new listings (existing ones keep it), or show it again."""
    _require_admin(actor)
    category = Category.objects.select_for_update().get(pk=category.pk)
    category.is_hidden = bool(hidden)
    category.save(update_fields=["is_hidden"])
    return category


@transaction.atomic
def add_category(*, actor: User, name: str, parent: Category | None = None,
                 reference_code: str = "") -> Category:
    """Add a family (no parent) or an item type under a family, with its reference item.

    An item type takes the kind of its family (IT, appliance…), so switching IT off
    also hides it.
    """
    _require_admin(actor)
    reference_code = (reference_code or "").strip()
    if parent is None:
        if reference_code:
            raise ExchangeError(_("A family has no reference item: add an item type under "
                                  "it instead."), code="reference")
        kind = CategoryKind.GENERAL
    else:
        if parent.parent_id is not None:
            raise ExchangeError(_("An item type belongs to a family, not to another item "
                                  "type."), code="parent")
        if not reference_code:
            raise ExchangeError(_("Choose the reference item this item type stands for."),
                                code="reference")
        if not ReferenceItem.objects.filter(code=reference_code).exists():
            raise ExchangeError(_("This reference item does not exist."), code="reference")
        kind = parent.kind
    parent_id = parent.pk if parent is not None else None
    name = _clean_name(name, parent_id=parent_id)
    last = Category.objects.filter(parent_id=parent_id).aggregate(last=Max("position"))["last"]
    category = Category(name=name, parent=parent, reference_code=reference_code, kind=kind,
                        position=(last or 0) + 1)
    _save(category)
    return category
