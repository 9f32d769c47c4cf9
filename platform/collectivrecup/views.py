"""Project-level pages of an authority's app."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from exchange.listings import selectors as exchange_selectors


@login_required
def home(request):
    """The agent's start page: the newest listings, then the account."""
    return render(request, "home.html",
                  {"latest_listings": exchange_selectors.latest_listings(4)})
