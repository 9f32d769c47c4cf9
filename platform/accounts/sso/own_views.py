"""The authority's own OpenID Connect provider: its settings page (administrators),
the sign-in through it (the login page's button, its callback on this subdomain) and
the administrators' test of a real sign-in round trip before switching it on."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlparse

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import AccessChannel, OidcProviderChange, SignInOutcome
from accounts.permissions import (
    can_configure_identity_provider,
    identity_provider_admin_required,
    password_accounts_closed,
)
from accounts.sso import own
from accounts.sso import services as account_services
from accounts.sso.oidc import IdentityRefused

log = logging.getLogger(__name__)

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"
PURPOSES_KEY = "own_oidc_purposes"


class ProviderForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Provider name"), max_length=80,
                           help_text=gettext_lazy("Shown on the sign-in button, e.g. "
                                                  "“Microsoft Entra ID de la mairie”."))
    issuer = forms.CharField(label=gettext_lazy("Issuer URL"), max_length=500,
                             help_text=gettext_lazy(
                                 "e.g. https://login.microsoftonline.com/<tenant>/v2.0 or "
                                 "https://keycloak.example.fr/realms/agents"))
    client_id = forms.CharField(label=gettext_lazy("Client ID"), max_length=255)
    client_secret = forms.CharField(label=gettext_lazy("Client secret"), required=False,
                                    widget=forms.PasswordInput(render_value=False))
    email_claim = forms.CharField(label=gettext_lazy("Claim carrying the e-mail address"),
                                  max_length=100, initial="email")
    moderator_claim = forms.CharField(
        label=gettext_lazy("Claim granting the moderator role (optional)"),
        max_length=100, required=False,
        help_text=gettext_lazy("e.g. groups or roles"))
    moderator_values = forms.CharField(
        label=gettext_lazy("Values of that claim granting the moderator role"),
        required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One a line."))

    def __init__(self, *args, has_secret: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if has_secret:
            self.fields["client_secret"].help_text = gettext_lazy(
                "A secret is set. Leave empty to keep it, or type a new one to replace it.")
        else:
            self.fields["client_secret"].help_text = gettext_lazy("Not set yet.")

    def clean_moderator_values(self):
        return [line.strip() for line in self.cleaned_data["moderator_values"].splitlines()
                if line.strip()]


def _initial(provider) -> dict:
    if provider is None:
        return {"email_claim": "email"}
    return {"name": provider.name, "issuer": provider.issuer, "client_id": provider.client_id,
            "email_claim": provider.email_claim, "moderator_claim": provider.moderator_claim,
            "moderator_values": "\n".join(provider.moderator_values)}


def _page(request, form, provider, status=200):
    return render(request, "accounts/admin/identity_provider.html", {
        "form": form, "provider": provider, "section": "identity_provider",
        # The URI the admin registers with their provider: what the client sends.
        "redirect_uri": request.build_absolute_uri(reverse(own.CALLBACK_URL_NAME)),
        "post_logout_redirect_uri": request.build_absolute_uri(
            reverse(own.POST_LOGOUT_URL_NAME)),
        "changes": OidcProviderChange.objects.all()[:20],
        # "SSO only" is the operator's switch (tenants); with this provider on, it
        # closes passwords to agents (accounts.permissions.password_accounts_closed).
        "sso_only": bool(getattr(request.tenant, "sso_only", False)),
        "passwords_closed": password_accounts_closed(request.tenant),
    }, status=status)


@identity_provider_admin_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    provider = own.current()
    has_secret = bool(provider and provider.has_secret)
    if request.method != "POST":
        return _page(request, ProviderForm(initial=_initial(provider), has_secret=has_secret),
                     provider)
    form = ProviderForm(request.POST, has_secret=has_secret)
    if form.is_valid():
        try:
            own.save_settings(actor=request.user, **form.cleaned_data)
        except own.DiscoveryError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, _("Identity provider settings saved."))
            return redirect("accounts:identity_provider")
    return _page(request, form, provider, status=400)


@identity_provider_admin_required
@require_POST
def switch(request):
    if own.current() is None:  # nothing to switch yet: the settings come first
        return redirect("accounts:identity_provider")
    try:
        own.set_enabled(request.user, request.POST.get("enabled") == "on")
    except own.NotTested as error:
        messages.error(request, str(error))
        return redirect("accounts:identity_provider")
    messages.success(request, _("Identity provider switch saved."))
    return redirect("accounts:identity_provider")


@require_GET
def authenticate(request):
    """To the authority's provider. `?test=1`: an administrator's test of the (maybe
    not yet enabled) provider; it signs nobody in."""
    testing = request.GET.get("test") == "1"
    if testing:
        if not can_configure_identity_provider(request.user):
            raise PermissionDenied
        provider = own.current()
    else:
        provider = own.enabled()
    if provider is None or not provider.has_secret:
        raise Http404("no identity provider")
    response = own.OwnAuthorizationRequestView.as_view(provider=provider)(request)
    state = parse_qs(urlparse(response["Location"]).query).get("state", [""])[0]
    purposes = request.session.get(PURPOSES_KEY, {})
    purposes[state] = {"test": testing, "provider": provider.pk}
    request.session[PURPOSES_KEY] = purposes
    return response


def _refused(request, reason: str, status: int = 403):
    return render(request, "tenants/sso/refused.html",
                  {"reason": reason, "outcomes": SignInOutcome, "came_from": request.tenant},
                  status=status)


@require_GET
def callback(request):
    """The provider's answer, on this subdomain: state used up, tokens verified, then
    the sign-in (or, for a test, the result page)."""
    state = request.GET.get("state", "")
    states = request.session.get("oidc_states", {})
    attempt = states.pop(state, None) if state else None
    request.session["oidc_states"] = states
    purposes = request.session.get(PURPOSES_KEY, {})
    purpose = purposes.pop(state, None) if state else None
    request.session[PURPOSES_KEY] = purposes
    if attempt is None or purpose is None:
        account_services.record_attempt(SignInOutcome.BAD_STATE, method=own.METHOD)
        return _refused(request, SignInOutcome.BAD_STATE, status=400)
    testing = purpose["test"]
    if testing and not can_configure_identity_provider(request.user):
        raise PermissionDenied
    provider = own.current() if testing else own.enabled()
    if provider is None or provider.pk != purpose["provider"]:
        account_services.record_attempt(SignInOutcome.PROVIDER_ERROR, method=own.METHOD)
        return _refused(request, SignInOutcome.PROVIDER_ERROR)
    if request.GET.get("error"):
        account_services.record_attempt(SignInOutcome.PROVIDER_ERROR, method=own.METHOD)
        return _refused(request, SignInOutcome.PROVIDER_ERROR)
    try:
        identity = own.OwnProviderClient(provider).verified_identity(
            request, nonce=attempt["nonce"], code_verifier=attempt.get("code_verifier"))
    except (IdentityRefused, own.DiscoveryError) as error:
        reason = getattr(error, "reason", SignInOutcome.PROVIDER_ERROR)
        log.warning("Own provider sign-in refused (%s): %s", reason, error)
        account_services.record_attempt(reason, method=own.METHOD)
        return _refused(request, reason)
    raw = identity.claims.get("raw", {})
    moderator = own.claim_matches(raw, provider.moderator_claim, provider.moderator_values)
    if testing:
        own.mark_tested(request.user, provider)
        return render(request, "accounts/sso/provider_tested.html", {
            "email": identity.claims.get("email"), "moderator": moderator,
            "claim_names": sorted(raw)})
    result = account_services.sign_in_with_claims(
        authority=request.tenant, claims=identity.claims, method=own.METHOD,
        via=AccessChannel.OWN_PROVIDER, grant_moderator=moderator)
    if not result.signed_in:
        return _refused(request, result.outcome)
    login(request, result.user, backend=PASSWORD_BACKEND)
    # For the logout, which also ends the provider's session (accounts.views.LogoutView).
    request.session[own.ID_TOKEN_SESSION_KEY] = identity.id_token
    return redirect("sso:choose_service" if account_services.needs_service(result.user)
                    else "home")
