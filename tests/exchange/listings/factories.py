"""factory-boy factories of the listings app (label "exchange"), and the helpers of the
agent pages. Every model here lives in an authority's schema: build inside
`in_authority(...)`; no factory switches schemas.

Listings that must go through the life cycle (submitted, approved, closed) are better
made with exchange.listings.services, as the product does (`published_listing`); these
factories make rows directly."""

import io
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from analytics.models import REFERENCE_FACTORS_VERSION
from exchange.listings.models import (
    Category,
    ClosureReason,
    ContactRequest,
    Listing,
    ListingPhoto,
    ListingStatus,
    SavedSearch,
    StandardReply,
    Transfer,
    WantedRequest,
)
from exchange.listings.services import moderation, posting
from tests.accounts.factories import SiteFactory, UserFactory, moderator


def item_type(name: str = "Chaise visiteur / empilable") -> Category:
    """An item type seeded for every authority."""
    return Category.objects.get(name=name)


class CategoryFactory(factory.django.DjangoModelFactory):
    """A category the authority adds to its seeded tree: a family unless `parent`."""

    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Catégorie n°{n}")


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    title = factory.Sequence(lambda n: f"Chaises empilables n°{n}")
    description = "Lot de chaises visiteur en hêtre, bon état."
    category = factory.LazyFunction(item_type)
    quantity = 10
    condition = "good"
    estimated_value = Decimal("300.00")
    poster = factory.SubFactory(UserFactory)
    service = factory.LazyAttribute(lambda listing: listing.poster.service)
    site = factory.SubFactory(SiteFactory)
    status = ListingStatus.DRAFT


class ListingPhotoFactory(factory.django.DjangoModelFactory):
    """A photo row whose files are NOT in storage (pages that list photos, query
    counts). A photo to download or process: exchange.listings.photos.add_photo with
    `image_upload()`."""

    class Meta:
        model = ListingPhoto

    listing = factory.SubFactory(ListingFactory)
    image = factory.Sequence(lambda n: f"{n}.jpg")
    thumbnail = factory.Sequence(lambda n: f"{n}_t.jpg")
    width = 800
    height = 600


class ContactRequestFactory(factory.django.DjangoModelFactory):
    """An agent's contact request on a listing, stored as sent by the contact form
    (pending, no attempt yet); pass `listing`."""

    class Meta:
        model = ContactRequest

    sender = factory.SubFactory(UserFactory)
    message = "Bonjour, ce lot nous intéresse."


class TransferFactory(factory.django.DjangoModelFactory):
    """A transfer row written directly, without closing the listing nor projecting a
    statistics fact (exchange.listings.services.close_listing does both): by default
    one item thrown away."""

    class Meta:
        model = Transfer

    listing = factory.SubFactory(ListingFactory)
    reason = ClosureReason.DISCARDED
    quantity = 1
    value = Decimal("1")
    weight_kg = Decimal("1")
    factors_version = REFERENCE_FACTORS_VERSION


class StandardReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StandardReply

    title = factory.Sequence(lambda n: f"Réponse type n°{n}")
    body = "Merci d'ajouter une photo de l'objet."


class WantedRequestFactory(factory.django.DjangoModelFactory):
    """"Je recherche…" of an agent, active, in no category unless given."""

    class Meta:
        model = WantedRequest

    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Tables pliantes n°{n}")


class SavedSearchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedSearch

    user = factory.SubFactory(UserFactory)
    query = "chaise"


# --- Agent pages: listings made through the services, and image uploads ----------------

def published_listing(*, poster=None, approver=None, **data) -> Listing:
    """A listing posted, submitted and approved through exchange.listings.services, as in the
    product (so that it is searchable). Build it inside `in_authority(...)`."""
    poster = poster or UserFactory()
    data.setdefault("title", "Chaises empilables en hêtre")
    data.setdefault("description", "Lot de chaises visiteur, bon état.")
    data.setdefault("category", item_type())
    data.setdefault("quantity", 10)
    data.setdefault("condition", "good")
    data.setdefault("estimated_value", Decimal("345.67"))
    if "site" not in data:
        data["site"] = SiteFactory()
    listing = posting.create_listing(poster=poster, submit=True, **data)
    if listing.status != ListingStatus.PUBLISHED:
        moderation.approve_listing(listing=listing, actor=approver or moderator())
    # Loaded with its relations, so tests may read them outside `in_authority`.
    return Listing.objects.select_related("poster__service", "service", "site",
                                          "category__parent").get(pk=listing.pk)


def image_upload(name: str = "photo.jpg", *, size=(800, 600), image_format: str = "JPEG",
                 mode: str = "RGB", color=(160, 82, 45), exif=None,
                 content_type: str = "image/jpeg"):
    """An uploaded image file made with Pillow (JPEG by default, with EXIF if given)."""
    buffer = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new(mode, size, color).save(buffer, format=image_format, **options)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)
