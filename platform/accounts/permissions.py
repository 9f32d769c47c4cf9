"""Who may do what, by role: the one place where a role name is tested.

Role rules are `can_*` / `is_*` functions of a user; object rules (a listing, a wanted
request…) live in exchange/listings/permissions.py and are built on these. Services, web views
(the decorators below), API views (accounts/api_permissions.py, DRF classes calling
the same functions), forms and templates (the `can` flags of `permission_flags`, put
in every template's context by accounts.context_processors.permissions) all ask here;
tests/platform_core/test_permission_rules.py fails on a role-name test anywhere else.

Choosing who *holds* a role (e.g. the moderators to e-mail) is a read, not a decision:
accounts.selectors.members_with_role.

Pages open to any signed-in member of the authority (home, profile) use Django's
`login_required`: users exist only in their own schema.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.shortcuts import redirect

from accounts.models import AuthorityOidcProvider, Role


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


def is_agent(user) -> bool:
    """An agent of this authority: posts listings, answers them, sees its own impact."""
    return user_has_role(user, Role.AGENT)


def can_moderate(user) -> bool:
    """A moderator of this authority: the queue, every listing, € values, statistics."""
    return user_has_role(user, Role.MODERATOR)


def can_administer(user) -> bool:
    """An administrator of this authority: members, categories, sharing, partners,
    billing, offboarding, statistics settings."""
    return user_has_role(user, Role.AUTHORITY_ADMIN)


def can_configure_identity_provider(user) -> bool:
    """The authority's own OpenID Connect provider: its settings, its test, the switch
    (accounts.sso.own) — its administrators only."""
    return can_administer(user)


def roles_granting_moderation(roles) -> list[str]:
    """`roles` with the moderator role an identity provider's role mapping grants
    (accounts.sso.own): added, every other role kept — an administrator stays one."""
    return list(dict.fromkeys([*roles, Role.MODERATOR]))


def can_operate(user) -> bool:
    """A platform operator, signed in on the console (the second factor is checked by
    `operator_required`, not here)."""
    return user_has_role(user, Role.OPERATOR)


def can_use_exchange(user) -> bool:
    """May read and use the exchange (feed, listings, wanted requests, shared feed),
    on the web pages and the API alike: an agent or a moderator."""
    return is_agent(user) or can_moderate(user)


def can_manage_factors(user) -> bool:
    """May set the authority's own weight and CO2e factors: moderators and admins."""
    return can_moderate(user) or can_administer(user)


def is_finance(user) -> bool:
    """A member of the authority's finance team: enters the year's purchases."""
    return user_has_role(user, Role.FINANCE)


def can_manage_purchases(user) -> bool:
    """May enter, import and correct the AGEC purchases and the donations received
    elsewhere (issue 16): the finance team and the authority's administrators."""
    return is_finance(user) or can_administer(user)


def can_view_agec(user) -> bool:
    """May read the « Loi AGEC » page, its declaration, the purchases and their
    history: moderators, the finance team and administrators."""
    return can_moderate(user) or is_finance(user) or can_administer(user)


def is_logistics(user) -> bool:
    """A member of the authority's logistics team: plans and carries transports."""
    return user_has_role(user, Role.LOGISTICS)


def can_plan_transport(user) -> bool:
    """May use the logistics board (issue 18): teams, rounds, picked up and delivered,
    every transport request of the authority: the logistics team and administrators."""
    return is_logistics(user) or can_administer(user)


def is_it(user) -> bool:
    """A member of the authority's IT team (« Informatique »): keeps the IT register."""
    return user_has_role(user, Role.IT)


def can_manage_it_assets(user) -> bool:
    """May keep the IT register (issue 19): see every asset with its serial number,
    add, edit and import them: the IT team and administrators."""
    return is_it(user) or can_administer(user)


def can_see_serial_number(user, asset) -> bool:
    """The serial number of an IT asset: whoever manages the register, and the person
    holding the asset; an agent never sees the serial numbers of items they do not
    hold. `asset` is an itassets ITAsset, read through its `holder_user_id`."""
    if can_manage_it_assets(user):
        return True
    return bool(getattr(user, "pk", None)) and asset.holder_user_id == user.pk


