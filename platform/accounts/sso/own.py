"""The authority's own OpenID Connect provider (Entra ID, Keycloak, LemonLDAP::NG).

Configured by the authority's administrators (accounts.models.AuthorityOidcProvider,
one per schema); its callback lives on the authority's subdomain
(`/accounts/oidc/callback/`), so no hand-off is needed. The answer is verified by the
ProConnect client (accounts.sso.oidc.ProConnectClient: signature with the provider's
JWKS, algorithm, audience, issuer, expiry, nonce; state and PKCE kept in the session),
given this provider's endpoints and credentials. Accounts follow the ProConnect rules
(accounts.sso.services.sign_in_with_claims) plus the moderator mapping.

- `encrypt_secret` / `decrypt_secret`: Fernet, with a key derived from
  settings.OIDC_SECRETS_KEY (production requires it; local and test settings derive it
  from SECRET_KEY).
- `check_discovery`: fetches `<issuer>/.well-known/openid-configuration` and the JWKS,
  raising DiscoveryError with a message for the admin.
- `save_settings`, `mark_tested`, `set_enabled`: the writes, each journalled in
  OidcProviderChange (never the secret's value).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import socket
from urllib.parse import urlencode, urlparse

import requests
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuthorityOidcProvider, OidcProviderChange, User
from accounts.services import person_label
from accounts.sso.oidc import DISCOVERED, AuthorizationRequestView, ProConnectClient, select_jwk

METHOD = "own_oidc"
CALLBACK_URL_NAME = "accounts:oidc_callback"
# Fields whose old and new values the journal keeps (the secret: only "replaced").
AUDITED = ("name", "issuer", "client_id", "email_claim", "moderator_claim",
           "moderator_values")
# A change of one of these makes the last test void: the admin tests again.
NEEDS_NEW_TEST = ("issuer", "client_id", "client_secret")


class DiscoveryError(Exception):
    """The provider's settings cannot be used: the issuer URL does not lead to a usable
    OpenID Connect provider, or the secret cannot be stored or read (the message is for
    the admin, in their language). `field`: the form field it belongs to (None: the
    whole form)."""

    def __init__(self, message: str, field: str | None = "issuer"):
        self.field = field
        super().__init__(message)


# --- Secret at rest ----------------------------------------------------------------------

def _fernet() -> Fernet:
    if not settings.OIDC_SECRETS_KEY:
        raise DiscoveryError(_("The platform cannot store secrets yet (OIDC_SECRETS_KEY "
                               "is not set): ask the platform's operator."), field=None)
    digest = hashlib.sha256(b"collectivrecup.oidc-secrets:" + settings.OIDC_SECRETS_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:  # the key changed: the admin enters the secret again
        raise DiscoveryError(_("The stored client secret cannot be read any more: "
                               "enter it again."), field="client_secret") from error


# --- Discovery ------------------------------------------------------------------------
# The issuer URL is typed by an authority's admin and the server fetches it, then the
# endpoints its discovery names: each must be https on a host whose every address is
# public. Otherwise an admin could make the platform read the cloud metadata service
# (169.254.169.254), a database on 10.x, or the platform's own loopback services. The
# check runs on save and again before each server-side request at sign-in (a host that
# later resolves elsewhere is caught then); no redirect is ever followed.
# settings.OIDC_ALLOW_LOOPBACK_ISSUERS (local and test settings) lets loopback through,
# over http too; private, link-local and reserved addresses never pass.

# The endpoints of a discovery document the platform or the browser goes to.
CHECKED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri",
                     "userinfo_endpoint", "end_session_endpoint")


class UnsafeAddress(DiscoveryError):
    """A URL the platform must not fetch (not https, or not a public address)."""


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeAddress(_("The address %(host)s could not be found.") % {"host": host}) \
            from error
    addresses = []
    for *_rest, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        addresses.append(address)
    return addresses


def _names_loopback(host: str) -> bool:
    """`host` is written as a loopback address (http is only ever allowed there)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_public_url(url_text: str) -> None:
    """Raise UnsafeAddress (French message for the admin) unless `url_text` is https
    on a public address (or loopback, where settings allow it)."""
    url = urlparse(url_text)
    if url.scheme not in ("https", "http") or not url.hostname:
        raise UnsafeAddress(_("Enter the full issuer URL, starting with https://."))
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
    except ValueError as error:
        raise UnsafeAddress(_("Enter the full issuer URL, starting with https://.")) from error
    if url.scheme == "http" and not (settings.OIDC_ALLOW_LOOPBACK_ISSUERS
                                     and _names_loopback(url.hostname)):
        raise UnsafeAddress(_("The issuer URL must use https://."))
    addresses = _addresses(url.hostname, port)
    loopback_allowed = settings.OIDC_ALLOW_LOOPBACK_ISSUERS and addresses and all(
        address.is_loopback for address in addresses)
    if not loopback_allowed:
        if url.scheme != "https":
            raise UnsafeAddress(_("The issuer URL must use https://."))
        if not addresses or not all(address.is_global and not address.is_multicast
                                    for address in addresses):
            raise UnsafeAddress(_(
                "The address %(host)s leads to a private, local or reserved network: "
                "the provider must be reachable on the Internet, over https.") % {
                "host": url.hostname})


