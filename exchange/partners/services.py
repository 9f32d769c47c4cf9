"""Writes on partners, grants, keys and partner requests (public schema).

Views of the authority admin and of the operator, the partner API, commands and tests
all call these; none repeats a check. `actor_email` names who acted (an authority's
admin or an operator); `authority` is the admin's authority (None for an operator).
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.catalogue.models import CatalogueEntry
from exchange.listings.errors import ExchangeError
from exchange.partners import keys
from exchange.partners.acceptance import send_invitation
from exchange.partners.grounds import PartnerGrantGround
from exchange.partners.models import (
    ApiKey,
    Partner,
    PartnerAuditEntry,
    PartnerGrant,
    PartnerRequest,
    RequestStatus,
    Scope,
    WebhookEndpoint,
)
from exchange.partners.queueing import SEND_REQUEST_MAIL
from exchange.partners.selectors import grant_of
from tenants.audit import record_action
from tenants.background import queue_by_name
from tenants.crossing import CrossingRefused, in_authority
from tenants.models import Authority

log = logging.getLogger(__name__)

AGREEMENT_MAX_BYTES = 10 * 1024 * 1024
MAX_KEY_LIFETIME = timedelta(days=2 * 365)
LAST_USED_PRECISION = timedelta(minutes=1)


def _audit(action: str, actor_email: str, authority: Authority | None,
           partner: Partner | None, **details) -> None:
    PartnerAuditEntry.objects.create(action=action, actor_email=actor_email,
                                     authority=authority, partner=partner, details=details)


def _operator_audit(action: str, actor, partner: Partner, **details) -> None:
    """Operators' actions also go to the console's audit log."""
    if actor is None:
        return
    record_action(actor, action, partner=partner.pk, **details)


# --- Partners ---------------------------------------------------------------------------

@transaction.atomic
def create_partner(*, actor_email: str, authority: Authority | None = None,
                   operator=None, **fields) -> Partner:
    """A new partner, validated (SIRET check digit, départements)."""
    fields["departements"] = sorted({d.strip().upper() for d in fields.get("departements", [])
                                     if d.strip()})
    partner = Partner(**fields)
    partner.full_clean()
    partner.save()
    _audit("partner_created", actor_email, authority, partner)
    _operator_audit("partner_created", operator, partner)
    return partner


# --- Grants -----------------------------------------------------------------------------

def validate_agreement(upload) -> None:
    """A donation agreement is a PDF (magic bytes) of at most 10 MB."""
    if upload.size > AGREEMENT_MAX_BYTES:
        raise ExchangeError(_("The agreement is too large (10 MB at most)."), code="agreement")
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise ExchangeError(_("The agreement must be a PDF file."), code="agreement")


@transaction.atomic
def grant_partner(*, authority: Authority, partner: Partner, scopes: list[str],
                  actor_email: str, agreement=None, agreement_reference: str = "",
                  valid_from: date | None = None, valid_until: date | None = None
                  ) -> PartnerGrant:
    """Let `partner` in with `scopes`; replaces the scopes and dates of a live grant."""
    scopes = sorted(set(scopes))
    if not scopes:
        raise ExchangeError(_("Choose at least one access."), code="scopes")
    if any(scope not in Scope.values for scope in scopes):
        raise ExchangeError(_("Unknown access."), code="scopes")
    if valid_from and valid_until and valid_until < valid_from:
        raise ExchangeError(_("The agreement cannot end before it starts."), code="dates")
    if agreement is not None:
        validate_agreement(agreement)
    grant = (PartnerGrant.objects.select_for_update()
             .filter(authority=authority, partner=partner, revoked_at__isnull=True).first())
    created = grant is None
    if created:
        grant = PartnerGrant(authority=authority, partner=partner, granted_by=actor_email)
    grant.scopes = scopes
    grant.valid_from, grant.valid_until = valid_from, valid_until
    if agreement_reference or created:
        grant.agreement_reference = agreement_reference.strip()
    if agreement is not None:
        grant.agreement.save(agreement.name, agreement, save=False)
    grant.updated_at = timezone.now()
    grant.save()
    _audit("grant_created" if created else "grant_updated", actor_email, authority, partner,
           scopes=scopes)
    if grant.accepted_at is None:
        # The grant reads nothing until the partner accepts it: (re)send the link.
        grant_id = grant.pk
        transaction.on_commit(lambda: send_invitation(grant_id))
    return grant


@transaction.atomic
def resend_invitation(*, grant: PartnerGrant, actor_email: str,
                      authority: Authority | None = None) -> None:
    """E-mail the partner a fresh acceptance link for a grant still waiting for it."""
    if authority is not None and grant.authority_id != authority.pk:
        raise ExchangeError(_("This access belongs to another authority."), code="forbidden")
    if not grant.is_pending:
        raise ExchangeError(_("This access does not wait for the partner any more."),
                            code="not_pending")
    grant_id = grant.pk
    transaction.on_commit(lambda: send_invitation(grant_id))
    _audit("grant_link_resent", actor_email, grant.authority, grant.partner)


class AcceptanceRefused(ExchangeError):
    """A grant that can no longer be accepted (revoked, already accepted)."""


def check_acceptable(grant: PartnerGrant) -> None:
    """Raise AcceptanceRefused unless `grant` waits for its partner's acceptance."""
    if grant.revoked_at is not None:
        raise AcceptanceRefused(_("This access was withdrawn by the authority."),
                                code="revoked")
    if grant.accepted_at is not None:
        raise AcceptanceRefused(_("This access was already accepted: the link served once."),
                                code="used")


