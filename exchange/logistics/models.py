"""Transport of taken items (issue 18): the logistics teams, their rounds and the
transport requests agents make once a listing is taken. Each rule the database can hold
is a constraint here; the services check the others (quantity left, dates not past)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.constraints import one_of


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class Team(models.Model):
    """A logistics team or vehicle that carries rounds; its rounds are an iCalendar feed
    at a secret URL (`feed_token`, regenerable)."""

    name = models.CharField(_("team or vehicle"), max_length=120)
    vehicle = models.CharField(_("vehicle"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token,
                                  editable=False)

    class Meta:
        verbose_name = _("logistics team")
        verbose_name_plural = _("logistics teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), name="logistics_team_name_unique_ci",
                violation_error_message=_("A team with this name already exists.")),
        ]

    def __str__(self) -> str:
        return self.name


class Round(models.Model):
    """A team's tour on one day and time slot: several transport requests, ordered by
    site on the round sheet."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="rounds",
                             verbose_name=_("team or vehicle"))
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("to"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["date", "starts_at", "id"]
        indexes = [models.Index(fields=["date", "starts_at"], name="round_by_date")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="round_slot_ordered",
                                   violation_error_message=_(
                                       "The end of the time slot must come after its start.")),
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.date:%Y-%m-%d} {self.starts_at:%H:%M}"


class TransportStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    PLANNED = "planned", _("Planned")
    PICKED_UP = "picked_up", _("Picked up")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    REFUSED = "refused", _("Refused")


IN_ROUND = (TransportStatus.PLANNED, TransportStatus.PICKED_UP, TransportStatus.DELIVERED)


