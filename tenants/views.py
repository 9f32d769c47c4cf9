"""Pages of the public schema: landing page, unknown authority, and the operator's
second-factor sign-in. The operator console's pages are tenants/console.py's."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import can_operate
from tenants import two_factor
from tenants.forms import TOTPCodeForm


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
