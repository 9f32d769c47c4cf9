"""The page a partner opens from the grant e-mail (bare host): see the authority, the
access and its dates, then accept (POST, CSRF). The signed link decides which grant."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from exchange.partners import services
from exchange.partners.acceptance import LinkRefused, read_token
from exchange.partners.models import PartnerGrant


def _refused(request, message: str, status: int):
    return render(request, "partners/grant_accept.html", {"refusal": message}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def grant_accept(request, token: str):
    """GET: the grant to accept; POST: accept it (once)."""
    try:
        grant_id, partner_id = read_token(token)
    except LinkRefused as refused:
        return _refused(request, str(refused), 400)
    grant = (PartnerGrant.objects.select_related("partner", "authority")
             .filter(pk=grant_id, partner_id=partner_id).first())
    if grant is None:  # deleted with its authority
        return _refused(request, _("This link is not valid."), 404)
    accepted = False
    if request.method == "POST":
        try:
            grant = services.accept_grant(grant_id=grant_id, partner_id=partner_id)
        except services.AcceptanceRefused as refused:
            return _refused(request, " ".join(refused.messages), 409)
        accepted = True
    elif grant.revoked_at is not None or grant.accepted_at is not None:
        try:
            services.check_acceptable(grant)
        except services.AcceptanceRefused as refused:
            return _refused(request, " ".join(refused.messages), 409)
    return render(request, "partners/grant_accept.html", {
        "grant": grant, "partner": grant.partner, "granting_authority": grant.authority,
        "accepted": accepted})