def normalise_issuer(issuer: str) -> str:
    return issuer.strip().rstrip("/")


def check_discovery(issuer: str) -> dict:
    """The provider's discovery document, its issuer, endpoints and JWKS checked."""
    issuer = normalise_issuer(issuer)
    check_public_url(issuer)
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration",
                                timeout=settings.OIDC_TIMEOUT, allow_redirects=False)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise DiscoveryError(_(
            "The discovery document could not be read at %(url)s (%(error)s).") % {
            "url": f"{issuer}/.well-known/openid-configuration",
            "error": type(error).__name__}) from error
    if not isinstance(document, dict) or normalise_issuer(
            str(document.get("issuer", ""))) != issuer:
        raise DiscoveryError(_("The discovery document names another issuer."))
    missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri")
               if not document.get(key)]
    if missing:
        raise DiscoveryError(_("The discovery document lacks: %(keys)s.") % {
            "keys": ", ".join(missing)})
    for key in CHECKED_ENDPOINTS:
        if document.get(key):
            try:
                check_public_url(str(document[key]))
            except UnsafeAddress as error:
                raise UnsafeAddress(_("The discovery document's %(key)s is refused: "
                                      "%(reason)s") % {"key": key, "reason": error}) \
                    from error
    try:
        keys = requests.get(document["jwks_uri"], timeout=settings.OIDC_TIMEOUT,
                            allow_redirects=False)
        keys.raise_for_status()
        if not keys.json().get("keys"):
            raise ValueError("no key")
    except (requests.RequestException, ValueError, AttributeError) as error:
        raise DiscoveryError(_("The provider's signing keys (JWKS) could not be read.")) \
            from error
    return {key: document[key] for key in (*DISCOVERED.values(), "issuer") if key in document}


# --- Writes -----------------------------------------------------------------------------

def current() -> AuthorityOidcProvider | None:
    return AuthorityOidcProvider.objects.first()


def enabled() -> AuthorityOidcProvider | None:
    """The provider agents may sign in with (this schema's, switched on)."""
    return AuthorityOidcProvider.objects.filter(is_enabled=True).first()


def _journal(actor: User, action: str, changes: dict) -> None:
    OidcProviderChange.objects.create(actor=actor, actor_label=person_label(actor)[:300],
                                      action=action, changes=changes)


