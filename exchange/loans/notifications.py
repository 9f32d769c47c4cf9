"""E-mails of the loans, sent after commit (tenants.background.after_commit) in the
authority's schema, with links on its host. They read and mail, nothing else."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse

from core.links import authority_url
from exchange.loans import selectors
from exchange.loans.models import Booking


def _send(template: str, context: dict, to: list[str]) -> None:
    if not to:
        return
    context = {**context, "authority": getattr(connection, "tenant", None)}
    subject = " ".join(render_to_string(f"loans/email/{template}_subject.txt",
                                        context).split())
    body = render_to_string(f"loans/email/{template}_body.txt", context)
    for address in to:  # one message each: no one sees the others' addresses
        EmailMessage(subject=subject, body=body, to=[address]).send()


def _booking(pk: int) -> Booking | None:
    return (Booking.objects.select_related("item", "borrower", "borrower_service")
            .filter(pk=pk).first())


def booking_url(booking: Booking) -> str:
    return authority_url(reverse("loans:booking_detail", args=[booking.pk]))


def _url_for_borrower(booking: Booking) -> str:
    """The booking's page, for a borrower of this authority; an agent of a sharing
    partner has no account here: no link."""
    return booking_url(booking) if booking.borrower_id else ""


def booking_requested(pk: int) -> None:
    """Tell the owning service's members that an agent asks to borrow."""
    booking = _booking(pk)
    if booking is None:
        return
    _send("requested", {"booking": booking, "url": booking_url(booking)},
          selectors.service_addresses(booking.item.service_id))


def booking_decided(pk: int) -> None:
    """Tell the borrower the owning service's answer."""
    booking = _booking(pk)
    if booking is None:
        return
    _send("decided", {"booking": booking, "url": _url_for_borrower(booking)},
          [booking.borrower_address])


def late_return(pk: int) -> None:
    """Remind the borrower that the items are due back."""
    booking = _booking(pk)
    if booking is None:
        return
    _send("late", {"booking": booking, "url": _url_for_borrower(booking)},
          [booking.borrower_address])
