"""Pages of the public schema: landing page, unknown authority, operator console."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import can_operate, operator_required
from core.links import authority_host
from tenants import two_factor
from tenants.audit import actions_for, recent_actions
from tenants.billing.selectors import billing_of, overdue_invoices
from tenants.billing.stripe_api import is_manual
from tenants.forms import AuthorityCreateForm, ConsoleSearchForm, StatusChangeForm, TOTPCodeForm
from tenants.lifecycle import LifecycleError, allowed_statuses, change_status
from tenants.models import Authority
from tenants.offboarding.export import exports_of
from tenants.selectors import authorities_for_console
from tenants.services import provision_authority


def unknown_authority(request):
    """No authority answers to this host name: a clear French 404."""
    return render(
        request,
        "tenants/unknown_authority.html",
        {"host": request.get_host().split(":")[0], "base_domain": settings.BASE_DOMAIN},
        status=404,
    )


def landing(request):
    return render(request, "tenants/landing.html")


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
    exports = exports_of(authority)
    return render(request, "tenants/authority_detail.html", {
        "authority": authority, "form": form, "history": actions_for(authority)[:100],
        "exports": exports, "billing": billing_of(authority),
        "can_delete_data": (authority.status == "closed" and not authority.data_deleted_at
                            and any(e.status == "done" for e in exports)),
    }, status=status_code)


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


def _signed_in_operator(request):
    """Second-factor pages: a password-authenticated operator, verified or not."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "operator:login")
    if not can_operate(request.user):
        raise PermissionDenied
    return None


@require_http_methods(["GET", "POST"])
def verify(request):
    """Second step of the operator sign-in: a code of the operator's TOTP device."""
    if (refused := _signed_in_operator(request)) is not None:
        return refused
    if request.user.is_verified():
        return redirect("operator:console")
    device = two_factor.confirmed_device(request.user)
    if device is None:
        return redirect("operator:enrol")
    return _code_step(request, device, "tenants/operator_verify.html", {})


@require_GET
def enrol_link(request, token: str):
    """The e-mailed enrolment link: kept in the operator's session (after the password
    sign-in, which comes first), then off to the enrolment page without the token in
    the address bar."""
    if (refused := _signed_in_operator(request)) is not None:
        return refused
    if two_factor.confirmed_device(request.user) is not None:
        return redirect("operator:verify")
    if two_factor.device_for_link(token, request.user) is None:
        return render(request, "tenants/operator_enrol.html", {"link_invalid": True},
                      status=400)
    request.session[two_factor.ENROL_SESSION_KEY] = token
    return redirect("operator:enrol")


@require_http_methods(["GET", "POST"])
def enrol(request):
    """An operator without a device who opened a valid enrolment link: show the pending
    device's secret and ask for a first code. The password alone gets an explanation,
    never a secret."""
    if (refused := _signed_in_operator(request)) is not None:
        return refused
    if two_factor.confirmed_device(request.user) is not None:
        return redirect("operator:verify")
    device = two_factor.device_for_link(request.session.get(two_factor.ENROL_SESSION_KEY),
                                        request.user)
    if device is None:
        request.session.pop(two_factor.ENROL_SESSION_KEY, None)
        return render(request, "tenants/operator_enrol.html", {"needs_link": True},
                      status=403)
    response = _code_step(request, device, "tenants/operator_enrol.html", {
        "secret": two_factor.secret_of(device), "otpauth_uri": device.config_url,
    })
    if request.user.is_verified():  # enrolled: the link is spent
        request.session.pop(two_factor.ENROL_SESSION_KEY, None)
    return response


@operator_required
@require_POST
def send_enrol_link(request, pk: int):
    """Console: e-mail an operator without a device a new enrolment link."""
    target = get_object_or_404(two_factor.operators_without_device(), pk=pk)
    two_factor.send_enrolment_link(target, sent_by=request.user)
    messages.success(request, _("A two-factor enrolment link was e-mailed to %(email)s.")
                     % {"email": target.email})
    return redirect("operator:console")


def _code_step(request, device, template: str, context: dict):
    form = TOTPCodeForm(request.POST or None)
    status_code = 200
    if request.method == "POST":
        if two_factor.is_locked(request.user):
            form.add_error(None, _("Too many wrong codes. Try again in 15 minutes."))
            status_code = 429
        elif form.is_valid() and two_factor.check_code(request, device,
                                                        form.cleaned_data["code"]):
            return redirect("operator:console")
        else:
            if two_factor.is_locked(request.user):
                form.add_error(None, _("Too many wrong codes. Try again in 15 minutes."))
                status_code = 429
            else:
                form.add_error("code", _("This code is not valid. Check your device's clock "
                                         "and try the current code."))
                status_code = 400
    return render(request, template, {"form": form, **context}, status=status_code)
