"""factory-boy factories for exchange models. Build them inside `in_authority(...)`.

Listings that must go through the life cycle (submitted, approved, closed) are better
made with exchange.listings.services, as the product does; these factories make rows directly.
"""

from decimal import Decimal

import factory

from exchange.listings.models import Category, ContactRequest, Listing, ListingStatus, StandardReply
from tests.factories import SiteFactory, UserFactory


def item_type(name: str = "Chaise visiteur / empilable") -> Category:
    """An item type seeded for every authority."""
    return Category.objects.get(name=name)


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


class ContactRequestFactory(factory.django.DjangoModelFactory):
    """An agent's contact request on a listing, stored as sent by the contact form
    (pending, no attempt yet); pass `listing`."""

    class Meta:
        model = ContactRequest

    sender = factory.SubFactory(UserFactory)
    message = "Bonjour, ce lot nous intéresse."


class StandardReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StandardReply

    title = factory.Sequence(lambda n: f"Réponse type n°{n}")
    body = "Merci d'ajouter une photo de l'objet."


# --- Agent pages: listings made through the services, and image uploads ----------------

def published_listing(*, poster=None, approver=None, **data) -> Listing:
    """A listing posted, submitted and approved through exchange.listings.services, as in the
    product (so that it is searchable). Build it inside `in_authority(...)`."""
    from exchange.listings.services.moderation import approve_listing
    from exchange.listings.services.posting import create_listing
    from tests.factories import moderator

    poster = poster or UserFactory()
    data.setdefault("title", "Chaises empilables en hêtre")
    data.setdefault("description", "Lot de chaises visiteur, bon état.")
    data.setdefault("category", item_type())
    data.setdefault("quantity", 10)
    data.setdefault("condition", "good")
    data.setdefault("estimated_value", Decimal("345.67"))
    if "site" not in data:
        data["site"] = SiteFactory()
    listing = create_listing(poster=poster, submit=True, **data)
    if listing.status != ListingStatus.PUBLISHED:
        approve_listing(listing=listing, actor=approver or moderator())
    # Loaded with its relations, so tests may read them outside `in_authority`.
    return Listing.objects.select_related("poster__service", "service", "site",
                                          "category__parent").get(pk=listing.pk)


def image_upload(name: str = "photo.jpg", *, size=(800, 600), image_format: str = "JPEG",
                 mode: str = "RGB", color=(160, 82, 45), exif=None,
                 content_type: str = "image/jpeg"):
    """An uploaded image file made with Pillow (JPEG by default, with EXIF if given)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new(mode, size, color).save(buffer, format=image_format, **options)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)
