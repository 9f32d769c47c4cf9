"""One-click outcome links from the outcome reminder e-mail (exchange/listings/reminders.py)."""

from django.db import connection
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from exchange.listings import reminders
from exchange.listings.errors import ExchangeError
from exchange.listings.models import Listing


@require_http_methods(["GET", "HEAD", "POST"])
def outcome_confirm(request, token: str):
    """Confirm, then record, what became of a listing, from a signed e-mail link.

    The link stands for the listing's poster: whoever opens it acts as the poster, signed
    in or not, and `services.closure.close_listing` is called with actor = the poster.
    That is the point of a one-click link (a poster reading mail on a phone is rarely
    signed in); the signed, salted token (30 days, one listing, one action, one
    authority) is the credential, and the e-mail asks not to forward it.

    GET (and HEAD) only show what will happen: mail scanners follow links. POST does it.
    A closed or expired listing shows "already done", which makes every link of the
    e-mail single-use. A tampered or too old token answers 400, a token of another
    authority 404 (as would a listing of another authority).
    """
    try:
        link = reminders.read_outcome_token(token)
    except reminders.InvalidOutcomeLink as error:
        return render(request, "exchange/outcome/invalid.html",
                      {"expired": error.expired}, status=400)
    if link.schema != connection.schema_name:
        raise Http404
    listing = (Listing.objects.select_related("poster", "service", "site", "category")
               .filter(pk=link.listing_id).first())
    if listing is None:
        raise Http404
    try:
        plan = reminders.plan_outcome(link, listing)
    except ExchangeError as error:
        return render(request, "exchange/outcome/invalid.html",
                      {"error": error.messages[0], "listing": listing}, status=400)
    if not plan.is_open:
        return render(request, "exchange/outcome/already_done.html", {"plan": plan})
    if request.method == "POST":
        try:
            transfer = reminders.apply_outcome(plan)
        except ExchangeError as error:
            listing.refresh_from_db(fields=["status"])
            if not plan.is_open:  # closed meanwhile (e.g. a second click)
                return render(request, "exchange/outcome/already_done.html", {"plan": plan})
            return render(request, "exchange/outcome/confirm.html",
                          {"plan": plan, "error": error.messages[0]}, status=400)
        return render(request, "exchange/outcome/done.html",
                      {"plan": plan, "transfer": transfer})
    return render(request, "exchange/outcome/confirm.html", {"plan": plan})
