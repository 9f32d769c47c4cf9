"""Project-level pages of an authority's app."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    """The agent's start page. Listings (exchange app) will fill it."""
    return render(request, "home.html")
