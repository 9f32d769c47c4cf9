"""Demo sharing for `make run`: the two demo authorities share with each other, and a
few published listings of each are shared, so both "Autres collectivités" feeds show
something. Idempotent: a live agreement is kept; listings already shared are kept."""

from __future__ import annotations

from django.db.models import Q
from django.test.utils import override_settings

from accounts.models import User
from exchange.listings.models import Listing, ListingStatus, Visibility
from exchange.listings.projections import rebuild_catalogue
from exchange.listings.services.visibility import set_visibility
from exchange.sharing import services as sharing
from exchange.sharing.models import AgreementStatus, SharingAgreement
from tenants.crossing import PlatformWork, in_authority
from tenants.models import Authority

DEMO = PlatformWork("demo sharing")

SHARED_TITLES = ["Armoire haute à portes battantes", "Banquette d'accueil 3 places",
                 "Écrans 24 pouces", "Micro-ondes"]


def _admin(authority: Authority, email: str) -> User:
    with in_authority(authority, ground=DEMO):
        return User.objects.get(email__iexact=email)


def seed_demo_sharing(first: Authority, second: Authority, admin_email) -> int:
    """Share between `first` and `second` (admins named by `admin_email(slug)`), then
    share the DEMO = PlatformWork("demo sharing")

SHARED_TITLES listings of each. Returns how many objects it created."""
    created = 0
    live = SharingAgreement.objects.filter(
        Q(proposer=first, recipient=second) | Q(proposer=second, recipient=first),
        status__in=[AgreementStatus.PROPOSED, AgreementStatus.ACTIVE]).first()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        if live is None:
            with in_authority(first, ground=DEMO):
                live = sharing.propose_agreement(
                    authority=first, actor=_admin(first, admin_email(first.slug)), other=second)
            created += 1
        if live.status == AgreementStatus.PROPOSED:
            answering = live.recipient
            with in_authority(answering, ground=DEMO):
                sharing.accept_agreement(agreement=live, authority=answering,
                                         actor=_admin(answering, admin_email(answering.slug)))
        for authority in (first, second):
            with in_authority(authority, ground=DEMO):
                for listing in Listing.objects.filter(
                        title__in=SHARED_TITLES, status=ListingStatus.PUBLISHED,
                        visibility=Visibility.INTERNAL).select_related("poster"):
                    set_visibility(listing=listing, actor=listing.poster,
                                   visibility=Visibility.SHARED)
                    created += 1
            rebuild_catalogue(authority)  # also projects demo databases seeded before the catalogue
    return created
