"""The ProConnect client, on mozilla-django-oidc.

mozilla-django-oidc brings the authorization request (state, nonce and PKCE kept in
the session), the token request, the JWKS look-up and the signature check. This
module adds what ProConnect and the platform need on top:

- the endpoints come from the provider's discovery document
  (`<PROCONNECT_ISSUER>/.well-known/openid-configuration`), cached;
- the ID token's audience, issuer, expiry and nonce are checked (the library checks
  neither audience nor issuer), and its `acr` when PROCONNECT_ACR_VALUES asks for one;
- the userinfo answer is a signed JWT (`application/jwt`): its signature, issuer and
  audience are checked, and its `sub` must be the ID token's;
- no account is created or looked up here: `verified_identity` returns the claims,
  and the authority's subdomain decides (accounts/sso/services.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.urls import reverse
from django.utils.crypto import get_random_string
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

# mozilla-django-oidc setting → key of the discovery document.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}
# Claims an agent's sign-in cannot do without.
REQUIRED_CLAIMS = ("sub", "email", "given_name", "usual_name")
LEEWAY_SECONDS = 30


class IdentityRefused(Exception):
    """The provider's answer cannot be trusted or is incomplete. `reason` is one of
    accounts.models.SignInOutcome; the message is for logs (no personal data)."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


def is_enabled() -> bool:
    return bool(settings.PROCONNECT_ENABLED)


def metadata() -> dict:
    """The provider's discovery document, cached; its issuer must be the configured one."""
    if not is_enabled():
        raise ImproperlyConfigured("ProConnect is not configured")
    key = f"proconnect-metadata:{settings.PROCONNECT_ISSUER}"
    document = cache.get(key)
    if document is None:
        response = requests.get(
            f"{settings.PROCONNECT_ISSUER}/.well-known/openid-configuration",
            timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
        if document.get("issuer", "").rstrip("/") != settings.PROCONNECT_ISSUER:
            raise ImproperlyConfigured("the discovery document names another issuer")
        cache.set(key, document, settings.PROCONNECT_METADATA_CACHE_SECONDS)
    return document


def setting(attr: str, *default):
    """mozilla-django-oidc's settings look-up, endpoints read from discovery."""
    if attr in DISCOVERED:
        return metadata().get(DISCOVERED[attr], *default)
    if attr == "OIDC_AUTH_REQUEST_EXTRA_PARAMS":
        return ({"acr_values": settings.PROCONNECT_ACR_VALUES}
                if settings.PROCONNECT_ACR_VALUES else {})
    if default:
        return getattr(settings, attr, default[0])
    return getattr(settings, attr)


class AuthorizationRequestView(OIDCAuthenticationRequestView):
    """The redirect to ProConnect's authorization endpoint (state, nonce, PKCE)."""

    get_settings = staticmethod(setting)


@dataclass(frozen=True)
class VerifiedIdentity:
    claims: dict
    id_token: str


class ProConnectClient(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend used as a client: never put in
    AUTHENTICATION_BACKENDS, it only verifies (accounts are decided elsewhere)."""

    get_settings = staticmethod(setting)
    # Hooks an authority's own provider (accounts.sso.own) overrides.
    required_claims = REQUIRED_CLAIMS

    def expected_issuer(self) -> str:
        return metadata()["issuer"]

    def acr_values(self) -> str:
        return settings.PROCONNECT_ACR_VALUES

    def redirect_uri(self, request) -> str:
        return absolutify(request, reverse(settings.OIDC_AUTHENTICATION_CALLBACK_URL))

    def retrieve_matching_jwk(self, token):
        """The provider's key for `token` (see `select_jwk`)."""
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT,
                                timeout=self.get_settings("OIDC_TIMEOUT", None))
        response.raise_for_status()
        return select_jwk(response.json().get("keys", []), token)

    def _verify_jws(self, payload, key):
        """The library's check (algorithm pinned, signature) plus audience, issuer and
        expiry, which it leaves out."""
        try:
            algorithm = jwt.get_unverified_header(payload).get("alg")
        except jwt.PyJWTError as error:
            raise SuspiciousOperation("unreadable JWT") from error
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"JWT signed with {algorithm!r}")
        try:
            return jwt.decode(
                payload, key, algorithms=[algorithm], audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.expected_issuer(), leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "sub"]})
        except jwt.PyJWTError as error:
            raise SuspiciousOperation(f"JWT refused: {error}") from error

    def verified_identity(self, request, *, nonce: str,
                          code_verifier: str | None) -> VerifiedIdentity:
        """Exchange the callback's code and return the verified claims (ID token and
        signed userinfo). Raises IdentityRefused."""
        self.request = request
        code = request.GET.get("code")
        if not code:
            raise IdentityRefused("provider_error", "callback without a code")
        payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri(request),
        }
        if code_verifier is not None:
            payload["code_verifier"] = code_verifier
        try:
            tokens = self.get_token(payload)
        except (requests.RequestException, ValueError) as error:
            raise IdentityRefused("provider_error", f"token request failed: {error}") from error
        id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
        if not id_token or not access_token:
            raise IdentityRefused("invalid_token", "token answer without tokens")
        try:
            id_claims = self.verify_token(id_token, nonce=nonce)
            if "exp" not in id_claims:
                raise SuspiciousOperation("ID token without expiry")
            acr = self.acr_values()
            if acr and id_claims.get("acr") not in acr.split():
                raise SuspiciousOperation("ID token of another assurance level")
            userinfo = self.get_userinfo(access_token, id_token, id_claims)
        except (SuspiciousOperation, KeyError, jwt.PyJWTError) as error:
            raise IdentityRefused("invalid_token", str(error)) from error
        except (requests.RequestException, ValueError) as error:
            raise IdentityRefused("provider_error", f"userinfo failed: {error}") from error
        if userinfo.get("sub") != id_claims.get("sub"):
            raise IdentityRefused("invalid_token", "userinfo of another subject")
        missing = [name for name in self.required_claims if not userinfo.get(name)]
        if missing:
            raise IdentityRefused("invalid_token", f"claims missing: {', '.join(missing)}")
        return VerifiedIdentity(claims=userinfo, id_token=id_token)

    def get_userinfo(self, access_token, id_token, payload):
        """ProConnect answers a signed JWT; a plain JSON answer is refused."""
        response = requests.get(
            self.OIDC_OP_USER_ENDPOINT, headers={"Authorization": f"Bearer {access_token}"},
            timeout=self.get_settings("OIDC_TIMEOUT", None))
        response.raise_for_status()
        if not response.headers.get("content-type", "").lower().startswith("application/jwt"):
            raise SuspiciousOperation("userinfo is not a signed JWT")
        return self.verify_token(response.text)


