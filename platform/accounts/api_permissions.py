"""DRF permissions of the agents' API (every app serving part of it): thin wrappers
around the permission layer the web pages use (accounts.permissions): `IsMember` is
the web pages' `exchange_member_required`, `IsModerator` their `moderator_required`.

Anonymous callers get 401 (DRF turns a failed permission into NotAuthenticated when no
credentials were sent or they were wrong); members without the role get 403.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from accounts.permissions import (
    can_moderate,
    can_use_exchange,
    can_view_agec,
    can_view_it_figures,
    is_agent,
)


class IsMember(BasePermission):
    """A member of this authority who may use the exchange: an agent or a moderator."""

    message = _("Your account cannot use the exchange.")

    def has_permission(self, request, view) -> bool:
        return can_use_exchange(request.user)


class IsModerator(BasePermission):
    """A moderator of this authority."""

    message = _("Only moderators can do this.")

    def has_permission(self, request, view) -> bool:
        return can_moderate(request.user)


class IsAgecViewer(BasePermission):
    """May read the AGEC figures: a moderator, the finance team or an administrator."""

    message = _("Only moderators, the finance team and administrators can do this.")

    def has_permission(self, request, view) -> bool:
        return can_view_agec(request.user)


class IsAgent(BasePermission):
    """An agent of this authority (the web pages' `agent_required`)."""

    message = _("Only agents can do this.")

    def has_permission(self, request, view) -> bool:
        return is_agent(request.user)


class IsITFiguresViewer(BasePermission):
    """May read the IT register's yearly figures: a moderator, the finance team, an
    administrator or the IT team."""

    message = _("Only moderators, the finance team, administrators and the IT team can do "
                "this.")

    def has_permission(self, request, view) -> bool:
        return can_view_it_figures(request.user)
