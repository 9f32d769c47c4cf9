"""Pages of sharing between authorities (under /listings/, in the `exchange` URL
namespace: collectivrecup/urls_tenant.py composes them with the listings' pages).

- Agents: the "Autres collectivités" feed (the catalogue projection, filtered by
  exchange.sharing.selectors), a shared listing's page, its photos (read from the
  owner's storage after the same check) and contact.
- Moderators: transfers other authorities recorded to this one, whose receipt they
  confirm or decline (issue 12), and those received, with their PDF records.
- Authority admins: agreements and networks.

Whatever the viewer may not see is a 404, like a listing of another authority. A
listing's visibility and the giver's transfer record are the listings' pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import (
    agent_required,
    authority_admin_required,
    exchange_member_required,
    moderator_required,
)
from exchange.listings import transfer_records
from exchange.listings.errors import ExchangeError
from exchange.listings.forms import ContactForm
from exchange.listings.models import ClosureReason, Transfer
from exchange.listings.permissions import can_contact_shared
from exchange.listings.views.listings import FEED_PAGE_SIZE
from exchange.sharing import contacts, invitations, receipt_selectors, receipts
from exchange.sharing import selectors as sharing_selectors
from exchange.sharing import services as sharing
from exchange.sharing.forms import (
    AuthorityChoiceForm,
    NetworkForm,
    ReceiptDeclineForm,
    SharedFeedFilterForm,
)
from exchange.sharing.grounds import ReceivedTransferGround
from exchange.sharing.models import MembershipStatus, NetworkMembership, SharingNetwork
from exchange.sharing.photos import open_shared_photo
from tenants.crossing import CrossingRefused, in_authority

RECEIPTS_PAGE_SIZE = 50


def _render_back_office(request, template: str, context: dict, *, section: str,
                        status: int = 200):
    """Render a back-office page, with the moderators' sub-navigation."""
    context = {**context, "section": section}
    return render(request, f"exchange/moderation/{template}", context, status=status)


def _forbidden_or(error: ExchangeError) -> None:
    """A service refusing the actor is a 403; other refusals are for the user."""
    if getattr(error, "code", None) == "forbidden":
        raise PermissionDenied(error.messages[0])


# --- Agents: the shared feed ------------------------------------------------------------

@exchange_member_required
@require_GET
def shared_feed(request):
    """Published shared listings of the authorities sharing with this one."""
    partners = sharing_selectors.sharing_partners_of(request.tenant).order_by("name")
    form = SharedFeedFilterForm(request.GET, partners=partners)
    filters = form.filters()
    entries = sharing_selectors.shared_feed(request.tenant, filters, form.owner_slug())
    page = Paginator(entries, FEED_PAGE_SIZE).get_page(request.GET.get("page"))
    partial = request.htmx and request.htmx.target == "feed-results"
    context = {"form": form, "filters": filters, "page": page, "has_partners": partners.exists(),
               # The form is not swapped by htmx: its « Filtrer (n) » is, out of band.
               "filter_count_oob": bool(partial),
               "active_filter_count": form.active_filter_count()}
    template = ("exchange/sharing/_results.html" if partial
                else "exchange/sharing/feed.html")
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _entry_or_404(request, slug: str, listing_id: int):
    entry = sharing_selectors.shared_entry(request.tenant, slug, listing_id)
    if entry is None:
        raise Http404
    return entry


def _render_shared_detail(request, entry, *, contact_form=None, status=200):
    return render(request, "exchange/sharing/detail.html", {
        "entry": entry, "contact_form": contact_form or ContactForm(),
        "can_contact": can_contact_shared(request.user)}, status=status)


@exchange_member_required
@require_GET
def shared_detail(request, slug: str, listing_id: int):
    return _render_shared_detail(request, _entry_or_404(request, slug, listing_id))


@exchange_member_required
@require_GET
def shared_photo(request, slug: str, listing_id: int, photo_id: int, size: str):
    """A photo of a shared listing, served on the viewer's own host after the sharing
    check, read from the owner's storage (media paths carry the owner's schema)."""
    stream = open_shared_photo(request.tenant, slug, listing_id, photo_id, size)
    if stream is None:
        raise Http404
    response = FileResponse(stream, content_type="image/jpeg")
    patch_cache_control(response, private=True, max_age=300)
    return response


@agent_required
@require_POST
def shared_contact(request, slug: str, listing_id: int):
    entry = _entry_or_404(request, slug, listing_id)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            contacts.contact_shared_listing(
                viewer=request.tenant, sender=request.user, owner_slug=slug,
                listing_id=listing_id, message=form.cleaned_data["message"])
        except ExchangeError as error:
            if error.code == "not_found":
                raise Http404 from error
            form.add_service_error(error)
        else:
            messages.success(request, _(
                "Your interest was sent to the poster at %(authority)s, with its moderators "
                "in copy. They will answer you by e-mail.") % {"authority": entry.authority.name})
            return redirect("exchange:shared_detail", slug=slug, listing_id=listing_id)
    return _render_shared_detail(request, entry, contact_form=form, status=400)


