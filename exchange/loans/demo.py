"""The demo's lending catalogue (issue 18): marquees, crowd barriers, folding tables,
exhibition panels and a sound system lent by the agent's service, with bookings: one
returned last month (counted in the statistics), one approved for next Saturday, one
waiting for an answer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Site, User
from exchange.listings.demo import demo_photo
from exchange.listings.models import Category
from exchange.loans import services
from exchange.loans.models import Booking, BookingStatus, Borrowers, LendableItem

# (title, description, item type for the photo, stock, value of one unit, who may borrow)
LENDING_CATALOGUE = [
    ("Barnum 3 x 3 m", "Toile blanche, structure acier, montage à deux.", "Barnum / tente", 4,
     "450", Borrowers.SHARING),
    ("Barrières Vauban", "Barrières de police galvanisées, 2 m.",
     "Barrière de police / vauban", 30, "60", Borrowers.SHARING),
    ("Tables pliantes de collectivité", "Plateau stratifié 180 x 80 cm.",
     "Table pliante / de collectivité", 40, "80", Borrowers.AUTHORITY),
    ("Panneaux d'exposition", "Grilles caddie 2 x 1 m avec pieds.", None, 12, "120",
     Borrowers.AUTHORITY),
    ("Sono portable", "Enceinte sur batterie, deux micros sans fil.", None, 1, "900",
     Borrowers.AUTHORITY),
]
CONDITIONS = "Retrait et retour au centre technique, du lundi au vendredi, 8 h – 16 h."


def _photo(item_type: str | None) -> SimpleUploadedFile | None:
    category = Category.objects.filter(name=item_type, parent__isnull=False).first() \
        if item_type else None
    if category is None:
        return None
    return SimpleUploadedFile("demo-pret.jpg", demo_photo(category), content_type="image/jpeg")


def seed_demo_loans(slug: str) -> int:
    """Create the lending catalogue of the current schema's authority, once. Returns how
    many objects were created."""
    if LendableItem.objects.exists():
        return 0
    users = {u.email.split("@")[0]: u for u in User.objects.all()}
    owner, borrower = users["agent"], users["agent2"]
    site = Site.objects.order_by("pk").first()
    created = 0
    today = timezone.localdate()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    with transaction.atomic():
        items = {}
        for title, description, item_type, stock, value, borrowers in LENDING_CATALOGUE:
            item = services.create_item(actor=owner, title=title, description=description,
                                        quantity=stock, unit_value=Decimal(value),
                                        borrowers=borrowers, site=site,
                                        conditions=CONDITIONS)
            upload = _photo(item_type)
            if upload is not None:
                services.add_item_photo(item=item, actor=owner, upload=upload)
            items[title] = item
            created += 1
        barriers = services.request_booking(
            item=items["Barrières Vauban"], actor=borrower, start=saturday, end=saturday,
            quantity=20, purpose="Brocante du quartier")
        services.approve_booking(booking=barriers, actor=owner,
                                 message="À retirer le vendredi après-midi.")
        services.request_booking(item=items["Tables pliantes de collectivité"],
                                 actor=borrower, start=saturday, end=saturday + timedelta(1),
                                 quantity=15, purpose="Fête de l'école")
        # Last month's loan, already returned: written as it ended (the services refuse
        # dates in the past).
        month_ago = today - timedelta(days=30)
        Booking.objects.create(
            item=items["Barnum 3 x 3 m"], borrower=borrower,
            borrower_service=borrower.service, quantity=2, start=month_ago,
            end=month_ago + timedelta(days=2), status=BookingStatus.RETURNED,
            decided_by=owner, decided_at=timezone.now() - timedelta(days=35),
            picked_up_at=timezone.now() - timedelta(days=30),
            returned_at=timezone.now() - timedelta(days=27),
            pickup_condition="Bon état", return_condition="Une sangle à remplacer")
        created += 3
    return created
