"""Pages of the partners on an authority's host: the admin's partners, grants, keys
and webhook log. (The poster's or moderator's "never offer to partners" switch is a
listing's own setting: exchange/listings/views/listings.py.)"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import authority_admin_required
from exchange.listings.errors import ExchangeError
from exchange.partners import selectors, services
from exchange.partners.forms import GrantForm, KeyForm, PartnerForm
from exchange.partners.models import ApiKey, PartnerGrant
from tenants.selectors import current_authority


def _key_rows(authority, grants) -> list[dict]:
    """Every key that can read `authority`'s data, with what its admin may do: revoke a
    key of its own grant, or revoke the grant behind an operator-issued key."""
    open_grants = {grant.partner_id: grant for grant in grants if grant.revoked_at is None}
    rows = []
    for key in selectors.keys_of(authority):
        own = key.grant_id is not None
        rows.append({"key": key, "own": own,
                     "grant": key.grant if own else open_grants.get(key.partner_id)})
    return rows


def _page(request, *, status: int = 200, **forms):
    authority = current_authority()
    grants = list(selectors.grants_of(authority))
    context = {
        "section": "partners",
        "grants": grants,
        "key_rows": _key_rows(authority, grants),
        "deliveries": selectors.deliveries_of(authority, limit=50),
        "partner_requests": selectors.requests_to(authority),
        "audit": selectors.audit_of(authority),
        "grant_form": forms.get("grant_form") or GrantForm(),
        "key_form": forms.get("key_form") or KeyForm(
            partners=selectors.partners_with_open_grant(authority)),
        "partner_form": forms.get("partner_form") or PartnerForm(),
        "new_key": forms.get("new_key"),
    }
    return render(request, "partners/admin.html", context, status=status)


def _actor(request) -> str:
    return request.user.email


@authority_admin_required
@require_GET
def partners_admin(request):
    return _page(request)


@authority_admin_required
@require_POST
def partner_create(request):
    form = PartnerForm(request.POST)
    if form.is_valid():
        try:
            partner = services.create_partner(actor_email=_actor(request),
                                              authority=current_authority(),
                                              **form.cleaned_data)
        except ValidationError as error:  # SIRET check digit, already known, départements
            if not hasattr(error, "message_dict"):
                form.add_error(None, error)
            for field, errors in getattr(error, "message_dict", {}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Partner %(name)s added: grant it an access.")
                             % {"name": partner.legal_name})
            return redirect("partners:admin")
    return _page(request, partner_form=form, status=400)


@authority_admin_required
@require_POST
def grant_create(request):
    form = GrantForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            grant = services.grant_partner(
                authority=current_authority(), partner=data["partner"],
                scopes=data["scopes"], actor_email=_actor(request),
                agreement=data["agreement"], agreement_reference=data["agreement_reference"],
                valid_from=data["valid_from"], valid_until=data["valid_until"])
        except ExchangeError as error:
            field = {"agreement": "agreement", "scopes": "scopes",
                     "dates": "valid_until"}.get(error.code)
            form.add_error(field, error)
        else:
            if grant.accepted_at is None:
                messages.success(request, _(
                    "Access granted to %(name)s: it takes effect when the partner accepts "
                    "it from the link e-mailed to %(email)s.")
                    % {"name": data["partner"].legal_name,
                       "email": data["partner"].contact_email})
            else:
                messages.success(request, _("Access of %(name)s updated.")
                                 % {"name": data["partner"].legal_name})
            return redirect("partners:admin")
    return _page(request, grant_form=form, status=400)


@authority_admin_required
@require_POST
def grant_revoke(request, pk: int):
    authority = current_authority()
    grant = get_object_or_404(PartnerGrant, pk=pk, authority=authority)
    services.revoke_grant(grant=grant, actor_email=_actor(request), authority=authority)
    messages.success(request, _("Access of %(name)s revoked.")
                     % {"name": grant.partner.legal_name})
    return redirect("partners:admin")


@authority_admin_required
@require_POST
def grant_resend(request, pk: int):
    """Send the partner a fresh acceptance link (the first one expired or got lost)."""
    authority = current_authority()
    grant = get_object_or_404(PartnerGrant.objects.select_related("partner"), pk=pk,
                              authority=authority)
    try:
        services.resend_invitation(grant=grant, actor_email=_actor(request),
                                   authority=authority)
    except ExchangeError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("A new link was e-mailed to %(email)s.")
                         % {"email": grant.partner.contact_email})
    return redirect("partners:admin")


@authority_admin_required
@require_GET
def grant_agreement(request, pk: int):
    grant = get_object_or_404(PartnerGrant, pk=pk, authority=current_authority())
    if not grant.agreement:
        raise Http404
    return FileResponse(grant.agreement.open("rb"), content_type="application/pdf",
                        as_attachment=True, filename=f"convention-{grant.pk}.pdf")


@authority_admin_required
@require_POST
def key_create(request):
    authority = current_authority()
    form = KeyForm(request.POST, partners=selectors.partners_with_open_grant(authority))
    return answer_key_form(request, form, _page, actor_email=_actor(request),
                           authority=authority)


def answer_key_form(request, form: KeyForm, page, **issuer):
    """The answer to a key form, on the administrators' page and the operators' console
    alike: the new key's secret shown once (never cached), or the form with its errors
    (400). `issuer` names who issues it (`authority=` or `operator=`, and `actor_email`);
    `page(request, **context)` renders the page that holds the form."""
    if form.is_valid():
        data = form.cleaned_data
        try:
            api_key, full_key = services.create_api_key(
                partner=data["partner"], name=data["name"], expires_at=form.expires_at(),
                **issuer)
        except ExchangeError as error:
            form.add_error("expires_on" if error.code == "expires_at" else None, error)
        else:
            response = page(request, new_key={"key": api_key, "secret": full_key})
            response["Cache-Control"] = "no-store"
            return response
    return page(request, key_form=form, status=400)


@authority_admin_required
@require_POST
def key_revoke(request, pk: int):
    authority = current_authority()
    api_key = get_object_or_404(ApiKey.objects.select_related("grant", "partner"), pk=pk,
                                grant__authority=authority)
    services.revoke_api_key(api_key=api_key, actor_email=_actor(request), authority=authority)
    messages.success(request, _("Key %(prefix)s revoked.") % {"prefix": api_key.prefix})
    return redirect("partners:admin")