# --- Moderators: transfers received from other authorities -------------------------------

def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@moderator_required
@require_GET
def received_transfers(request):
    """Transfers other authorities made to this one (read from the statistics facts,
    public schema), each with its PDF record."""
    facts = receipt_selectors.received_transfers(request.tenant)
    page = Paginator(facts, 50).get_page(request.GET.get("page"))
    return _render_back_office(request, "received.html", {"page": page}, section="received")


@moderator_required
@require_GET
def received_record(request, slug: str, transfer_pk: int):
    """The receiver's copy, served on its own host: the fact in the public schema says
    this authority received it; the record is built from the giver's schema."""
    fact = receipt_selectors.received_transfer(request.tenant, slug, transfer_pk)
    if fact is None:
        raise Http404
    giver = fact.authority
    try:
        with in_authority(giver, ground=ReceivedTransferGround(request.tenant, transfer_pk)):
            transfer = (Transfer.objects.select_related("listing__category")
                        .filter(pk=transfer_pk, recipient_authority_slug=request.tenant.slug,
                                reason=ClosureReason.EXCHANGED_OTHER_AUTHORITY).first())
            if transfer is None or not transfer.has_record:
                raise Http404
            content = transfer_records.transfer_record_pdf(transfer=transfer, giver=giver,
                                                           receiver=request.tenant)
    except CrossingRefused as refused:  # the giver's data were deleted
        raise Http404 from refused
    return _pdf(content, transfer_records.record_filename(giver, transfer))


# --- Moderators: receipt of transfers from other authorities to confirm (issue 12) -----

