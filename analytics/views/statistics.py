"""Statistics pages of an authority beyond the report (issue 5, stream "stats"):
loi AGEC figures and declaration CSV, six-monthly weight campaigns, factor overrides,
statistics settings (public impact opt-in, SIRET, retired IT stock), and an agent's own
non-monetary figures. Views read a form, call analytics.* and render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import (
    agec_viewer_required,
    agent_required,
    authority_admin_required,
    factor_manager_required,
    moderator_required,
)
from analytics import agec, campaigns
from analytics import selectors as fact_selectors
from analytics import services as stats_services
from analytics.facts import factor_table
from analytics.forms import (
    CategoryCorrectionForm,
    FactorOverrideForm,
    LineCorrectionForm,
    RetiredITStockForm,
    StatsSettingsForm,
    YearForm,
)
from analytics.models import FactorOverride, ReferenceItem, WeightCampaign
from analytics.views.back_office import render_section

# --- Loi AGEC (who sees it: accounts.permissions.can_view_agec) -------------------------

def _year(request):
    form = YearForm.from_query(request.GET, timezone.localdate())
    return form, (form.cleaned_data["year"] if form.is_valid() else None)


def _agec_context(request, year: int) -> dict:
    rows = agec.agec_rows(request.tenant, year)
    years = agec.figure_years(request.tenant, year)
    return {
        "year": year, "rows": rows,
        "declaration": agec.declaration(request.tenant, year, rows),
        "internal_total": sum((row.internal_eur for row in rows), agec.ZERO),
        "years": years, "year_on_year": agec.year_on_year(request.tenant, years),
        "decree_wording": agec.DECREE_ACQUISITION_WORDING,
        "it": agec.it_reuse_share(request.tenant, year),
    }


@agec_viewer_required
@require_GET
def agec_report(request):
    """Per AGEC category: purchases, reuse, donations acquired, the share reached next
    to the decree's minimum, internal reuse as purchases avoided; the declaration's
    state (what is missing); the years side by side."""
    form, year = _year(request)
    if year is None:
        return render_section(request, "agec.html", {"form": form}, section="agec", status=400)
    return render_section(request, "agec.html", {"form": form, **_agec_context(request, year)},
                          section="agec")


@agec_viewer_required
@require_GET
def agec_csv(request):
    """The declaration CSV, only when it validates against the official schema; else
    409 and the page that lists what is missing (no file)."""
    form, year = _year(request)
    if year is None:
        return render_section(request, "agec.html", {"form": form}, section="agec", status=400)
    try:
        text = agec.declaration_csv(request.tenant, year)
    except agec.DeclarationIncomplete:
        return render_section(request, "agec.html", {
            "form": form, "refused": True, **_agec_context(request, year)},
            section="agec", status=409)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="collectivrecup-{request.tenant.slug}-agec-{year}.csv"')
    return response


# --- Weight campaigns -------------------------------------------------------------------

@moderator_required
@require_GET
def campaign_list(request):
    rows = campaigns.campaigns_between(request.tenant, date.min, date.max)
    return render_section(request, "campaign_list.html", {"rows": rows[::-1]}, section="campaigns")


def _campaign(request, year: int, semester: int) -> WeightCampaign:
    campaign = WeightCampaign.objects.filter(authority=request.tenant, year=year,
                                             semester=semester).first()
    if campaign is None:
        raise Http404
    return campaign


@moderator_required
@require_http_methods(["GET", "POST"])
def campaign_detail(request, year: int, semester: int):
    campaign = _campaign(request, year, semester)
    status = 200
    error = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "line":
                form = LineCorrectionForm(request.POST)
                if not form.is_valid():
                    raise campaigns.CampaignError(_("Enter a weight in kg (0 or more)."))
                campaigns.correct_line(campaign, form.cleaned_data["transfer_id"],
                                       form.cleaned_data["weight_kg"], request.user)
            elif action == "category":
                form = CategoryCorrectionForm(request.POST)
                if not form.is_valid():
                    raise campaigns.CampaignError(_("Enter a weight in kg (0 or more)."))
                campaigns.correct_category(campaign, form.cleaned_data["category"],
                                           form.cleaned_data["total_kg"], request.user)
            elif action == "validate":
                campaigns.validate(campaign, request.user)
                messages.success(request, _("The semester is validated and locked."))
            else:
                raise campaigns.CampaignError(_("Unknown action."))
        except campaigns.CampaignError as refused:
            error, status = str(refused), 400
        else:
            return redirect("statistics:weight_campaign", year=year, semester=semester)
        campaign.refresh_from_db()
    figures = campaigns.category_figures(campaign)
    return render_section(request, "campaign_detail.html", {
        "campaign": campaign, "figures": figures, "error": error,
        "total_kg": sum((f.weight_kg for f in figures), campaigns.ZERO),
        "current_kg": sum((f.current_kg for f in figures), campaigns.ZERO),
        "adjustments": campaign.adjustments.all(),
    }, section="campaigns", status=status)


# --- Factor overrides -------------------------------------------------------------------

@factor_manager_required
@require_http_methods(["GET", "POST"])
def factor_overrides(request):
    """Reference factors of every item type, with the authority's own figures."""
    status, bad_form = 200, None
    if request.method == "POST":
        form = FactorOverrideForm(request.POST)
        if form.is_valid():
            try:
                stats_services.save_override(request.tenant, **form.cleaned_data)
            except stats_services.StatsError as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, _("The factors were saved; the figures are "
                                            "being recomputed."))
                return redirect("statistics:factor_overrides")
        status, bad_form = 400, form
    overrides = {o.reference_code: o for o in FactorOverride.objects.filter(
        authority=request.tenant)}
    table = factor_table(request.tenant)
    items = []
    for item in ReferenceItem.objects.all():
        override = overrides.get(item.code)
        if bad_form is not None and bad_form.data.get("reference_code") == item.code:
            form = bad_form
        else:
            form = FactorOverrideForm(initial={
                "reference_code": item.code,
                "weight_kg": override.weight_kg if override else None,
                "co2e_kg_per_item": override.co2e_kg_per_item if override else None,
                "source": override.source if override else ""})
        items.append({"item": item, "override": override, "form": form,
                      "factors": table.get(item.code)})
    return render_section(request, "factors.html", {"items": items}, section="factors",
                   status=status)