def can_view_it_figures(user) -> bool:
    """May read the IT register's yearly figures (issue 19: items retired, reused,
    donated, recycled, the décret n° 2023-266 share; counts, never a serial number):
    those who read the « Loi AGEC » page (moderators, finance team, administrators)
    and the IT team."""
    return can_view_agec(user) or can_manage_it_assets(user)


def can_list_own_it_assets(user) -> bool:
    """May open « Mon matériel informatique », the IT equipment they hold themself
    (with its serial numbers: can_see_serial_number): the exchange's members."""
    return can_use_exchange(user)


def can_request_transport(user, listing) -> bool:
    """May ask for transport of a taken listing (reserved, or given to a service,
    another authority or a partner): its poster, or an agent of the service that took
    it. `listing` is an exchange Listing, read through its own `is_taken()` and
    `taker_service_ids()` (accounts sits below the exchange and never imports it)."""
    if not is_agent(user) or not listing.is_taken():
        return False
    if listing.poster_id == user.pk:
        return True
    return user.service_id is not None and user.service_id in listing.taker_service_ids()


def can_use_transports(user) -> bool:
    """May open the transport pages at all: agents (their requests) and planners."""
    return is_agent(user) or can_plan_transport(user)


def can_follow_transport(user, transport) -> bool:
    """May see a transport request and its status: the agent who asked for it, the
    listing's poster, and whoever plans transports."""
    if can_plan_transport(user):
        return True
    if transport.listing_id is None:  # a copy handed over by another authority
        return False
    return is_agent(user) and user.pk in (transport.requested_by_id,
                                          transport.listing.poster_id)


def can_hand_over_transport(user, transport) -> bool:
    """May hand a transport request to the receiving authority's logistics team: a
    planner, for a request not planned nor handed yet whose items were given to another
    authority (its transfer names the receiver's slug). Whether the sharing agreement
    still holds is the crossing's ground, checked when handing over."""
    transfer = transport.transfer if transport.transfer_id else None
    return (can_plan_transport(user) and transport.status == "requested"
            and not transport.handed_to_slug and not transport.handed_from_slug
            and transfer is not None and bool(transfer.recipient_authority_slug))


def can_refuse_handed_transport(user, transport) -> bool:
    """May refuse, with a reason, a transport another authority handed over: a planner
    of the receiving authority, before it is picked up."""
    return (can_plan_transport(user) and bool(transport.handed_from_slug)
            and transport.status in ("requested", "planned"))


def can_cancel_transport(user, transport) -> bool:
    """May cancel a transport request not picked up yet: its requester and planners."""
    return transport.is_cancellable and (
        can_plan_transport(user)
        or (is_agent(user) and transport.requested_by_id == user.pk))


def can_lend(user) -> bool:
    """May register equipment their service lends (issue 18): a member of the exchange
    who belongs to a service, or an administrator (for any service)."""
    return (can_use_exchange(user) and getattr(user, "service_id", None) is not None) \
        or can_administer(user)


def can_manage_loans_of(user, service_id: int | None) -> bool:
    """May manage the lendable items of service `service_id` and decide on their
    bookings (approve, decline, pickup, return, damage): the members of that service
    who use the exchange, and the authority's administrators. An agent of another
    service may not."""
    if can_administer(user):
        return True
    return (service_id is not None and can_use_exchange(user)
            and getattr(user, "service_id", None) == service_id)


def can_manage_lendable_item(user, item) -> bool:
    """`can_manage_loans_of` the item's owning service."""
    return can_manage_loans_of(user, item.service_id)


def can_borrow(user) -> bool:
    """May see the lending catalogue of the authority and request bookings: members of
    the exchange (agents, moderators)."""
    return can_use_exchange(user)


def can_cancel_booking(user, booking) -> bool:
    """The borrower may cancel their own booking before pickup; so may the owners."""
    return booking.borrower_id == getattr(user, "pk", None) or can_manage_lendable_item(
        user, booking.item)