@transaction.atomic
def accept_grant(*, grant_id: int, partner_id: int) -> PartnerGrant:
    """The partner accepts grant `grant_id` (from a valid signed link): it takes effect
    now. Once only: a second use, or a revoked grant, is refused."""
    grant = (PartnerGrant.objects.select_for_update(of=("self",))
             .select_related("partner", "authority")
             .filter(pk=grant_id, partner_id=partner_id).first())
    if grant is None:
        raise AcceptanceRefused(_("This link is not valid."), code="not_found")
    check_acceptable(grant)
    grant.accepted_at = timezone.now()
    grant.accepted_by = grant.partner.contact_email
    grant.save(update_fields=["accepted_at", "accepted_by"])
    _audit("grant_accepted", grant.partner.contact_email, grant.authority, grant.partner)
    return grant


@transaction.atomic
def revoke_grant(*, grant: PartnerGrant, actor_email: str,
                 authority: Authority | None = None) -> PartnerGrant:
    """Revoke at once: the partner's next call sees nothing of this authority; the keys
    of this grant are revoked with it (401 from then on), and operator-issued keys of
    the partner no longer read this authority."""
    if authority is not None and grant.authority_id != authority.pk:
        raise ExchangeError(_("This access belongs to another authority."), code="forbidden")
    if grant.revoked_at is None:
        now = timezone.now()
        grant.revoked_at = now
        grant.revoked_by = actor_email
        grant.save(update_fields=["revoked_at", "revoked_by"])
        prefixes = list(grant.api_keys.filter(revoked_at__isnull=True)
                        .values_list("prefix", flat=True))
        grant.api_keys.filter(revoked_at__isnull=True).update(revoked_at=now,
                                                              revoked_by=actor_email)
        _audit("grant_revoked", actor_email, grant.authority, grant.partner,
               keys_revoked=prefixes)
    return grant


# --- API keys ---------------------------------------------------------------------------

