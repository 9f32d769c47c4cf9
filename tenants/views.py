"""Pages of the public schema: landing page, unknown authority, operator console."""

from django.conf import settings
from django.shortcuts import render

from accounts.permissions import operator_required

from .selectors import authorities_for_console


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
    return render(request, "tenants/console.html",
                  {"authorities": authorities_for_console()})
