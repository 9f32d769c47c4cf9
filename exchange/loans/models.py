"""Loans of shared equipment: what a service lends, the bookings of it, what happened
at pickup and return, and the damage noted on an item. Tables live in each authority's
schema (the app is in TENANT_APPS)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.constraints import one_of


class Borrowers(models.TextChoices):
    """Who may borrow an item. Each choice includes the ones before it."""

    AUTHORITY = "authority", _("My authority only")
    SHARING = "sharing", _("Also the authorities we share with")
    PARTNERS = "partners", _("Also partners with a grant")


def loan_photo_path(instance, filename: str) -> str:
    # The storage puts every file under the authority's schema folder.
    return f"loans/{filename}"


class LendableItem(models.Model):
    """Equipment a service lends: `quantity` units, kept at `site`."""

    service = models.ForeignKey("accounts.Service", on_delete=models.PROTECT,
                                related_name="lendable_items", verbose_name=_("service"))
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="lendable_items", verbose_name=_("site"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    quantity = models.PositiveIntegerField(_("quantity in stock"),
                                           validators=[MinValueValidator(1)])
    conditions = models.TextField(_("conditions of the loan"), blank=True)
    unit_value = models.DecimalField(
        _("value of one unit (€)"), max_digits=10, decimal_places=2, null=True, blank=True,
        help_text=_("What buying one would cost: the statistics count purchases avoided "
                    "with it."))
    borrowers = models.CharField(_("who may borrow"), max_length=20, choices=Borrowers.choices,
                                 default=Borrowers.AUTHORITY)
    is_active = models.BooleanField(_("lent"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lendable item")
        verbose_name_plural = _("lendable items")
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="loan_item_quantity_1"),
            models.CheckConstraint(condition=Q(unit_value__isnull=True) | Q(unit_value__gte=0),
                                   name="loan_item_value_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title


class LendablePhoto(models.Model):
    item = models.ForeignKey(LendableItem, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=loan_photo_path)
    thumbnail = models.ImageField(upload_to=loan_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.pk}"


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("loan", "Requested")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    PICKED_UP = "picked_up", pgettext_lazy("loan", "Picked up")
    RETURNED = "returned", _("Returned")


# The bookings that hold units of the stock on their days.
HOLDING_STATUSES = (BookingStatus.APPROVED, BookingStatus.PICKED_UP)


class Booking(models.Model):
    """An agent's request to borrow `quantity` units from `start` to `end` (both days
    included), then what the owning service decided and what happened."""

    item = models.ForeignKey(LendableItem, on_delete=models.CASCADE, related_name="bookings",
                             verbose_name=_("item"))
    # An agent of this authority; or none, for an agent of a sharing partner (whose
    # account lives in its own schema: `borrower_authority` names it) or a partner with a
    # grant (`borrower_partner_id`); the label and address say who asked.
    borrower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="loan_bookings",
                                 verbose_name=_("borrower"))
    borrower_authority = models.SlugField(_("borrowing authority"), max_length=63, blank=True)
    borrower_label = models.CharField(_("borrower"), max_length=300, blank=True)
    borrower_email = models.EmailField(_("borrower's e-mail address"), blank=True)
    # A partner with a grant (public schema's exchange.partners Partner, by id: no
    # foreign key across schemas).
    borrower_partner_id = models.PositiveIntegerField(null=True, blank=True)
    borrower_service = models.ForeignKey("accounts.Service", on_delete=models.SET_NULL,
                                         null=True, blank=True, related_name="+",
                                         verbose_name=_("borrowing service"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    start = models.DateField(pgettext_lazy("loan", "from"))
    end = models.DateField(_("until"))
    purpose = models.CharField(_("what for"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=BookingStatus.choices,
                              default=BookingStatus.REQUESTED)
    decision_message = models.TextField(_("message"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    picked_up_at = models.DateTimeField(pgettext_lazy("loan", "picked up"), null=True, blank=True)
    pickup_condition = models.TextField(_("condition at pickup"), blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    return_condition = models.TextField(_("condition at return"), blank=True)
    last_reminder_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="loan_booking_dates"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="loan_booking_quantity"),
            models.CheckConstraint(
                condition=(Q(borrower__isnull=False) | ~Q(borrower_authority="")
                           | Q(borrower_partner_id__isnull=False)),
                name="loan_booking_has_a_borrower"),
        ]
        indexes = [
            models.Index(fields=["item", "start", "end"], name="loan_booking_holding",
                         condition=one_of("status", ["approved", "picked_up"])),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.start}–{self.end} × {self.quantity}"

    @property
    def borrower_name(self) -> str:
        """Who borrows, as the owners see it."""
        if self.borrower_id is None:
            return self.borrower_label
        service = f" ({self.borrower_service.name})" if self.borrower_service_id else ""
        return f"{self.borrower.first_name} {self.borrower.last_name}{service}"

    @property
    def borrower_address(self) -> str:
        return self.borrower.email if self.borrower_id else self.borrower_email

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class PhotoStage(models.TextChoices):
    PICKUP = "pickup", _("At pickup")
    RETURN = "return", _("At return")


class BookingPhoto(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(max_length=10, choices=PhotoStage.choices)
    image = models.ImageField(upload_to=loan_photo_path)
    thumbnail = models.ImageField(upload_to=loan_photo_path)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.booking_id}/{self.stage}/{self.pk}"


class DamageNote(models.Model):
    """Damage noted on an item (at a return, or at any time): the item's history."""

    item = models.ForeignKey(LendableItem, on_delete=models.CASCADE, related_name="damages")
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="damages")
    quantity = models.PositiveIntegerField(_("units damaged"), default=1)
    note = models.TextField(_("damage"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="loan_damage_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.note[:40]}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class LoanFeed(models.Model):
    """The secret address of a service's iCalendar feed of bookings."""

    service = models.OneToOneField("accounts.Service", on_delete=models.CASCADE,
                                   related_name="loan_feed")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"feed of service {self.service_id}"
