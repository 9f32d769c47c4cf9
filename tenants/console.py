"""The operator console (bare host, /operator/): the authorities, their history, status,
exports and billing, onboarding, and operators without a second factor.

It shows what billing and offboarding keep about each authority, so it sits above them
(tenants/billing/, tenants/offboarding/), which sit above the rest of tenants.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import operator_required
from core.links import authority_host
from tenants import two_factor
from tenants.audit import actions_for, recent_actions
from tenants.billing.selectors import billing_of, overdue_invoices
from tenants.billing.stripe_api import is_manual
from tenants.forms import (
    AuthorityCreateForm,
    ConsoleSearchForm,
    SignInSettingsForm,
    StatusChangeForm,
)
from tenants.lifecycle import LifecycleError, allowed_statuses, change_status
from tenants.models import Authority
from tenants.offboarding.export import exports_of
from tenants.selectors import authorities_for_console
from tenants.services import provision_authority, set_sign_in_settings


@operator_required
def console(request):
    form = ConsoleSearchForm(request.GET or None)
    search = status = ""
    if form.is_valid():
        search, status = form.cleaned_data["q"], form.cleaned_data["status"]
    return render(request, "tenants/console.html", {
        "form": form,
        "authorities": authorities_for_console(search, status),
        "actions": recent_actions(),
        "billing_manual": is_manual(), "overdue_invoices": overdue_invoices(),
        "operators_without_device": two_factor.operators_without_device(),
    })


@operator_required
@require_http_methods(["GET", "POST"])
def authority_detail(request, slug: str):
    authority = get_object_or_404(Authority.all_objects.exclude(schema_name="public"), slug=slug)
    form = StatusChangeForm(request.POST or None, allowed=allowed_statuses(authority))
    status_code = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                change_status(authority, form.cleaned_data["status"], request.user,
                              form.cleaned_data["reason"])
            except LifecycleError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Status changed."))
                return redirect("operator:authority_detail", slug=authority.slug)
        status_code = 400
    return _detail_page(request, authority, form=form, status=status_code)


def _detail_page(request, authority, *, form=None, sign_in_form=None, status=200):
    if form is None:
        form = StatusChangeForm(allowed=allowed_statuses(authority))
    if sign_in_form is None:
        sign_in_form = SignInSettingsForm(initial={
            "organisations": "\n".join(authority.sso_organisations),
            "sso_only": authority.sso_only})
    exports = exports_of(authority)
    return render(request, "tenants/authority_detail.html", {
        "authority": authority, "form": form, "sign_in_form": sign_in_form,
        "history": actions_for(authority)[:100],
        "exports": exports, "billing": billing_of(authority),
        "can_delete_data": (authority.status == "closed" and not authority.data_deleted_at
                            and any(e.status == "done" for e in exports)),
    }, status=status)


@operator_required
@require_POST
def authority_sign_in(request, slug: str):
    """The authority's ProConnect settings: its establishments and communes, and
    "ProConnect only"."""
    authority = get_object_or_404(Authority.objects.exclude(schema_name="public"), slug=slug)
    form = SignInSettingsForm(request.POST)
    if form.is_valid():
        try:
            set_sign_in_settings(authority, organisations=form.cleaned_data["organisations"],
                                 sso_only=form.cleaned_data["sso_only"], operator=request.user)
        except ValidationError as error:
            form.add_error("organisations", error)
        else:
            messages.success(request, _("ProConnect settings saved."))
            return redirect("operator:authority_detail", slug=authority.slug)
    return _detail_page(request, authority, sign_in_form=form, status=400)


@operator_required
@require_http_methods(["GET", "POST"])
def authority_create(request):
    """Onboarding: create an authority and invite its first administrator."""
    form = AuthorityCreateForm(request.POST or None, base_domain=settings.BASE_DOMAIN)
    status_code = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                authority = provision_authority(
                    name=data["name"], kind=data["kind"], siren=data["siren"],
                    slug=data["slug"], admin_email=data["admin_email"],
                    email_domains=data["email_domain_list"],
                    departement=data["departement"], population=data["population"],
                    operator=request.user, via="console").authority
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _(
                    "%(name)s is ready at %(host)s. An invitation was sent to its first "
                    "administrator.") % {"name": authority.name,
                                         "host": authority_host(authority.slug)})
                return redirect("operator:authority_detail", slug=authority.slug)
        status_code = 400
    return render(request, "tenants/authority_create.html", {"form": form},
                  status=status_code)


@operator_required
@require_POST
def send_enrol_link(request, pk: int):
    """Console: e-mail an operator without a device a new enrolment link."""
    target = get_object_or_404(two_factor.operators_without_device(), pk=pk)
    two_factor.send_enrolment_link(target, sent_by=request.user)
    messages.success(request, _("A two-factor enrolment link was e-mailed to %(email)s.")
                     % {"email": target.email})
    return redirect("operator:console")
