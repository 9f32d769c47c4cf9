"""The moderators' report page (issue 5, item 4) and its CSV / XLSX exports.

Figures come from analytics.selectors (facts of the request's authority, public schema,
plus the listings of its own schema); views only read the period and render. URLs:
analytics/urls.py (namespace `statistics`)."""

from __future__ import annotations

from django.http import HttpResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import moderator_required
from analytics import agec, campaigns, exports, sources
from analytics import selectors as fact_selectors
from analytics.forms import ReportPeriodForm
from analytics.it_reuse import it_figures
from analytics.models import Destination
from analytics.views.back_office import render_section

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period_form(request) -> ReportPeriodForm:
    return ReportPeriodForm.from_query(request.GET, timezone.localdate())


def _chart_data(report: dict) -> dict:
    """What report-charts.js draws: plain numbers and labels, no markup."""
    labels = dict(Destination.choices)
    return {
        "months": [row["month"] for row in report["months"]],
        "value": [float(row["value_exchanged_eur"]) for row in report["months"]],
        "exchanged": [row["listings_exchanged"] for row in report["months"]],
        "posted": [row["listings_posted"] for row in report["months"]],
        "destinations": [str(labels.get(row["key"], row["key"]))
                         for row in report["by_destination"]],
        "destination_quantities": [row["quantity"] for row in report["by_destination"]],
        "labels": {"value": _("€ given"), "exchanged": _("Listings that found a taker"),
                   "posted": _("Listings posted")},
    }


def _filename(request, start, end, extension: str) -> str:
    return f"collectivrecup-{request.tenant.slug}-rapport-{start}-{end}.{extension}"


@moderator_required
@require_GET
def report(request):
    form = _period_form(request)
    context = {"form": form, "report": None}
    if not form.is_valid():
        return render_section(request, "report.html", context, section="report", status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    data = fact_selectors.report(request.tenant, start, end)
    labels = dict(Destination.choices)
    for row in data["by_destination"]:
        row["label"] = labels.get(row["key"], row["key"])
    context.update({"report": data, "chart_data": _chart_data(data),
                    "query": form_query(form),
                    "received": fact_selectors.received_summary(request.tenant, start, end),
                    # Loans apart from transfers (issue 18): never in the € of reuse.
                    "loans": sources.loan_figures(start, end),
                    # The IT register's items retired in the period (issue 19).
                    "it": it_figures(request.tenant, start, end),
                    "campaigns": campaigns.campaigns_between(request.tenant, start, end)})
    return render_section(request, "report.html", context, section="report")


def form_query(form: ReportPeriodForm) -> str:
    """The GET query of a valid form, for the export links."""
    query = QueryDict(mutable=True)
    for name in ("period", "year", "month", "semester", "start", "end"):
        value = form.cleaned_data.get(name)
        if value not in (None, ""):
            query[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return query.urlencode()


def _bad_period(request, form):
    return render_section(request, "report.html", {"form": form, "report": None},
                   section="report", status=400)


@moderator_required
@require_GET
def report_csv(request):
    form = _period_form(request)
    kind = request.GET.get("kind", "transfers")
    if kind not in ("transfers", "months", "received", "it"):
        form.is_valid()
        form.add_error(None, _("Choose what to export."))
        return _bad_period(request, form)
    if not form.is_valid():
        return _bad_period(request, form)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if kind == "transfers":
        text = exports.facts_csv(fact_selectors.facts_between(request.tenant, start, end)
                                 .iterator(chunk_size=2000))
    elif kind == "received":
        text = exports.received_csv(fact_selectors.received_between(request.tenant, start, end))
    elif kind == "it":
        text = exports.it_csv(it_figures(request.tenant, start, end))
    else:
        text = exports.months_csv(fact_selectors.report(request.tenant, start, end)["months"])
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(request, start, end, kind + ".csv")}"')
    return response


@moderator_required
@require_GET
def report_xlsx(request):
    form = _period_form(request)
    if not form.is_valid():
        return _bad_period(request, form)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    content = exports.report_xlsx(
        fact_selectors.facts_between(request.tenant, start, end).iterator(chunk_size=2000),
        fact_selectors.report(request.tenant, start, end)["months"],
        fact_selectors.received_between(request.tenant, start, end),
        it_figures(request.tenant, start, end))
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(request, start, end, "xlsx")}"')
    return response


@moderator_required
@require_GET
def report_pdf(request):
    """The PDF fiche of the period (analytics.fiche), for elected officials."""
    # reportlab is heavy: loaded when a fiche is asked for, not with every page.
    from analytics.fiche import fiche_pdf

    form = _period_form(request)
    if not form.is_valid():
        return _bad_period(request, form)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    content = fiche_pdf(request.tenant, fact_selectors.report(request.tenant, start, end),
                        fact_selectors.received_summary(request.tenant, start, end),
                        campaigns.campaigns_between(request.tenant, start, end),
                        {"year": end.year, "rows": agec.agec_rows(request.tenant, end.year)},
                        it_figures(request.tenant, start, end))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(request, start, end, "pdf")}"')
    return response
