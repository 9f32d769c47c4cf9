"""Role checks shared by web views (decorators) and, later, the API (DRF permissions).

Every view that needs a role goes through one of these, so a role check is never
written inline twice. Pages open to any signed-in member of the authority (home,
profile) use Django's `login_required`: users exist only in their own schema.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.shortcuts import redirect

from .models import Role


def user_has_role(user, role: str) -> bool:
    """True when `user` holds `role` in the schema of the current request.

    Operators exist only in the public schema, authority roles only in an
    authority's schema; a role found in the wrong place counts for nothing.
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    in_public = connection.schema_name == settings.PUBLIC_SCHEMA_NAME
    if role == Role.OPERATOR:
        return in_public and user.has_role(Role.OPERATOR)
    return not in_public and user.has_role(role)


def _is_verified(user) -> bool:
    """True when the session passed a second factor (django-otp's OTPMiddleware)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def role_required(role: str):
    """Decorator: anonymous users go to the login page, users without `role` get 403."""

    login_url = "operator:login" if role == Role.OPERATOR else settings.LOGIN_URL

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url)
            if not user_has_role(request.user, role):
                raise PermissionDenied
            if role == Role.OPERATOR and not _is_verified(request.user):
                # Password alone is not enough: the second factor comes first.
                return redirect("operator:verify")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


agent_required = role_required(Role.AGENT)
moderator_required = role_required(Role.MODERATOR)
authority_admin_required = role_required(Role.AUTHORITY_ADMIN)
operator_required = role_required(Role.OPERATOR)
