"""E-mails of the statistics: the moderators hear that a weight campaign is open.
Runs after commit, inside the authority's schema (its moderators live there)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import Role
from accounts.selectors import addresses_of_role
from core.links import authority_url


def moderator_emails() -> list[str]:
    return addresses_of_role(Role.MODERATOR)


def campaign_opened(campaign) -> int:
    """Mail every moderator of the current schema the link to the campaign page."""
    to = moderator_emails()
    if not to:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {"campaign": campaign, "authority": getattr(connection, "tenant", None),
                   "url": authority_url(reverse("statistics:weight_campaign",
                                               args=[campaign.year, campaign.semester]))}
        message = EmailMessage(
            subject=render_to_string("analytics/email/campaign_subject.txt", context).strip(),
            body=render_to_string("analytics/email/campaign_body.txt", context), to=to)
    return message.send()
