"""DRF permissions of the API: thin wrappers around the permission layer the web pages
use (accounts.permissions, exchange.permissions). No role is checked anywhere else.

Anonymous callers get 401 (DRF turns a failed permission into NotAuthenticated when no
credentials were sent or they were wrong); members without the role get 403.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from accounts.models import Role
from accounts.permissions import user_has_role
from exchange import permissions as rules


class IsMember(BasePermission):
    """A member of this authority who may use the exchange: an agent or a moderator."""

    message = _("Your account cannot use the exchange.")

    def has_permission(self, request, view) -> bool:
        return user_has_role(request.user, Role.AGENT) or rules.is_moderator(request.user)


class IsModerator(BasePermission):
    """A moderator of this authority."""

    message = _("Only moderators can do this.")

    def has_permission(self, request, view) -> bool:
        return rules.is_moderator(request.user)
