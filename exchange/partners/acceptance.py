"""A grant takes effect when the partner accepts it.

Creating a grant e-mails the partner's contact address a link to a page on the bare
host. The link carries a token signed with the site's SECRET_KEY (django.core.signing,
its own salt) naming the grant and the moment it was made; it expires after
LINK_LIFETIME and serves once (an accepted grant refuses it). A tampered token fails
its signature. Nothing of the token is stored: the grant's `accepted_at` is the state.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.links import absolute_url
from exchange.partners.models import PartnerGrant

SALT = "exchange.partners.grant-acceptance"
LINK_LIFETIME = timedelta(days=14)


class LinkRefused(Exception):
    """The link is malformed, tampered with or expired; the message says which."""


def make_token(grant: PartnerGrant) -> str:
    return signing.dumps({"grant": grant.pk, "partner": grant.partner_id}, salt=SALT,
                         compress=False)


def read_token(token: str) -> tuple[int, int]:
    """(grant id, partner id) of a valid token; raises LinkRefused otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_LIFETIME)
    except signing.SignatureExpired:
        raise LinkRefused(_("This link has expired: ask the authority to send it again."))\
            from None
    except signing.BadSignature:
        raise LinkRefused(_("This link is not valid.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("grant"), int) \
            or not isinstance(data.get("partner"), int):
        raise LinkRefused(_("This link is not valid."))
    return data["grant"], data["partner"]


def acceptance_url(grant: PartnerGrant) -> str:
    """The link on the bare host (whatever host the grant was created from)."""
    path = reverse("partner_grants:accept", args=[make_token(grant)],
                   urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    return absolute_url(path)


def send_invitation(grant_id: int) -> None:
    """E-mail the partner's contact the link to accept grant `grant_id` (after commit).
    Nothing is sent for a grant revoked or accepted meanwhile."""
    grant = (PartnerGrant.objects.select_related("partner", "authority")
             .filter(pk=grant_id, revoked_at__isnull=True, accepted_at__isnull=True).first())
    if grant is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {"grant": grant, "partner": grant.partner, "authority": grant.authority,
                   "url": acceptance_url(grant),
                   "days": LINK_LIFETIME.days}
        EmailMessage(
            subject=render_to_string("partners/email/grant_subject.txt", context).strip(),
            body=render_to_string("partners/email/grant_body.txt", context),
            to=[grant.partner.contact_email]).send()
