"""Statistics pages of the bare host: the operators' cross-authority aggregates (by
kind of authority and by département, never a transfer's details) and the public
impact page of the authorities that opted in."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.permissions import operator_required
from analytics import selectors
from analytics.forms import YearForm
from analytics.models import REFERENCE_FACTORS_VERSION, ReferenceItem


@operator_required
@require_GET
def operator_impact(request):
    """Reuse totals across every authority; `?year=` narrows to one year."""
    form = YearForm(request.GET) if request.GET.get("year") else YearForm()
    start = end = None
    status = 200
    if request.GET.get("year"):
        if form.is_valid():
            year = form.cleaned_data["year"]
            start, end = timezone.datetime(year, 1, 1).date(), timezone.datetime(
                year, 12, 31).date()
        else:
            status = 400
    totals = selectors.cross_authority_totals(start, end) if status == 200 else None
    return render(request, "analytics/operator_impact.html", {
        "form": form, "totals": totals}, status=status)


@require_GET
def public_impact(request):
    versions = sorted(set(ReferenceItem.objects.values_list("version", flat=True))) or [
        REFERENCE_FACTORS_VERSION]
    return render(request, "analytics/public_impact.html", {
        "impact": selectors.public_impact(), "versions": versions})