class TransportRequest(models.Model):
    """Moving a taken listing's items from a pickup site to a delivery site.

    It comes from a transfer (`transfer`: items already given) or from a reservation
    (no transfer: the listing is reserved); a request from a reservation made by the
    poster may close the listing's transfer on delivery (`close_on_delivery`, to
    `recipient_service`), through the listings' closure service."""

    listing = models.ForeignKey("exchange.Listing", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="transport_requests")
    transfer = models.ForeignKey("exchange.Transfer", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="transport_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT,
                                     related_name="transport_requests")
    pickup_site = models.ForeignKey("accounts.Site", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("pickup site"))
    pickup_address = models.CharField(_("pickup address"), max_length=300, blank=True)
    pickup_contact = models.CharField(_("pickup contact"), max_length=200)
    pickup_floor = models.SmallIntegerField(_("pickup floor"), default=0)
    pickup_lift = models.BooleanField(_("lift at pickup"), default=False)
    delivery_site = models.ForeignKey("accounts.Site", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("delivery site"))
    delivery_address = models.CharField(_("delivery address"), max_length=300, blank=True)
    delivery_contact = models.CharField(_("delivery contact"), max_length=200)
    delivery_floor = models.SmallIntegerField(_("delivery floor"), default=0)
    delivery_lift = models.BooleanField(_("lift at delivery"), default=False)
    quantity = models.PositiveIntegerField(_("quantity"))
    wished_from = models.DateField(_("wished from"))
    wished_until = models.DateField(_("wished until"))
    notes = models.TextField(_("notes"), blank=True, max_length=1000)
    recipient_service = models.ForeignKey("accounts.Service", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+",
                                          verbose_name=_("receiving service"))
    close_on_delivery = models.BooleanField(_("close the listing's transfer on delivery"),
                                            default=False)
    status = models.CharField(_("status"), max_length=12, choices=TransportStatus.choices,
                              default=TransportStatus.REQUESTED)
    round = models.ForeignKey(Round, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="stops", verbose_name=_("round"))
    created_at = models.DateTimeField(auto_now_add=True)
    planned_at = models.DateTimeField(null=True, blank=True)
    picked_up_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    closing_transfer = models.ForeignKey("exchange.Transfer", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    # Between authorities: the giver's request handed to the receiver's logistics team
    # (`handed_to_*`, its status then follows the copy's), and the copy in the
    # receiver's schema (`handed_from_*`: no listing, its items described here).
    handed_to_slug = models.SlugField(max_length=63, blank=True)
    handed_to_name = models.CharField(max_length=200, blank=True)
    handed_to_id = models.BigIntegerField(null=True, blank=True)
    handed_from_slug = models.SlugField(max_length=63, blank=True)
    handed_from_name = models.CharField(max_length=200, blank=True)
    handed_from_id = models.BigIntegerField(null=True, blank=True)
    handed_transfer_id = models.BigIntegerField(null=True, blank=True)
    items_title = models.CharField(_("items"), max_length=200, blank=True)
    items_dimensions = models.CharField(_("dimensions"), max_length=200, blank=True)
    items_unit_weight_kg = models.DecimalField(max_digits=8, decimal_places=2, null=True,
                                               blank=True)
    refusal_reason = models.CharField(_("reason of the refusal"), max_length=500,
                                      blank=True)
    refused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("transport request")
        verbose_name_plural = _("transport requests")
        ordering = ["wished_from", "id"]
        indexes = [
            models.Index(fields=["wished_from"], name="transport_unplanned",
                         condition=Q(status="requested")),
            models.Index(fields=["requested_by", "-created_at"], name="transport_by_requester"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1),
                                   name="transport_quantity_positive",
                                   violation_error_message=_("The quantity must be at least 1.")),
            models.CheckConstraint(condition=Q(wished_until__gte=F("wished_from")),
                                   name="transport_dates_ordered",
                                   violation_error_message=_(
                                       "The last wished date cannot come before the first.")),
            models.CheckConstraint(
                condition=Q(pickup_site__isnull=False) | ~Q(pickup_address=""),
                name="transport_pickup_place",
                violation_error_message=_("Choose a pickup site or write an address.")),
            models.CheckConstraint(
                condition=Q(delivery_site__isnull=False) | ~Q(delivery_address=""),
                name="transport_delivery_place",
                violation_error_message=_("Choose a delivery site or write an address.")),
            models.CheckConstraint(
                condition=Q(pickup_floor__gte=-5, pickup_floor__lte=60,
                            delivery_floor__gte=-5, delivery_floor__lte=60),
                name="transport_floors_plausible",
                violation_error_message=_("A floor lies between -5 and 60.")),
            # Closing on delivery: only from a reservation, and to a named service.
            models.CheckConstraint(
                condition=Q(close_on_delivery=False)
                | Q(transfer__isnull=True, recipient_service__isnull=False),
                name="transport_close_needs_reservation_and_service"),
            # Own requests come from a listing; a handed-over copy has none.
            models.CheckConstraint(
                condition=Q(listing__isnull=False, requested_by__isnull=False)
                | (Q(listing__isnull=True) & ~Q(handed_from_slug="")),
                name="transport_listing_or_handed_over"),
            # A request in a round is planned or later; a requested one is in none; a
            # handed-over one is in the receiver's round, none here; a refusal is dated.
            models.CheckConstraint(
                condition=(Q(status="requested", round__isnull=True)
                           | (Q(round__isnull=True) & ~Q(handed_to_slug=""))
                           | Q(status="refused", round__isnull=True,
                               refused_at__isnull=False)
                           | (one_of("status", ["planned", "picked_up", "delivered"])
                              & Q(round__isnull=False, planned_at__isnull=False))
                           | Q(status="cancelled", cancelled_at__isnull=False)),
                name="transport_status_round"),
            models.CheckConstraint(
                condition=~one_of("status", ["picked_up", "delivered"])
                | Q(picked_up_at__isnull=False),
                name="transport_picked_up_dated"),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="transport_delivered_dated"),
        ]

    def __str__(self) -> str:
        return f"{self.title} × {self.quantity}"

    @property
    def title(self) -> str:
        """What moves: the listing's title, or the items of a handed-over copy."""
        return self.listing.title if self.listing_id else self.items_title

    @property
    def dimensions(self) -> str:
        return self.listing.dimensions if self.listing_id else self.items_dimensions

    @property
    def is_handed_over(self) -> bool:
        """The giver's request, handed to the receiver's logistics team."""
        return bool(self.handed_to_slug)

    @property
    def is_handed_copy(self) -> bool:
        """The receiver's copy of another authority's request."""
        return bool(self.handed_from_slug)

    @property
    def is_cancellable(self) -> bool:
        return not self.is_handed_over and not self.is_handed_copy and self.status in (
            TransportStatus.REQUESTED, TransportStatus.PLANNED)

    @property
    def pickup_place(self) -> str:
        return _place(self.pickup_site, self.pickup_address)

    @property
    def delivery_place(self) -> str:
        return _place(self.delivery_site, self.delivery_address)


def _place(site, address: str) -> str:
    if site is not None:
        return f"{site.name}, {site.address}, {site.postcode} {site.city}"
    return address