# --- Logout ---------------------------------------------------------------------------
# The ID token of a ProConnect sign-in is kept in the agent's session (on their
# subdomain); logging out then also ends the ProConnect session: the browser goes to the
# provider's end_session_endpoint, which comes back to the one post-logout URI registered
# with ProConnect, on the bare host, with our `state`. That state is signed (it names the
# authority to go back to): the bare host has no session of the agent to compare it with.

ID_TOKEN_SESSION_KEY = "proconnect_id_token"
LOGOUT_STATE_SALT = "accounts.sso.logout"
LOGOUT_STATE_MAX_AGE = 600


def logout_state(slug: str) -> str:
    return signing.dumps({"a": slug, "r": get_random_string(32)}, salt=LOGOUT_STATE_SALT)


def slug_of_logout_state(state: str) -> str | None:
    """The authority a post-logout `state` names, None when forged or too old."""
    try:
        data = signing.loads(state, salt=LOGOUT_STATE_SALT, max_age=LOGOUT_STATE_MAX_AGE)
    except signing.BadSignature:
        return None
    return data.get("a") if isinstance(data, dict) else None


def end_session_url(*, id_token: str, state: str, post_logout_redirect_uri: str) -> str | None:
    """ProConnect's logout URL (None when ProConnect is off or has no such endpoint)."""
    if not (is_enabled() and id_token):
        return None
    try:
        endpoint = metadata().get("end_session_endpoint")
    except (requests.RequestException, ValueError, ImproperlyConfigured):
        return None
    if not endpoint:
        return None
    return endpoint + "?" + urlencode({"id_token_hint": id_token, "state": state,
                                       "post_logout_redirect_uri": post_logout_redirect_uri})


def select_jwk(keys: list[dict], token) -> jwt.PyJWK:
    """The signing key of a provider's JWKS `keys` for `token`: the one with the JWT
    header's `kid` and algorithm. OpenID Connect requires a `kid` only of a provider
    publishing several keys (Core 1.0, §10.1): without one, the JWKS's only signing key
    of that algorithm is used (the signature is then checked as always); several keys
    and no `kid` is refused. Used for ProConnect and the authorities' own providers."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise SuspiciousOperation("unreadable JWT") from error
    candidates = [key for key in keys
                  if key.get("use", "sig") == "sig"
                  and key.get("alg", header.get("alg")) == header.get("alg")]
    if "kid" in header:
        candidates = [key for key in candidates if key.get("kid") == header["kid"]]
        if not candidates:
            raise SuspiciousOperation("no matching key in the provider's JWKS")
    elif len(candidates) != 1:
        raise SuspiciousOperation("JWT without kid, and not exactly one signing key")
    return jwt.PyJWK(candidates[0])
