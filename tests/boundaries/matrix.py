"""The boundary matrix: for every route (key from routes.py), the answer each actor gets.

Rows are written with one helper per route family, which gives every actor its
default answer; pass `actor=EXPECT` to a helper to change one cell. The families:

- `page(gate)`: a page of an authority. Strangers to the host (anonymous, keys, the
  operator, B's session cookie shown at A's door) go to the login page; members lacking
  `gate` get 403; B's members holding it, asked for an object of A on their own host,
  get 404; members holding it get 200 (GET) or are let through (POST: 2xx/3xx/400).
- `api(gate)`: the agents' API: the same, with 401 for strangers.
- `operator_page()`: the operator console: everyone but the verified operator goes to
  the operator's login page.
- `partner_api(names_a_object)`: the partner API: keys that cannot read A's data are refused
  A's objects; the revoked key and non-keys get 401; the key of the suspended
  authority is refused (403: nothing live grants it anything), and so is the key of a
  revoked grant (401 or 403).
- `same_for_all(EXPECT)`: public pages.

How to add a row: add `"<host>:<namespace:name>": family(...)` to ROWS, with `kwargs`
naming objects of the world (actors.World.objects) when the pattern has parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from tests.boundaries.actors import (
    ACTORS,
    ADMIN_B,
    AGENT_A,
    AGENT_B,
    ANONYMOUS,
    B_SESSION_AT_A,
    MODERATOR_B,
    OPERATOR,
    PARTNER_KEY_A,
    PARTNER_KEY_B,
    REVOKED_GRANT_KEY,
    REVOKED_KEY,
    SUSPENDED_KEY,
    World,
)

# --- Expected answers -----------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """An expected answer: a status class, and for redirects where they lead."""

    label: str
    statuses: frozenset[int]
    location_prefix: str | None = None  # the redirect must lead there
    not_to_login: bool = False  # a redirect must not lead to a login page

    def mismatch(self, response) -> str | None:
        """Why `response` is not this answer (None when it is)."""
        location = response.get("Location", "")
        if response.status_code not in self.statuses:
            where = f" → {location}" if location else ""
            return f"got {response.status_code}{where}"
        if self.location_prefix and not location.startswith(self.location_prefix):
            return f"got a redirect to {location}"
        if self.not_to_login and "/login/" in location:
            return f"got a redirect to a login page ({location})"
        return None


def _expect(label: str, *statuses: int, **options) -> Expect:
    return Expect(label, frozenset(statuses), **options)


OK = _expect("200", 200)
LOGIN = _expect("redirect to the login page", 302, location_prefix="/accounts/login/")
OPERATOR_LOGIN = _expect("redirect to the operator's login page", 302,
                         location_prefix="/operator/login/")
REDIRECT = _expect("redirect (not to a login page)", 302, not_to_login=True)
BAD_REQUEST = _expect("400", 400)
UNAUTHORIZED = _expect("401", 401)
FORBIDDEN = _expect("403", 403)
NOT_FOUND = _expect("404", 404)
NOT_ALLOWED = _expect("405", 405)
REFUSED = _expect("refused (401, 403 or 404)", 401, 403, 404)
# The AGEC declaration of an authority that entered nothing: the gate let the reader
# through, and no file is served (analytics.agec.DeclarationIncomplete).
INCOMPLETE = _expect("409 (declaration incomplete, no file)", 409)
# An unsafe request with an empty body that passed every gate: done, redirected to a
# result, or refused for its content (the gate did not stop it).
LET_THROUGH = _expect("let through (2xx, non-login 3xx, 400 or 409)",
                      200, 201, 202, 204, 302, 303, 400, 409, not_to_login=True)


# --- Rows -----------------------------------------------------------------------------

Kwargs = Callable[[World], dict]


@dataclass
class Row:
    """How to ask a route, and what each actor gets."""

    expect: dict[str, Expect]
    method: str = "GET"
    kwargs: Kwargs | None = None
    path: str | None = None  # for an unnamed pattern
    data: dict = field(default_factory=dict)  # an unsafe request's form body (default: empty)


# Roles each member holds on the host it speaks to (actors.TENANT_HOST_OF).
MEMBER_ROLES = {
    AGENT_A: {"member", "agent"},
    AGENT_B: {"member", "agent"},
    MODERATOR_B: {"member", "agent", "moderator", "moderator_or_admin"},
    ADMIN_B: {"member", "agent", "moderator", "moderator_or_admin", "admin", "planner",
              "it"},
}
B_MEMBERS = {AGENT_B, MODERATOR_B, ADMIN_B}


def _fill(default: Callable[[str], Expect], overrides: dict[str, Expect]) -> dict:
    unknown = set(overrides) - set(ACTORS)
    assert not unknown, f"unknown actors in a row: {unknown}"
    return {actor: overrides.get(actor) or default(actor) for actor in ACTORS}


def _member_answer(actor: str, gate: str, method: str, names_a_object: bool,
                   stranger: Expect) -> Expect:
    roles = MEMBER_ROLES.get(actor)
    if roles is None:
        return stranger
    if gate not in roles:
        return FORBIDDEN
    if names_a_object and actor in B_MEMBERS:
        return NOT_FOUND
    return OK if method == "GET" else LET_THROUGH


def page(gate: str = "member", *, method: str = "GET", kwargs: Kwargs | None = None,
         names_a_object: bool | None = None, **overrides: Expect) -> Row:
    """A page of an authority's host behind `gate` (member, agent, moderator, admin,
    moderator_or_admin). `names_a_object`: the URL names an object of A (default:
    when it has kwargs)."""
    names = bool(kwargs) if names_a_object is None else names_a_object
    return Row(_fill(lambda a: _member_answer(a, gate, method, names, LOGIN), overrides),
               method=method, kwargs=kwargs)


def api(gate: str = "member", *, method: str = "GET", kwargs: Kwargs | None = None,
        names_a_object: bool | None = None, **overrides: Expect) -> Row:
    """A route of the agents' API (token or session of the host's members)."""
    names = bool(kwargs) if names_a_object is None else names_a_object
    return Row(_fill(lambda a: _member_answer(a, gate, method, names, UNAUTHORIZED),
                     overrides), method=method, kwargs=kwargs)


def operator_page(*, method: str = "GET", kwargs: Kwargs | None = None,
                  **overrides: Expect) -> Row:
    """A page of the operator console (bare host)."""
    mine = OK if method == "GET" else LET_THROUGH
    return Row(_fill(lambda a: mine if a == OPERATOR else OPERATOR_LOGIN, overrides),
               method=method, kwargs=kwargs)


PARTNER_KEYS_READING_A = {PARTNER_KEY_A}


def partner_api(*, names_a_object: bool, method: str = "GET", kwargs: Kwargs | None = None,
                **overrides: Expect) -> Row:
    """A route of the partner API (bare host, `Authorization: Bearer <key>`)."""
    mine = OK if method == "GET" else LET_THROUGH

    def answer(actor: str) -> Expect:
        if actor == PARTNER_KEY_A:
            return mine
        if actor == PARTNER_KEY_B:
            return REFUSED if names_a_object else mine
        if actor == SUSPENDED_KEY:
            return FORBIDDEN if not names_a_object else REFUSED
        if actor == REVOKED_GRANT_KEY:  # the key dies with the grant, or reads nothing
            return REFUSED
        return UNAUTHORIZED
    return Row(_fill(answer, overrides), method=method, kwargs=kwargs)


def same_for_all(expect: Expect, *, method: str = "GET", kwargs: Kwargs | None = None,
                 path: str | None = None, **overrides: Expect) -> Row:
    return Row(_fill(lambda a: expect, overrides), method=method, kwargs=kwargs, path=path)


# --- Objects of the world named in URLs ------------------------------------------------

def _pk(name: str) -> Kwargs:
    return lambda w: {"pk": w.objects[name].pk}


def _listing_photo(w: World) -> dict:
    return {"pk": w.objects["a_offered"].pk, "photo_pk": w.objects["a_photo"].pk,
            "size": "thumb"}


def _shared(w: World) -> dict:
    return {"slug": w.a.slug, "listing_id": w.objects["a_shared"].pk}


def _shared_api(w: World) -> dict:
    return {"authority_slug": w.a.slug, "id": w.objects["a_shared"].pk}


def _transfer(w: World) -> dict:
    return {"transfer_pk": w.objects["a_transfer"].pk}


def _offered_partner(w: World) -> dict:
    return {"authority_slug": w.a.slug, "listing_id": w.objects["a_offered"].pk}


def _export_of_a(w: World) -> dict:
    return {"slug": w.a.slug, "pk": w.objects["a_export"].pk}


def _acceptance_link(w: World) -> dict:
    from exchange.partners.acceptance import make_token

    return {"token": make_token(w.objects["grant_pending"])}


def _this_year(w: World) -> dict:
    return {"year": date.today().year}


def _slug_a(w: World) -> dict:
    return {"slug": w.a.slug}


BOGUS_LINK = {"uidb64": "MQ", "token": "c0ffee-0123456789abcdef"}
POST = "POST"
STRANGERS_OF_A = [ANONYMOUS, B_SESSION_AT_A, PARTNER_KEY_A, PARTNER_KEY_B, REVOKED_KEY,
                  REVOKED_GRANT_KEY, SUSPENDED_KEY, OPERATOR]


def _for(actors, expect: Expect) -> dict:
    return dict.fromkeys(actors, expect)


ROWS: dict[str, Row] = {
    # --- Bare host: public pages ---------------------------------------------------------
    "public:landing": same_for_all(OK),
    "public:public_impact": same_for_all(OK),
    "public:sso:authenticate": same_for_all(NOT_FOUND),  # ProConnect off, as here
    "public:sso:callback": same_for_all(NOT_FOUND),
    "public:sso:logged_out": same_for_all(REDIRECT),  # no valid state: to the landing page
    "public:set_language": same_for_all(REDIRECT, method=POST),
    # Without STRIPE_WEBHOOK_SECRET (tests, manual billing) the route answers 404.
    "public:stripe_webhook": same_for_all(NOT_FOUND, method=POST),
    # --- Operator console ------------------------------------------------------------------
    "public:operator:console": operator_page(),
    "public:operator:verify": operator_page(operator=REDIRECT),  # verified: to the console
    "public:operator:enrol": operator_page(operator=REDIRECT),  # has a device: to verify
    # A forged enrolment link: the verified operator has a device (to verify), everyone
    # else signs in first.
    "public:operator:enrol_link": operator_page(kwargs=lambda w: {"token": "forged.token"},
                                                operator=REDIRECT),
    "public:operator:send_enrol_link": operator_page(method=POST,
                                                     kwargs=_pk("operator_without_device")),
    "public:operator:impact": operator_page(),
    "public:operator:authority_create": operator_page(),
    "public:operator:authority_detail": operator_page(kwargs=_slug_a),
    "public:operator:export_request": operator_page(method=POST, kwargs=_slug_a),
    "public:operator:export_row": operator_page(kwargs=_export_of_a),
    # The export is pending: nothing to download yet, even for the operator.
    "public:operator:export_download": operator_page(kwargs=_export_of_a,
                                                     operator=NOT_FOUND),
    "public:operator:delete_data": operator_page(method=POST, kwargs=_slug_a),
    "public:operator:billing": operator_page(kwargs=_slug_a),
    "public:operator:authority_sign_in": operator_page(method=POST, kwargs=_slug_a),
    "public:operator:partners": operator_page(),
    "public:operator:partner_create": operator_page(method=POST),
    "public:operator:partner_key_create": operator_page(method=POST),
    "public:operator:partner_key_revoke": operator_page(method=POST, kwargs=_pk("key_a")),
    "public:operator:partner_webhook_create": operator_page(method=POST),
    "public:operator:login": same_for_all(OK, operator=REDIRECT),
    "public:operator:logout": same_for_all(OPERATOR_LOGIN, method=POST),
    "public:operator:password_reset_confirm": same_for_all(OK, kwargs=lambda w: BOGUS_LINK),
    "public:operator:password_reset_complete": same_for_all(OK),
    # --- Partner API ---------------------------------------------------------------------
    "public:partner_api:listings": partner_api(names_a_object=False),
    "public:partner_api:stats": partner_api(names_a_object=False),
    "public:partner_api:listing-request": partner_api(
        names_a_object=True, method=POST, kwargs=_offered_partner),
    "public:partner_api:listing-photo": partner_api(
        names_a_object=True, kwargs=lambda w: {**_offered_partner(w),
                                               "photo_id": w.objects["a_photo"].pk,
                                               "size": "thumb"}),
    # Loans in the partner API (issue 18): A's item is not open to partners, but the
    # empty body is refused (400) only once the key's grant of A lets it ask.
    "public:partner_loans:partner_loan_items": partner_api(names_a_object=False),
    "public:partner_loans:partner_loan_booking": partner_api(
        names_a_object=True, method=POST, kwargs=lambda w: {
            "authority_slug": w.a.slug, "item_id": w.objects["a_loan_item"].pk}),
    "public:partner_api:schema": same_for_all(OK),
    # The acceptance link of A's grant not yet accepted (the signed token is the
    # credential): whoever holds it sees the grant, never A's agents' e-mails.
    "public:partner_grants:accept": same_for_all(OK, kwargs=_acceptance_link),
    "public:api/v1/partner/^": same_for_all(NOT_FOUND, path="/api/v1/partner/no-such-route/"),
    # --- Authority host: accounts ----------------------------------------------------------
    "tenant:home": page(),
    # Installable app (issue 20): the same for everyone, nobody's data.
    "tenant:web_manifest": same_for_all(OK),
    "tenant:service_worker": same_for_all(OK),
    "tenant:offline": same_for_all(OK),
    # Members already signed in on this host are sent on to the home page.
    "tenant:accounts:login": same_for_all(OK, **_for(MEMBER_ROLES, REDIRECT)),
    "tenant:accounts:logout": same_for_all(LOGIN, method=POST),
    # Break-glass code: only after a right password in this very session (none here).
    "tenant:accounts:second_factor": same_for_all(LOGIN),
    "tenant:accounts:signup": same_for_all(OK),
    # A forged verification link: 400 for everyone.
    "tenant:accounts:verify_email": same_for_all(BAD_REQUEST, kwargs=lambda w: BOGUS_LINK),
    "tenant:accounts:profile": page(),
    # ProConnect (tenants/sso/): off unless the operator configured it, as here.
    "tenant:sso:start": same_for_all(NOT_FOUND),
    "tenant:sso:handoff": same_for_all(NOT_FOUND),
    "tenant:sso:choose_service": page(),
    # The authority's own OpenID Connect provider (accounts/sso/own.py): none here.
    "tenant:accounts:identity_provider": page("admin"),
    "tenant:accounts:identity_provider_switch": page("admin", method=POST),
    "tenant:accounts:oidc_authenticate": same_for_all(NOT_FOUND),
    "tenant:accounts:oidc_callback": same_for_all(BAD_REQUEST),
    "tenant:accounts:password_reset": same_for_all(OK),
    "tenant:accounts:password_reset_done": same_for_all(OK),
    "tenant:accounts:password_reset_confirm": same_for_all(OK, kwargs=lambda w: BOGUS_LINK),
    "tenant:accounts:password_reset_complete": same_for_all(OK),
    "tenant:accounts:member_list": page("admin"),
    "tenant:accounts:access_journal": page("admin"),
    "tenant:accounts:member_edit": page("admin", kwargs=_pk("a_agent")),
    "tenant:accounts:service_list": page("admin"),
    "tenant:accounts:service_create": page("admin"),
    "tenant:accounts:service_edit": page("admin", kwargs=_pk("a_service")),
    "tenant:accounts:site_list": page("admin"),
    "tenant:accounts:site_create": page("admin"),
    "tenant:accounts:site_edit": page("admin", kwargs=_pk("a_site")),
    # --- Partners, as an authority's admin sees them ----------------------------------------
    "tenant:partners:admin": page("admin"),
    "tenant:partners:partner_create": page("admin", method=POST),
    "tenant:partners:grant_create": page("admin", method=POST),
    # B's admin, on B's host, revoking A's grant or A's key: refused (public-schema ids).
    "tenant:partners:grant_revoke": page("admin", method=POST, kwargs=_pk("grant_a"),
                                         admin_b=REFUSED),
    "tenant:partners:grant_agreement": page("admin", kwargs=_pk("grant_a"),
                                            admin_b=NOT_FOUND),
    # A new acceptance link for A's grant, asked on B's host: no such grant of B.
    "tenant:partners:grant_resend": page("admin", method=POST, kwargs=_pk("grant_a"),
                                         admin_b=NOT_FOUND),
    "tenant:partners:key_create": page("admin", method=POST),
    "tenant:partners:key_revoke": page("admin", method=POST, kwargs=_pk("key_a"),
                                       admin_b=REFUSED),
    # --- Listings (agents) -------------------------------------------------------------------
    "tenant:exchange:feed": page(),
    "tenant:exchange:my_listings": page(),
    "tenant:exchange:listing_create": page("agent"),
    # The posting form's helpers (issue 20): a photo sent ahead (empty body: 400 JSON)
    # and the category suggested from a title.
    "tenant:exchange:pending_photo_upload": page("agent", method=POST),
    "tenant:exchange:category_suggestion": page("agent"),
    "tenant:exchange:listing_detail": page(kwargs=_pk("a_listing")),
    "tenant:exchange:listing_edit": page(kwargs=_pk("a_listing")),
    "tenant:exchange:listing_submit": page(method=POST, kwargs=_pk("a_listing")),
    "tenant:exchange:photo_upload": page(method=POST, kwargs=_pk("a_offered")),
    "tenant:exchange:photo_delete": page(
        method=POST, kwargs=lambda w: {"pk": w.objects["a_offered"].pk,
                                       "photo_pk": w.objects["a_photo"].pk}),
    "tenant:exchange:photo_file": page(kwargs=_listing_photo),
    "tenant:exchange:listing_contact": page("agent", method=POST, kwargs=_pk("a_listing")),
    "tenant:exchange:listing_reserve": page(method=POST, kwargs=_pk("a_listing")),
    "tenant:exchange:listing_close": page(kwargs=_pk("a_listing")),
    # --- Transports and the logistics board (issue 18) -------------------------------------
    "tenant:logistics:my_transports": page("agent"),
    # A's agent asks for transport of the listing it gave to B (a_given).
    "tenant:logistics:transport_create": page("agent", kwargs=_pk("a_given")),
    # A's agent follows its request; B's members find no such request on their host.
    "tenant:logistics:transport_detail": page("agent", kwargs=_pk("a_transport")),
    "tenant:logistics:transport_cancel": page("agent", method=POST,
                                              kwargs=_pk("a_transport")),
    # The IT register (issue 19): the IT team and administrators only.
    "tenant:itassets:asset_list": page("it"),
    # Their own IT equipment (issue 19): every member, only what they hold.
    "tenant:itassets:my_assets": page("member"),
    "tenant:itassets:asset_create": page("it"),
    "tenant:itassets:asset_detail": page("it", kwargs=_pk("a_it_asset")),
    "tenant:itassets:asset_edit": page("it", kwargs=_pk("a_it_asset")),
    "tenant:itassets:import_upload": page("it"),
    # Nothing uploaded yet: whoever manages the register is sent back to the upload.
    "tenant:itassets:import_columns": page("it", admin_b=REDIRECT),
    "tenant:itassets:register_export": page("it"),
    # Its retirement batches: the same gate; B's IT team finds none of A's batches.
    "tenant:itassets:batch_list": page("it"),
    "tenant:itassets:batch_create": page("it", method=POST),
    "tenant:itassets:batch_detail": page("it", kwargs=_pk("a_it_batch")),
    "tenant:itassets:batch_add": page("it", method=POST, kwargs=_pk("a_it_batch")),
    "tenant:itassets:batch_certificate": page("it", kwargs=_pk("a_it_batch")),
    "tenant:itassets:batch_document": page(
        "it", kwargs=lambda w: {"pk": w.objects["a_it_batch"].pk,
                                "reference": w.objects["a_it_slip"].reference}),
    "tenant:logistics:board": page("planner"),
    "tenant:logistics:round_create": page("planner", method=POST),
    "tenant:logistics:round_detail": page("planner", kwargs=_pk("a_round")),
    "tenant:logistics:round_add": page("planner", method=POST, kwargs=_pk("a_round")),
    "tenant:logistics:round_sheet": page("planner", kwargs=_pk("a_round")),
    "tenant:logistics:transport_picked_up": page(
        "planner", method=POST, kwargs=_pk("a_transport_planned")),
    "tenant:logistics:transport_delivered": page(
        "planner", method=POST, kwargs=_pk("a_transport_planned")),
    "tenant:logistics:transport_unplan": page(
        "planner", method=POST, kwargs=_pk("a_transport_planned")),
    # Between authorities: A's planner hands A's request over to B's logistics; B's
    # planner refuses a handed-over copy. On B's host A's request names nothing.
    "tenant:logistics:transport_hand_over": page(
        "planner", method=POST, kwargs=_pk("a_transport")),
    "tenant:logistics:transport_refuse": page(
        "planner", method=POST, kwargs=_pk("a_transport")),
    "tenant:logistics:teams": page("planner"),
    "tenant:logistics:team_token": page("planner", method=POST, kwargs=_pk("a_team")),
    # A team's calendar at its secret address, no sign-in: whoever holds A's token on
    # A's host reads it; on B's host the token names nothing.
    "tenant:logistics:team_feed": same_for_all(
        OK, kwargs=lambda w: {"token": w.objects["a_team"].feed_token},
        **_for(B_MEMBERS, NOT_FOUND)),
    "tenant:exchange:listing_extend": page(method=POST, kwargs=_pk("a_listing")),
    # Strangers get a 404 here (the view hides the route from anonymous callers).
    "tenant:exchange:listing_partner_offer": page(
        method=POST, kwargs=_pk("a_listing"), **_for(STRANGERS_OF_A, NOT_FOUND)),
    "tenant:exchange:wanted_list": page(),
    "tenant:exchange:wanted_create": page("agent"),
    "tenant:exchange:wanted_close": page(method=POST, kwargs=_pk("a_wanted")),
    "tenant:exchange:saved_search_create": page("agent", method=POST),
    "tenant:exchange:saved_search_delete": page(method=POST, kwargs=_pk("a_saved_search")),
    # A forged one-click link: 400 for everyone, before any sign-in.
    "tenant:exchange:outcome_confirm": same_for_all(
        BAD_REQUEST, kwargs=lambda w: {"token": "forged.token"}),
    # --- Loans of shared equipment (issue 18): A's agent belongs to the lending service ---
    "tenant:loans:catalogue": page(),
    "tenant:loans:item_create": page(),
    "tenant:loans:item_detail": page(kwargs=_pk("a_loan_item")),
    "tenant:loans:item_edit": page(kwargs=_pk("a_loan_item")),
    "tenant:loans:item_book": page(method=POST, kwargs=_pk("a_loan_item")),
    "tenant:loans:item_damage": page(method=POST, kwargs=_pk("a_loan_item")),
    "tenant:loans:item_photo": page(kwargs=lambda w: {
        "pk": w.objects["a_loan_item"].pk, "photo_pk": w.objects["a_loan_photo"].pk,
        "size": "thumb"}),
    "tenant:loans:booking_detail": page(kwargs=_pk("a_booking")),
    "tenant:loans:booking_approve": page(method=POST, kwargs=_pk("a_booking")),
    "tenant:loans:booking_decline": page(method=POST, kwargs=_pk("a_booking")),
    "tenant:loans:booking_pickup": page(method=POST, kwargs=_pk("a_booking")),
    "tenant:loans:booking_return": page(method=POST, kwargs=_pk("a_booking_picked")),
    "tenant:loans:booking_cancel": page(method=POST, kwargs=_pk("a_booking")),
    "tenant:loans:booking_photo": page(kwargs=lambda w: {
        "pk": w.objects["a_booking_picked"].pk, "photo_pk": w.objects["a_booking_photo"].pk,
        "size": "thumb"}),
    "tenant:loans:shared_catalogue": page(),
    # A's item lends to A's agents only: B's agents (B shares with A) get a 404 on their
    # host, and so does A's agent asking for its own authority's item as a shared one.
    "tenant:loans:shared_item": page(kwargs=lambda w: {
        "authority_slug": w.a.slug, "pk": w.objects["a_loan_item"].pk},
        agent_a=NOT_FOUND),
    "tenant:loans:service_calendar": page(kwargs=lambda w: {
        "service_pk": w.objects["a_service"].pk}),
    # The feed's secret token is its only key (calendar programs send no cookie): anyone
    # holding it reads A's feed on A's host; B's host does not know the token.
    "tenant:loans:service_feed": same_for_all(
        OK, kwargs=lambda w: {"token": w.objects["a_loan_feed"].token},
        **_for(B_MEMBERS, NOT_FOUND)),
    "tenant:statistics:my_impact": page(),
    # --- Moderation, reports, statistics ------------------------------------------------------
    "tenant:exchange:moderation_queue": page("moderator"),
    "tenant:exchange:moderation_bulk_approve": page("moderator", method=POST),
    "tenant:exchange:moderation_review": page("moderator", kwargs=_pk("a_listing")),
    "tenant:exchange:moderation_approve": page("moderator", method=POST,
                                               kwargs=_pk("a_listing")),
    "tenant:exchange:moderation_reject": page("moderator", method=POST,
                                              kwargs=_pk("a_listing")),
    "tenant:exchange:moderation_request_changes": page("moderator", method=POST,
                                                       kwargs=_pk("a_listing")),
    "tenant:exchange:moderation_dashboard": page("moderator"),
    "tenant:statistics:moderation_report": page("moderator"),
    "tenant:statistics:moderation_report_csv": page("moderator"),
    "tenant:statistics:moderation_report_xlsx": page("moderator"),
    "tenant:statistics:moderation_report_pdf": page("moderator"),
    "tenant:statistics:agec_report": page("moderator"),
    "tenant:statistics:agec_csv": page("moderator", moderator_b=INCOMPLETE,
                                       admin_b=INCOMPLETE),
    "tenant:statistics:weight_campaigns": page("moderator"),
    "tenant:statistics:weight_campaign": page(
        "moderator", kwargs=lambda w: {"year": date.today().year, "semester": 1},
        names_a_object=True),  # A campaign of A; B has none for that semester
    "tenant:statistics:factor_overrides": page("moderator_or_admin"),
    "tenant:statistics:stats_settings": page("admin"),
    # AGEC purchases (issue 16): moderators read, the finance team and admins write (the
    # matrix has no finance actor: tests/analytics/test_purchases.py covers that role).
    "tenant:statistics:agec_purchases_current": page(
        "moderator", moderator_b=REDIRECT, admin_b=REDIRECT),
    "tenant:statistics:agec_purchases": page("moderator", kwargs=_this_year,
                                             names_a_object=False),
    "tenant:statistics:agec_purchases_import": page("admin", kwargs=_this_year,
                                                    names_a_object=False),
    # Nothing uploaded yet: the admin is sent back to the upload step.
    "tenant:statistics:agec_purchases_mapping": page("admin", kwargs=_this_year,
                                                     names_a_object=False, admin_b=REDIRECT),
    "tenant:statistics:agec_donations": page("moderator", kwargs=_this_year,
                                            names_a_object=False),
    "tenant:statistics:agec_donation_delete": page("admin", method=POST,
                                                   kwargs=_pk("a_donation")),
    "tenant:statistics:agec_history": page("moderator"),
    "tenant:exchange:reply_list": page("moderator"),
    "tenant:exchange:reply_create": page("moderator"),
    "tenant:exchange:reply_edit": page("moderator", kwargs=_pk("a_reply")),
    "tenant:exchange:settings": page("admin"),
    "tenant:exchange:category_list": page("admin"),
    "tenant:exchange:category_create": page("admin"),
    "tenant:exchange:category_edit": page("admin", kwargs=_pk("a_category")),
    # --- Sharing between authorities: B's members, on B's host, read A's shared listing
    # (A and B share); A's own agent does not find its own authority among the sharers.
    "tenant:exchange:shared_feed": page(),
    "tenant:exchange:shared_detail": page(kwargs=_shared, names_a_object=False,
                                          agent_a=NOT_FOUND),
    "tenant:exchange:shared_contact": page("agent", method=POST, kwargs=_shared,
                                           names_a_object=False, agent_a=NOT_FOUND),
    "tenant:exchange:shared_photo": page(
        kwargs=lambda w: {**_shared(w), "photo_id": w.objects["a_shared_photo"].pk,
                          "size": "thumb"}, names_a_object=False, agent_a=NOT_FOUND),
    "tenant:exchange:listing_visibility": page(method=POST, kwargs=_pk("a_listing")),
    "tenant:exchange:transfer_record": page(
        kwargs=lambda w: {"pk": w.objects["a_given"].pk, **_transfer(w)}),
    "tenant:exchange:transfer_confirmations": page("moderator"),
    # The transfer to B awaits nobody (below the cap): no moderator finds it.
    "tenant:exchange:transfer_confirm": page("moderator", method=POST, kwargs=_transfer),
    "tenant:exchange:transfer_refuse": page("moderator", method=POST, kwargs=_transfer),
    # B confirmed receipt of A's first transfer: B's moderators read its record.
    "tenant:exchange:received_transfers": page("moderator"),
    # A's second transfer to B awaits B's moderators: they answer on their host.
    "tenant:exchange:transfer_receipts": page("moderator"),
    "tenant:exchange:transfer_receipt_confirm": page(
        "moderator", method=POST, kwargs=_pk("receipt_pending"), names_a_object=False),
    "tenant:exchange:transfer_receipt_decline": page(
        "moderator", method=POST, kwargs=_pk("receipt_pending"), names_a_object=False),
    "tenant:exchange:received_record": page(
        "moderator", kwargs=lambda w: {"slug": w.a.slug, **_transfer(w)},
        names_a_object=False),
    "tenant:exchange:sharing_settings": page("admin"),
    "tenant:exchange:agreement_propose": page("admin", method=POST),
    # B's admin may end the agreement A–B: B is one of its two parties.
    "tenant:exchange:agreement_action": page(
        "admin", method=POST, kwargs=lambda w: {"pk": w.objects["agreement_ab"].pk,
                                                "action": "end"}, names_a_object=False),
    "tenant:exchange:network_create": page("admin", method=POST),
    "tenant:exchange:network_invitation_action": page(
        "admin", method=POST, kwargs=lambda w: {
            "pk": w.objects["a_network"].pk,
            "invitation_pk": w.objects["a_network_membership"].pk, "action": "approve"}),
    # A's network, which B is not in: B's admin can neither invite nor leave.
    "tenant:exchange:network_invite": page("admin", method=POST, kwargs=_pk("a_network")),
    "tenant:exchange:network_action": page(
        "admin", method=POST, kwargs=lambda w: {"pk": w.objects["a_network"].pk,
                                                "action": "leave"}),
    # --- Exports and billing (authority admins) --------------------------------------------
    "tenant:offboarding:exports": page("admin"),
    "tenant:offboarding:export_request": page("admin", method=POST),
    "tenant:offboarding:export_row": page("admin", kwargs=_pk("a_export")),
    "tenant:offboarding:export_download": page("admin", kwargs=_pk("a_export")),
    "tenant:billing:details": page("admin"),
    "tenant:set_language": same_for_all(REDIRECT, method=POST),
    # --- Agents' API ---------------------------------------------------------------------
    "tenant:api:token": same_for_all(BAD_REQUEST, method=POST),
    "tenant:api:schema": same_for_all(OK),
    "tenant:api:docs": same_for_all(OK),
    # Any other address under /api/v1/: a 404 problem for everyone
    # (core/api/errors.py).
    "tenant:api/v1/^": same_for_all(NOT_FOUND, path="/api/v1/no-such-route/"),
    "tenant:api:category-list": api(),
    "tenant:api:service-list": api(),
    "tenant:api:site-list": api(),
    "tenant:api:moderation-queue": api("moderator"),
    "tenant:api:stats-summary": api("moderator"),
    "tenant:api:stats-timeseries": api("moderator"),
    "tenant:api:stats-export": api("moderator"),
    "tenant:api:stats-agec-purchases": api("moderator"),
    # The IT register's figures (issue 19): moderators, finance, admins, the IT team.
    "tenant:api:stats-it": api("moderator_or_admin"),
    "tenant:api:loan-item-list": api(),
    "tenant:api:loan-booking-request": api(method=POST, kwargs=_pk("a_loan_item")),
    "tenant:api:loan-booking-list": api(),
    "tenant:api:shared-listing-list": api(),
    "tenant:api:shared-listing-contact": api(method=POST, kwargs=_shared_api,
                                             names_a_object=False, agent_a=NOT_FOUND),
    "tenant:api:shared-listing-photo": api(
        kwargs=lambda w: {**_shared_api(w), "photo_id": w.objects["a_shared_photo"].pk,
                          "size": "thumb"}, names_a_object=False, agent_a=NOT_FOUND),
    # Transports (issue 18): an agent's own requests; B's members find none of A's.
    "tenant:api:transport-list": api("agent"),
    "tenant:api:transport-detail": api("agent", kwargs=lambda w: {
        "id": w.objects["a_transport"].pk}),
    "tenant:api:listing-list": api(),
    "tenant:api:listing-detail": api(kwargs=_pk("a_listing")),
    "tenant:api:listing-approve": api("moderator", method=POST, kwargs=_pk("a_listing")),
    "tenant:api:listing-reject": api("moderator", method=POST, kwargs=_pk("a_listing")),
    "tenant:api:listing-request-changes": api("moderator", method=POST,
                                              kwargs=_pk("a_listing")),
    "tenant:api:listing-close": api(method=POST, kwargs=_pk("a_listing")),
    "tenant:api:listing-contact": api(method=POST, kwargs=_pk("a_listing")),
    "tenant:api:listing-partner-offer": api(method=POST, kwargs=_pk("a_listing")),
    "tenant:api:listing-photos": api(method=POST, kwargs=_pk("a_offered")),
    "tenant:api:listing-photo-file": api(
        kwargs=lambda w: {"pk": w.objects["a_offered"].pk,
                          "photo_id": w.objects["a_photo"].pk, "size": "thumb"}),
    "tenant:api:listing-submit": api(method=POST, kwargs=_pk("a_listing")),
}
