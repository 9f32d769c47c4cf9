"""Reads on accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import AccessChange, SignInRecord, User

JOURNAL_PAGE_SIZE = 50


def access_journal() -> QuerySet[AccessChange]:
    """The journal of role and access changes of the current authority, latest first.
    Every line carries its people as text: no join, whatever the page size."""
    return AccessChange.objects.order_by("-created_at", "-pk")


def single_sign_ons() -> QuerySet[SignInRecord]:
    """ProConnect sign-in attempts that reached this authority, latest first (people as
    text, no join)."""
    return SignInRecord.objects.order_by("-created_at", "-pk")


def members_with_role(role: str, *, include_inactive: bool = False) -> QuerySet[User]:
    """The accounts of the current schema that hold `role` (active ones unless
    `include_inactive`), ordered by e-mail: who to notify, list or count. Choosing
    people is a read, not a permission decision (those are accounts.permissions)."""
    members = User.objects.filter(roles__contains=[role])
    if not include_inactive:
        members = members.filter(is_active=True)
    return members.order_by("email")


def addresses_of_role(role: str) -> list[str]:
    """The e-mail addresses of the current schema's active holders of `role`."""
    return list(members_with_role(role).values_list("email", flat=True))
