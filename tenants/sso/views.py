"""ProConnect sign-in pages.

Bare host: `authenticate` (the redirect to ProConnect, remembering from which
authority the agent came) and `callback` (the provider's answer: verified, matched to
an authority, handed to its subdomain). Authority's subdomain: `start` (the button of
the login page leads to the bare host), `handoff` (takes the sign-in over and opens
the agent's session there) and `choose_service` (the first visit)."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import parse_qs, urlencode, urlparse

from django.conf import settings
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import SignInOutcome
from accounts.sso import oidc
from accounts.sso import services as account_services
from core.links import absolute_url, authority_host
from tenants.crossing import live_authorities
from tenants.sso import services

log = logging.getLogger(__name__)

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"
BINDING_COOKIE = "proconnect_binding"
BINDING_MAX_AGE = 600


def _require_enabled() -> None:
    if not oidc.is_enabled():
        raise Http404("ProConnect is not configured")


def _refused(request, reason: str, *, status: int = 403, authority=None):
    return render(request, "tenants/sso/refused.html",
                  {"reason": reason, "outcomes": SignInOutcome,
                   "came_from": authority}, status=status)


# --- Bare host ---------------------------------------------------------------------

@require_GET
def authenticate(request):
    """To ProConnect: state, nonce and PKCE stored in this (bare host) session, with
    the authority the agent came from (`?authority=<slug>`) when it is a live one."""
    _require_enabled()
    slug = request.GET.get("authority", "")
    came_from = live_authorities().filter(slug=slug).first() if slug else None
    response = oidc.AuthorizationRequestView.as_view()(request)
    state = parse_qs(urlparse(response["Location"]).query).get("state", [""])[0]
    states = request.session.get("oidc_states", {})
    if state in states:
        states[state]["authority"] = came_from.slug if came_from else ""
        states[state]["binding"] = request.GET.get("binding", "")[:64] if came_from else ""
        request.session["oidc_states"] = states
    return response


@require_GET
def callback(request):
    """ProConnect's answer: state checked and used up, tokens verified, authority
    found, sign-in handed to its subdomain. No account is touched on this host."""
    _require_enabled()
    state = request.GET.get("state", "")
    states = request.session.get("oidc_states", {})
    attempt = states.pop(state, None) if state else None
    request.session["oidc_states"] = states
    if attempt is None:
        account_services.record_attempt(SignInOutcome.BAD_STATE)
        return _refused(request, SignInOutcome.BAD_STATE, status=400)
    if request.GET.get("error"):
        account_services.record_attempt(SignInOutcome.PROVIDER_ERROR)
        return _refused(request, SignInOutcome.PROVIDER_ERROR)
    try:
        identity = oidc.ProConnectClient().verified_identity(
            request, nonce=attempt["nonce"], code_verifier=attempt.get("code_verifier"))
    except oidc.IdentityRefused as error:
        log.warning("ProConnect sign-in refused (%s): %s", error.reason, error)
        account_services.record_attempt(error.reason)
        return _refused(request, error.reason)
    matches = services.authorities_for(identity.claims)
    came_from = attempt.get("authority") or ""
    if came_from:
        matches = [authority for authority in matches if authority.slug == came_from]
    if not matches:
        account_services.record_attempt(SignInOutcome.NO_AUTHORITY)
        return render(request, "tenants/sso/no_authority.html",
                      {"came_from": live_authorities().filter(slug=came_from).first()},
                      status=403)
    if len(matches) > 1:
        return render(request, "tenants/sso/choose_authority.html", {"authorities": [
            (authority, absolute_url(reverse("sso:start", urlconf=settings.ROOT_URLCONF),
                                    authority_host(authority.slug)))
            for authority in matches]})
    authority = matches[0]
    token = services.issue_handoff(authority, claims=identity.claims,
                                   id_token=identity.id_token,
                                   binding=attempt.get("binding") or "")
    return redirect(absolute_url(reverse("sso:handoff", urlconf=settings.ROOT_URLCONF),
                                 authority_host(authority.slug))
                    + "?" + urlencode({"token": token}))


@require_GET
def logged_out(request):
    """ProConnect's way back after logout (the registered post-logout URI): to the
    login page of the authority the signed `state` names, else to the landing page."""
    slug = oidc.slug_of_logout_state(request.GET.get("state", ""))
    authority = live_authorities().filter(slug=slug).first() if slug else None
    if authority is None:
        return redirect("landing")
    return redirect(absolute_url(reverse("accounts:login", urlconf=settings.ROOT_URLCONF),
                                 authority_host(authority.slug)))


# --- Authority's subdomain -----------------------------------------------------------

@require_GET
def start(request):
    """The login page's ProConnect button: the sign-in starts on the bare host."""
    _require_enabled()
    # Binds the hand-off to this browser: the bare host will hand the sign-in back only
    # to a browser showing this cookie here (no login CSRF with someone else's token).
    binding = secrets.token_urlsafe(24)
    path = reverse("sso:authenticate", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    response = redirect(absolute_url(path) + "?" + urlencode(
        {"authority": request.tenant.slug, "binding": binding}))
    response.set_cookie(BINDING_COOKIE, binding, max_age=BINDING_MAX_AGE, httponly=True,
                        samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return response


@require_http_methods(["GET", "POST"])
def handoff(request):
    """The bare host's hand-off: the token used up, the account decided here, the
    session opened on this host only. A sign-in started here (bound to this browser's
    cookie) goes through at once; one started on the bare host is shown first and
    taken over only when the agent confirms (POST, CSRF-checked)."""
    _require_enabled()
    token = request.POST.get("token", "") if request.method == "POST" else request.GET.get(
        "token", "")
    try:
        if request.method == "POST":
            taken = services.consume_handoff(token, request.tenant, binding=None)
        else:
            pending = services.pending_handoff(token, request.tenant)
            if not pending.binding:
                return render(request, "tenants/sso/confirm.html",
                              {"token": token, "claims": pending.claims})
            taken = services.consume_handoff(token, request.tenant,
                                             binding=request.COOKIES.get(BINDING_COOKIE, ""))
    except services.HandoffRefused as error:
        log.warning("ProConnect hand-off refused: %s", error)
        account_services.record_attempt(SignInOutcome.HANDOFF_REFUSED)
        return _refused(request, SignInOutcome.HANDOFF_REFUSED, status=400)
    result = account_services.sign_in_with_claims(authority=request.tenant,
                                                  claims=taken.claims)
    if not result.signed_in:
        return _refused(request, result.outcome, authority=request.tenant)
    login(request, result.user, backend=PASSWORD_BACKEND)
    request.session[oidc.ID_TOKEN_SESSION_KEY] = taken.id_token
    response = redirect("sso:choose_service" if account_services.needs_service(result.user)
                        else "home")
    response.delete_cookie(BINDING_COOKIE, samesite="Lax")
    return response