# --- Statistics settings (authority admins) ---------------------------------------------

@authority_admin_required
@require_http_methods(["GET", "POST"])
def stats_settings(request):
    current = stats_services.stats_settings(request.tenant)
    form = StatsSettingsForm(initial={"public_impact": current.public_impact,
                                      "siret": request.tenant.siret},
                             authority=request.tenant)
    stock_form = RetiredITStockForm(initial={"year": timezone.localdate().year})
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "stock":
            stock_form = RetiredITStockForm(request.POST)
            if stock_form.is_valid():
                stats_services.record_it_stock(request.tenant, **stock_form.cleaned_data)
                messages.success(request, _("The retired IT stock was recorded."))
                return redirect("statistics:stats_settings")
        else:
            form = StatsSettingsForm(request.POST, authority=request.tenant)
            if form.is_valid():
                stats_services.save_stats_settings(request.tenant, **form.cleaned_data)
                messages.success(request, _("The statistics settings were saved."))
                return redirect("statistics:stats_settings")
        status = 400
    stocks = request.tenant.retired_it_stocks.all()
    return render_section(request, "stats_settings.html", {
        "form": form, "stock_form": stock_form, "stocks": stocks},
        section="stats_settings", status=status)


# --- An agent's own figures -------------------------------------------------------------

@agent_required
@require_GET
def my_impact(request):
    """Items the agent gave and their service received, kg and CO2e: never €."""
    return render(request, "analytics/my_impact.html", {
        "figures": fact_selectors.agent_figures(request.tenant, request.user)})