def roles_grant_administration(roles, is_active: bool) -> bool:
    """Would an account with `roles` (and this access) administer the authority? Used
    by accounts.services to keep an admin from locking themself out and to keep one
    active administrator."""
    return is_active and Role.AUTHORITY_ADMIN in roles


def permission_flags(user) -> dict[str, bool]:
    """The flags templates test instead of role names (`{% if can.moderate %}`)."""
    return {
        "agent": is_agent(user),
        "use_exchange": can_use_exchange(user),
        "moderate": can_moderate(user),
        "administer": can_administer(user),
        "manage_factors": can_manage_factors(user),
        "manage_purchases": can_manage_purchases(user),
        "view_agec": can_view_agec(user),
        "operate": can_operate(user),
        "plan_transport": can_plan_transport(user),
        "borrow": can_borrow(user),
        "lend": can_lend(user),
        "manage_it_assets": can_manage_it_assets(user),
        "view_it_figures": can_view_it_figures(user),
    }


def _is_verified(user) -> bool:
    """True when the session passed a second factor (django-otp's OTPMiddleware)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def rule_required(rule, *, login_url: str | None = None, second_factor: bool = False):
    """Decorator: anonymous users go to the login page, users for whom `rule(user)` is
    false get 403; with `second_factor`, a session without one goes to verify first."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(),
                                         login_url or settings.LOGIN_URL)
            if not rule(request.user):
                raise PermissionDenied
            if second_factor and not _is_verified(request.user):
                # Password alone is not enough: the second factor comes first.
                return redirect("operator:verify")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


agent_required = rule_required(is_agent)
exchange_member_required = rule_required(can_use_exchange)
moderator_required = rule_required(can_moderate)
authority_admin_required = rule_required(can_administer)
identity_provider_admin_required = rule_required(can_configure_identity_provider)
factor_manager_required = rule_required(can_manage_factors)
purchase_manager_required = rule_required(can_manage_purchases)
agec_viewer_required = rule_required(can_view_agec)
transport_planner_required = rule_required(can_plan_transport)
transport_member_required = rule_required(can_use_transports)
borrower_required = rule_required(can_borrow)
it_manager_required = rule_required(can_manage_it_assets)
own_it_assets_required = rule_required(can_list_own_it_assets)
lender_required = rule_required(can_lend)
operator_required = rule_required(can_operate, login_url="operator:login",
                                  second_factor=True)


def may_sign_in_with_password(user, authority) -> bool:
    """Password sign-in on the web page: refused to the agents of an authority whose
    passwords are closed (`password_accounts_closed`); its administrators keep their
    password, the way back in if the provider fails — with a second factor
    (`needs_second_factor`). Sign-up is closed there too."""
    if not password_accounts_closed(authority):
        return True
    return roles_grant_administration(user.roles, user.is_active)


def may_get_api_token_with_password(user, authority) -> bool:
    """An API token for an e-mail and a password: refused to everyone of an authority
    whose passwords are closed, administrators included — the API has no second
    factor, and break-glass is for the web pages (an admin signs in there)."""
    return not password_accounts_closed(authority)


def needs_second_factor(user, authority) -> bool:
    """Break-glass: an administrator signing in with a password while their authority's
    agents cannot also gives a code of their TOTP device (accounts.two_factor)."""
    return (password_accounts_closed(authority)
            and roles_grant_administration(user.roles, user.is_active))


def password_accounts_closed(authority) -> bool:
    """The authority's agents sign in with an identity provider only (no sign-up, no
    password): it is set to "SSO only" and one of its providers is on — ProConnect
    (platform-wide) or its own OpenID Connect provider, switched on by its
    administrators (accounts.sso.own; this reads the current schema, the
    authority's). "SSO only" with no provider on closes nothing: nobody is locked out."""
    if not getattr(authority, "sso_only", False):
        return False
    return bool(settings.PROCONNECT_ENABLED) or \
        AuthorityOidcProvider.objects.filter(is_enabled=True).exists()