@moderator_required
@require_GET
def transfer_receipts(request):
    """"Cessions reçues à confirmer": transfers other authorities recorded to this one,
    which count in its figures only once a moderator here confirms receipt. Read from the
    public schema: what the transfer record already shows, no agent of the giver."""
    page = Paginator(receipt_selectors.receipts_awaiting(request.tenant),
                     RECEIPTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return _render_back_office(request, "receipts.html", {
        "page": page,
        "answered": receipt_selectors.receipts_answered(request.tenant),
    }, section="receipts")


def _answer_receipt(request, answer, done_message: str):
    try:
        receipt = answer()
    except ExchangeError as error:
        if error.code == "not_found":
            raise Http404 from error
        _forbidden_or(error)
        messages.error(request, error.messages[0])
    else:
        messages.success(request, done_message % {"giver": receipt.giver.name,
                                                  "title": receipt.listing_title})
    return redirect("exchange:transfer_receipts")


@moderator_required
@require_POST
def transfer_receipt_confirm(request, pk: int):
    return _answer_receipt(
        request, lambda: receipts.confirm_receipt(receipt_id=pk, authority=request.tenant,
                                                  actor=request.user),
        _("Receipt confirmed: “%(title)s” from %(giver)s now counts in your figures."))


@moderator_required
@require_POST
def transfer_receipt_decline(request, pk: int):
    form = ReceiptDeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _answer_receipt(
        request, lambda: receipts.decline_receipt(receipt_id=pk, authority=request.tenant,
                                                  actor=request.user, reason=reason),
        _("Transfer of “%(title)s” from %(giver)s declined: it does not count in your "
          "figures."))


# --- Authority admins: agreements and networks ---------------------------------------------

def _render_sharing(request, *, propose_form=None, network_form=None, status=200):
    authority = request.tenant
    choices = sharing_selectors.proposable_authorities(authority)
    return _render_back_office(request, "sharing.html", {
        "agreements": sharing_selectors.agreements_of(authority),
        "networks": invitations.networks_page(authority),
        "events": sharing_selectors.events_of(authority),
        "propose_form": propose_form or AuthorityChoiceForm(choices=choices),
        "network_form": network_form or NetworkForm(),
        # Read once: the invite menu is repeated in every network the authority is in.
        "invite_choices": list(sharing_selectors.other_authorities(authority)),
    }, section="sharing", status=status)


@authority_admin_required
@require_GET
def sharing_settings(request):
    return _render_sharing(request)


def _done(request, message: str):
    messages.success(request, message)
    return redirect("exchange:sharing_settings")


@authority_admin_required
@require_POST
def agreement_propose(request):
    form = AuthorityChoiceForm(request.POST, choices=sharing_selectors.proposable_authorities(
        request.tenant))
    if form.is_valid():
        try:
            agreement = sharing.propose_agreement(authority=request.tenant, actor=request.user,
                                                  other=form.cleaned_data["authority"])
        except ExchangeError as error:
            form.add_service_error(error)
        else:
            return _done(request, _("Proposal sent to %(name)s.")
                         % {"name": agreement.recipient.name})
    return _render_sharing(request, propose_form=form, status=400)


def _settings_action(request, act, done_message):
    """Run one sharing service from the settings page. A refusal shows as an error message
    (a "forbidden" one raises 403); success goes back with `done_message(result)`."""
    try:
        result = act()
    except ExchangeError as error:
        _forbidden_or(error)
        messages.error(request, error.messages[0])
        return redirect("exchange:sharing_settings")
    return _done(request, done_message(result))


AGREEMENT_ACTIONS = {
    "accept": (sharing.accept_agreement, gettext_lazy("Sharing with %(name)s is active.")),
    "decline": (sharing.decline_agreement, gettext_lazy("Proposal of %(name)s declined.")),
    "end": (sharing.end_agreement, gettext_lazy("Sharing with %(name)s has ended.")),
}


@authority_admin_required
@require_POST
def agreement_action(request, pk: int, action: str):
    if action not in AGREEMENT_ACTIONS:
        raise Http404
    agreement = get_object_or_404(sharing_selectors.agreements_of(request.tenant), pk=pk)
    service, message = AGREEMENT_ACTIONS[action]
    return _settings_action(
        request,
        lambda: service(agreement=agreement, authority=request.tenant, actor=request.user),
        lambda done: str(message) % {"name": done.other_than(request.tenant).name})


@authority_admin_required
@require_POST
def network_create(request):
    form = NetworkForm(request.POST)
    if form.is_valid():
        try:
            network = sharing.create_network(authority=request.tenant, actor=request.user,
                                             name=form.cleaned_data["name"])
        except ExchangeError as error:
            form.add_service_error(error)
        else:
            return _done(request, _("Network “%(name)s” created.") % {"name": network.name})
    return _render_sharing(request, network_form=form, status=400)


def _network_of(request, pk: int) -> SharingNetwork:
    """A network the current authority belongs to or is invited to; 404 otherwise."""
    return get_object_or_404(SharingNetwork.objects.filter(
        memberships__authority=request.tenant).distinct(), pk=pk)


@authority_admin_required
@require_POST
def network_invite(request, pk: int):
    network = _network_of(request, pk)
    form = AuthorityChoiceForm(request.POST,
                               choices=sharing_selectors.other_authorities(request.tenant))
    if form.is_valid():
        try:
            invitation = sharing.invite_to_network(
                network=network, authority=request.tenant, actor=request.user,
                other=form.cleaned_data["authority"])
        except ExchangeError as error:
            _forbidden_or(error)
            messages.error(request, error.messages[0])
            return redirect("exchange:sharing_settings")
        names = {"name": invitation.authority.name}
        if invitation.status == MembershipStatus.INVITED:
            return _done(request, _("Invitation sent to %(name)s.") % names)
        return _done(request, _("The other members must approve %(name)s before it is "
                                "invited.") % names)
    messages.error(request, _("Choose an authority."))
    return redirect("exchange:sharing_settings")


NETWORK_ACTIONS = {
    "join": (sharing.join_network, gettext_lazy("You joined “%(name)s”.")),
    "decline": (sharing.decline_network, gettext_lazy("Invitation to “%(name)s” declined.")),
    "leave": (sharing.leave_network, gettext_lazy("You left “%(name)s”.")),
}


@authority_admin_required
@require_POST
def network_action(request, pk: int, action: str):
    if action not in NETWORK_ACTIONS:
        raise Http404
    network = _network_of(request, pk)
    service, message = NETWORK_ACTIONS[action]
    return _settings_action(
        request, lambda: service(network=network, authority=request.tenant, actor=request.user),
        lambda _done_: str(message) % {"name": network.name})



INVITATION_ACTIONS = {
    "approve": (sharing.approve_newcomer,
                gettext_lazy("You approved %(name)s joining “%(network)s”.")),
    "refuse": (sharing.refuse_newcomer,
               gettext_lazy("You refused %(name)s joining “%(network)s”.")),
}


@authority_admin_required
@require_POST
def network_invitation_action(request, pk: int, invitation_pk: int, action: str):
    """A member's admin approves or refuses a newcomer to one of its networks."""
    if action not in INVITATION_ACTIONS:
        raise Http404
    network = _network_of(request, pk)
    invitation = get_object_or_404(
        NetworkMembership.objects.select_related("authority"), pk=invitation_pk,
        network=network)
    service, message = INVITATION_ACTIONS[action]
    return _settings_action(
        request,
        lambda: service(invitation=invitation, authority=request.tenant, actor=request.user),
        lambda _done_: str(message) % {"name": invitation.authority.name,
                                       "network": network.name})