@transaction.atomic
def create_api_key(*, partner: Partner, name: str, actor_email: str,
                   authority: Authority | None = None, operator=None,
                   expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """A new key for `partner`; returns it with the full key, shown once.

    With `authority` (its admin creates it): the key belongs to that authority's
    unrevoked grant of `partner` and reads that authority's data only, once the grant
    is accepted; revoking the grant revokes it. Without (an operator creates it): the
    key is partner-wide and reads what the partner's accepted, live grants allow.
    """
    name = name.strip()
    if not name:
        raise ExchangeError(_("Name the key (e.g. the tool that uses it)."), code="name")
    grant = None
    if authority is not None:
        grant = (PartnerGrant.objects.select_for_update()
                 .filter(authority=authority, partner=partner, revoked_at__isnull=True)
                 .first())
        if grant is None:
            raise ExchangeError(_("Grant this partner an access first."), code="forbidden")
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ExchangeError(_("The expiry date must be in the future."), code="expires_at")
    if expires_at is not None and expires_at > now + MAX_KEY_LIFETIME:
        raise ExchangeError(_("A key lasts two years at most."), code="expires_at")
    prefix, secret, full_key = keys.new_key()
    api_key = ApiKey.objects.create(partner=partner, name=name[:100], prefix=prefix,
                                    secret_hash=keys.digest(secret), authority=authority,
                                    grant=grant, created_by=actor_email,
                                    expires_at=expires_at)
    _audit("key_created", actor_email, authority, partner, prefix=prefix)
    _operator_audit("partner_key_created", operator, partner, prefix=prefix)
    return api_key, full_key


@transaction.atomic
def revoke_api_key(*, api_key: ApiKey, actor_email: str,
                   authority: Authority | None = None, operator=None) -> ApiKey:
    """Revoke at once. An admin revokes the keys of its authority's grants (an
    operator-issued key is cut from its data by revoking the grant instead)."""
    if authority is not None and (api_key.grant is None
                                  or api_key.grant.authority_id != authority.pk):
        raise ExchangeError(_("This key was created by someone else."), code="forbidden")
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.revoked_by = actor_email
        api_key.save(update_fields=["revoked_at", "revoked_by"])
        _audit("key_revoked", actor_email, authority, api_key.partner, prefix=api_key.prefix)
        _operator_audit("partner_key_revoked", operator, api_key.partner,
                        prefix=api_key.prefix)
    return api_key


class KeyRefused(Exception):
    """The key sent is unknown, revoked or expired; the message says which."""


def authenticate_key(raw: str) -> ApiKey:
    """The usable ApiKey for `raw` (`<prefix>.<secret>`), its partner loaded; raises
    KeyRefused otherwise. Records the last use at most once a minute (one UPDATE)."""
    parts = keys.split(raw)
    if parts is None:
        raise KeyRefused(_("Malformed API key: send `Authorization: Bearer <prefix>.<secret>`."))
    prefix, secret = parts
    api_key = ApiKey.objects.select_related("partner", "grant").filter(prefix=prefix).first()
    if api_key is None or not keys.matches(secret, api_key.secret_hash):
        raise KeyRefused(_("Unknown API key."))
    now = timezone.now()
    if api_key.revoked_at is not None or (api_key.grant is not None
                                          and api_key.grant.revoked_at is not None):
        raise KeyRefused(_("This API key was revoked."))
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise KeyRefused(_("This API key has expired."))
    if api_key.last_used_at is None or api_key.last_used_at < now - LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


# --- Webhooks ---------------------------------------------------------------------------

@transaction.atomic
def create_webhook_endpoint(*, partner: Partner, url: str, operator) -> WebhookEndpoint:
    """An operator registers where `partner` hears of its offers (webhooks.py signs each
    delivery with the endpoint's secret, shown once); the console's audit log keeps it."""
    endpoint = WebhookEndpoint.objects.create(partner=partner, url=url,
                                              secret=secrets.token_urlsafe(32))
    _operator_audit("partner_webhook_created", operator, partner)
    return endpoint


# --- Partner requests -------------------------------------------------------------------

@transaction.atomic
def request_listing(*, partner: Partner, authority: Authority, listing_id: int,
                    message: str = "", api_key: ApiKey | None = None) -> PartnerRequest:
    """A partner asks for an offered listing (with `api_key`, which must read that
    authority): stored, then mailed to the poster (moderators in Cc, Reply-To the
    partner's contact) in the authority's schema after commit."""
    if grant_of(partner, authority, Scope.LISTINGS_REQUEST, api_key) is None:
        raise ExchangeError(_("This authority has not granted you `listings:request`."),
                            code="forbidden")
    if not CatalogueEntry.objects.filter(authority=authority, listing_id=listing_id,
                                         offered_at__isnull=False).exists():
        raise ExchangeError(_("This listing is not offered to partners."), code="not_found")
    if PartnerRequest.objects.filter(partner=partner, authority=authority,
                                     listing_id=listing_id,
                                     status__in=[RequestStatus.PENDING, RequestStatus.SENT]
                                     ).exists():
        raise ExchangeError(_("You already asked for this listing; the poster will answer "
                              "by e-mail."), code="duplicate")
    partner_request = PartnerRequest.objects.create(
        partner=partner, authority=authority, listing_id=listing_id,
        message=message.strip()[:2000])
    transaction.on_commit(lambda: queue_request_mail(partner_request.pk))
    return partner_request


def queue_request_mail(partner_request_id: int) -> None:
    """Queue the e-mail of a partner request inside its authority's schema, while the
    partner's grant (`listings:request`) still holds there."""
    partner_request = (PartnerRequest.objects.select_related("authority", "partner")
                       .filter(pk=partner_request_id).first())
    if partner_request is None:
        return
    ground = PartnerGrantGround(partner_request.partner, Scope.LISTINGS_REQUEST)
    try:
        with in_authority(partner_request.authority, ground=ground):
            queue_by_name(SEND_REQUEST_MAIL, partner_request_id)
    except CrossingRefused:
        log.info("partner request %s not mailed: access ended", partner_request_id)


def answer_requests(*, authority: Authority, listing_id: int,
                    given_to: int | None = None) -> list[PartnerRequest]:
    """Close the open requests on a listing that left the catalogue: accepted for the
    partner it was given to, declined for the others. Returns the answered requests
    (their `request.answered` webhooks are queued by the caller)."""
    now = timezone.now()
    answered = []
    with transaction.atomic():
        for partner_request in PartnerRequest.objects.select_for_update().filter(
                authority=authority, listing_id=listing_id,
                status__in=[RequestStatus.PENDING, RequestStatus.SENT]):
            partner_request.status = (RequestStatus.ACCEPTED
                                      if partner_request.partner_id == given_to
                                      else RequestStatus.DECLINED)
            partner_request.answered_at = now
            partner_request.save(update_fields=["status", "answered_at"])
            answered.append(partner_request)
    return answered
