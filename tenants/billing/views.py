"""Billing pages: the Stripe webhook (bare host), billing details for the authority's
administrator (its host) and for the operator (console)."""

from __future__ import annotations

import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import authority_admin_required, operator_required
from tenants.billing import stripe_api
from tenants.billing.changes import update_billing_details
from tenants.billing.forms import BillingDetailsForm
from tenants.billing.services import handle_event, profile_for
from tenants.crossing import in_public
from tenants.models import Authority

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events: 400 on a bad signature, 200 for a replay (nothing done)."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        return HttpResponseNotFound("manual billing")
    try:
        event = stripe.Webhook.construct_event(
            request.body.decode("utf-8"), request.headers.get("Stripe-Signature"), secret)
    except (ValueError, UnicodeDecodeError, stripe.SignatureVerificationError):
        log.warning("Stripe webhook refused: bad payload or signature")
        return HttpResponseBadRequest("bad signature")
    data = event.data.object.to_dict() if hasattr(event.data.object, "to_dict") \
        else dict(event.data.object)
    applied = handle_event(event.id, event.type, data, created=event.created)
    return HttpResponse("ok" if applied else "replay")


def _details_page(request, authority: Authority, *, template: str, actor, by_operator: bool,
                  done):
    with in_public(purpose="billing details"):
        profile = profile_for(authority)
    form = BillingDetailsForm(request.POST or None, instance=profile)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with in_public(purpose="billing details"):
                    update_billing_details(authority, data=form.cleaned_data, actor=actor,
                                           by_operator=by_operator)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Billing details saved."))
                return done()
        status = 400
    return render(request, template, {
        "form": form, "authority": authority, "profile": profile,
        "manual": stripe_api.is_manual(), "section": "billing",
    }, status=status)


@authority_admin_required
@require_http_methods(["GET", "POST"])
def admin_billing(request):
    return _details_page(request, request.tenant, template="tenants/billing/admin_billing.html",
                         actor=None, by_operator=False,
                         done=lambda: redirect("billing:details"))


@operator_required
@require_http_methods(["GET", "POST"])
def operator_billing(request, slug: str):
    authority = get_object_or_404(Authority.all_objects.exclude(schema_name="public"), slug=slug)
    return _details_page(request, authority,
                         template="tenants/billing/operator_billing.html",
                         actor=request.user, by_operator=True,
                         done=lambda: redirect("operator:authority_detail", slug=slug))
