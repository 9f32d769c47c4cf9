"""E-mails of transports, sent after commit (services queue them with
`tenants.background.after_commit`), in the authority's language, with links on its host:
the agents are told when their transport is planned and when it is delivered."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse

from core.links import authority_url
from exchange.logistics.models import TransportRequest


def _agents(transport: TransportRequest) -> list[str]:
    """The requester and the listing's poster (once each), active accounts only."""
    people = [transport.requested_by, transport.listing.poster]
    return list(dict.fromkeys(p.email for p in people if p.is_active and p.email))


def _send(template: str, transport_id: int) -> None:
    transport = (TransportRequest.objects
                 .select_related("listing__poster", "requested_by", "round__team",
                                 "pickup_site", "delivery_site")
                 .filter(pk=transport_id).first())
    if transport is None:
        return
    context = {"transport": transport, "listing": transport.listing,
               "authority": getattr(connection, "tenant", None),
               "url": authority_url(reverse("logistics:transport_detail",
                                            args=[transport.pk]))}
    subject = " ".join(render_to_string(f"logistics/email/{template}_subject.txt",
                                        context).split())
    body = render_to_string(f"logistics/email/{template}_body.txt", context)
    for address in _agents(transport):  # one message each: nobody sees the others
        EmailMessage(subject=subject, body=body, to=[address]).send()


def transport_planned(transport_id: int) -> None:
    _send("planned", transport_id)


def transport_delivered(transport_id: int) -> None:
    _send("delivered", transport_id)


def transport_refused(transport_id: int) -> None:
    _send("refused", transport_id)