@transaction.atomic
def save_settings(*, actor: User, name: str, issuer: str, client_id: str,
                  client_secret: str, email_claim: str, moderator_claim: str,
                  moderator_values: list[str]) -> AuthorityOidcProvider:
    """Create or change the provider, after checking its discovery (DiscoveryError).
    An empty `client_secret` keeps the stored one. Changing the issuer, the client or
    the secret switches the provider off until it is tested again."""
    discovery = check_discovery(issuer)
    provider = AuthorityOidcProvider.objects.select_for_update().first()
    created = provider is None
    if created:
        provider = AuthorityOidcProvider()
        if not client_secret:
            raise DiscoveryError(_("Enter the client secret."), field="client_secret")
    new = {"name": name.strip(), "issuer": normalise_issuer(issuer),
           "client_id": client_id.strip(), "email_claim": email_claim.strip() or "email",
           "moderator_claim": moderator_claim.strip(),
           "moderator_values": [v.strip() for v in moderator_values if v.strip()]}
    changes = {field: [None if created else getattr(provider, field), value]
               for field, value in new.items()
               if created or getattr(provider, field) != value}
    for field, value in new.items():
        setattr(provider, field, value)
    if client_secret:
        provider.client_secret_encrypted = encrypt_secret(client_secret)
        changes["client_secret"] = "replaced" if not created else "set"
    provider.discovery = discovery
    if any(field in changes for field in NEEDS_NEW_TEST) and provider.tested_at:
        provider.tested_at = None
        if provider.is_enabled:
            provider.is_enabled = False
            changes["is_enabled"] = [True, False]
    provider.save()
    if changes:
        _journal(actor, "created" if created else "changed", changes)
    return provider


def mark_tested(actor: User, provider: AuthorityOidcProvider) -> None:
    provider.tested_at = timezone.now()
    provider.save(update_fields=["tested_at", "updated_at"])
    _journal(actor, "tested", {})


class NotTested(Exception):
    """Switching on a provider whose sign-in was not tested since its last change."""


@transaction.atomic
def set_enabled(actor: User, enabled: bool) -> AuthorityOidcProvider:
    provider = AuthorityOidcProvider.objects.select_for_update().get()
    if enabled and provider.tested_at is None:
        raise NotTested(_("Test the sign-in with this provider before switching it on."))
    if provider.is_enabled != enabled:
        provider.is_enabled = enabled
        provider.save(update_fields=["is_enabled", "updated_at"])
        _journal(actor, "enabled" if enabled else "disabled",
                 {"is_enabled": [not enabled, enabled]})
    return provider


# --- The client -----------------------------------------------------------------------

def claim_matches(claims: dict, name: str, values: list[str]) -> bool:
    """The moderator mapping: the claim (a string or a list) holds one of `values`."""
    if not (name and values):
        return False
    found = claims.get(name)
    found = found if isinstance(found, list) else [found]
    return any(str(value) in values for value in found if value is not None)


def normalised_claims(provider: AuthorityOidcProvider, claims: dict) -> dict:
    """The claims in ProConnect's names, as accounts.sso.services reads them."""
    return {"sub": claims.get("sub"),
            "email": str(claims.get(provider.email_claim) or ""),
            "given_name": claims.get("given_name") or "",
            "usual_name": claims.get("family_name") or claims.get("usual_name") or "",
            "organizational_unit": ""}


def _settings_of(provider: AuthorityOidcProvider):
    """mozilla-django-oidc's settings look-up for this provider."""
    values = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": provider.discovery.get("authorization_endpoint"),
        "OIDC_OP_TOKEN_ENDPOINT": provider.discovery.get("token_endpoint"),
        "OIDC_OP_USER_ENDPOINT": provider.discovery.get("userinfo_endpoint"),
        "OIDC_OP_JWKS_ENDPOINT": provider.discovery.get("jwks_uri"),
        "OIDC_RP_CLIENT_ID": provider.client_id,
        "OIDC_RP_SCOPES": "openid email profile",
        "OIDC_AUTHENTICATION_CALLBACK_URL": CALLBACK_URL_NAME,
        "OIDC_AUTH_REQUEST_EXTRA_PARAMS": {},
        "OIDC_USE_PKCE": True,
    }

    def get(attr, *default):
        if attr == "OIDC_RP_CLIENT_SECRET":
            return decrypt_secret(provider.client_secret_encrypted)
        if attr in values:
            return values[attr]
        return getattr(settings, attr, *default)

    return get


