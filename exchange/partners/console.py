"""The operator console's partner pages (bare host, /operator/partners/): every partner,
its grants and keys; create partners, keys and webhook endpoints; every delivery log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import operator_required
from exchange.partners import selectors, services
from exchange.partners.forms import KeyForm, PartnerForm, WebhookForm
from exchange.partners.models import ApiKey, Partner
from exchange.partners.views import answer_key_form


def _page(request, *, status: int = 200, **extra):
    partners = Partner.objects.prefetch_related("grants__authority", "api_keys__grant__authority",
                                                "webhooks")
    return render(request, "partners/console.html", {
        "partners": partners,
        "deliveries": selectors.deliveries_of(None, limit=100),
        "partner_form": extra.get("partner_form") or PartnerForm(),
        "key_form": extra.get("key_form") or KeyForm(),
        "webhook_form": extra.get("webhook_form") or WebhookForm(),
        "new_key": extra.get("new_key"), "new_webhook": extra.get("new_webhook"),
    }, status=status)


@operator_required
@require_GET
def partners_console(request):
    return _page(request)


@operator_required
@require_POST
def partner_create(request):
    form = PartnerForm(request.POST)
    if form.is_valid():
        try:
            services.create_partner(actor_email=request.user.email, operator=request.user,
                                    **form.cleaned_data)
        except ValidationError as error:
            for field, errors in getattr(error, "message_dict", {None: error.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Partner added."))
            return redirect("operator:partners")
    return _page(request, partner_form=form, status=400)


@operator_required
@require_POST
def key_create(request):
    return answer_key_form(request, KeyForm(request.POST), _page,
                           actor_email=request.user.email, operator=request.user)


@operator_required
@require_POST
def key_revoke(request, pk: int):
    api_key = get_object_or_404(ApiKey, pk=pk)
    services.revoke_api_key(api_key=api_key, actor_email=request.user.email,
                            operator=request.user)
    messages.success(request, _("Key %(prefix)s revoked.") % {"prefix": api_key.prefix})
    return redirect("operator:partners")


@operator_required
@require_POST
def webhook_create(request):
    form = WebhookForm(request.POST)
    if form.is_valid():
        endpoint = services.create_webhook_endpoint(
            partner=form.cleaned_data["partner"], url=form.cleaned_data["url"],
            operator=request.user)
        response = _page(request, new_webhook=endpoint)
        response["Cache-Control"] = "no-store"
        return response
    return _page(request, webhook_form=form, status=400)