class OwnAuthorizationRequestView(AuthorizationRequestView):
    """The redirect to the authority's provider (state, nonce, PKCE in the session)."""

    provider = None

    def get_settings(self, attr, *default):
        return _settings_of(self.provider)(attr, *default)


class OwnProviderClient(ProConnectClient):
    """ProConnect's verifying client, with this provider's endpoints and credentials.
    The userinfo answer may be plain JSON (Entra ID, Keycloak) or a signed JWT; the
    ID token's claims come first, the userinfo completes them."""

    def __init__(self, provider: AuthorityOidcProvider):
        self.provider = provider
        self.required_claims = ("sub", "email")
        super().__init__()

    def get_settings(self, attr, *default):
        return _settings_of(self.provider)(attr, *default)

    def expected_issuer(self) -> str:
        return self.provider.discovery["issuer"]

    def acr_values(self) -> str:
        return ""

    def redirect_uri(self, request) -> str:
        return request.build_absolute_uri(reverse(CALLBACK_URL_NAME))

    # Each server-side request checks its URL again (the host may resolve elsewhere
    # since the settings were saved) and follows no redirect.

    def get_token(self, payload):
        check_public_url(self.OIDC_OP_TOKEN_ENDPOINT)
        response = requests.post(self.OIDC_OP_TOKEN_ENDPOINT, data=payload,
                                 timeout=settings.OIDC_TIMEOUT, allow_redirects=False)
        self.raise_token_response_error(response)
        return response.json()

    def retrieve_matching_jwk(self, token):
        """The provider's key for `token` (accounts.sso.oidc.select_jwk)."""
        check_public_url(self.OIDC_OP_JWKS_ENDPOINT)
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.OIDC_TIMEOUT,
                                allow_redirects=False)
        response.raise_for_status()
        return select_jwk(response.json().get("keys", []), token)

    def get_userinfo(self, access_token, id_token, payload):
        merged = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            check_public_url(self.OIDC_OP_USER_ENDPOINT)
            response = requests.get(
                self.OIDC_OP_USER_ENDPOINT,
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=settings.OIDC_TIMEOUT, allow_redirects=False)
            response.raise_for_status()
            if response.headers.get("content-type", "").lower().startswith("application/jwt"):
                extra = self.verify_token(response.text)
            else:
                extra = response.json()
            if extra.get("sub") != payload.get("sub"):
                extra = {"sub": "userinfo-of-another-subject"}
            merged.update({key: value for key, value in extra.items()
                           if key not in ("iss", "aud", "exp", "iat", "nonce")})
        return normalised_claims(self.provider, merged) | {"raw": merged}


# --- Logout ---------------------------------------------------------------------------
# The ID token of a sign-in through the provider is kept in the agent's session; logging
# out then also ends the provider's session when its discovery names an
# end_session_endpoint (RP-initiated logout): the browser goes there with the token as
# id_token_hint and comes back to this subdomain's sign-in page, the post-logout URI the
# admin registers beside the redirect URI (shown on the settings page).

ID_TOKEN_SESSION_KEY = "own_oidc_id_token"
POST_LOGOUT_URL_NAME = "accounts:login"


def end_session_url(provider: AuthorityOidcProvider | None, *, id_token: str,
                    post_logout_redirect_uri: str) -> str | None:
    """The provider's logout URL, None without an ID token, a provider switched on or
    an end_session_endpoint (checked https and public when the settings were saved)."""
    if not (provider and id_token):
        return None
    endpoint = str(provider.discovery.get("end_session_endpoint") or "")
    if not endpoint:
        return None
    query = urlencode({"id_token_hint": id_token, "client_id": provider.client_id,
                       "post_logout_redirect_uri": post_logout_redirect_uri})
    return endpoint + ("&" if "?" in endpoint else "?") + query
