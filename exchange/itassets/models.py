"""The IT register (issue 19): each computer, screen, phone, tablet or printer of the
authority, who holds it, which life it is in, and the history of every change. Tables
live in each authority's schema (the app is in TENANT_APPS)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from core.constraints import one_of


class AssetKind(models.TextChoices):
    COMPUTER = "computer", _("Computer")
    SCREEN = "screen", _("Screen")
    PHONE = "phone", _("Phone")
    TABLET = "tablet", _("Tablet")
    PRINTER = "printer", _("Printer")


class AssetState(models.TextChoices):
    IN_USE = "in_use", _("In use")
    IN_STOCK = "in_stock", _("In stock")
    BROKEN = "broken", _("Out of order")


class Life(models.IntegerChoices):
    FIRST = 1, _("First life")
    SECOND = 2, _("Second life")
    THIRD = 3, _("Third life")


class ITAsset(models.Model):
    """One piece of IT equipment. Serial and inventory numbers are unique whatever
    their case (an inventory number may be left empty)."""

    kind = models.CharField(_("type"), max_length=20, choices=AssetKind.choices)
    make = models.CharField(_("make"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=150, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100)
    inventory_number = models.CharField(_("inventory number"), max_length=100, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    life = models.PositiveSmallIntegerField(_("current life"), choices=Life.choices,
                                            default=Life.FIRST)
    holder_service = models.ForeignKey("accounts.Service", on_delete=models.PROTECT,
                                       null=True, blank=True, related_name="it_assets",
                                       verbose_name=_("service"))
    holder_site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="it_assets",
                                    verbose_name=_("school or site"))
    holder_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="it_assets",
                                    verbose_name=_("person"))
    state = models.CharField(_("state"), max_length=20, choices=AssetState.choices,
                             default=AssetState.IN_USE)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("IT asset")
        verbose_name_plural = _("IT assets")
        ordering = ["kind", "make", "model", "id"]
        constraints = [
            models.UniqueConstraint(Upper("serial_number"), name="itasset_serial_unique_ci"),
            models.UniqueConstraint(Upper("inventory_number"),
                                    condition=~Q(inventory_number=""),
                                    name="itasset_inventory_unique_ci"),
            models.CheckConstraint(condition=~Q(serial_number=""),
                                   name="itasset_serial_not_empty"),
            models.CheckConstraint(condition=Q(life__in=[1, 2, 3]), name="itasset_life_1_3"),
            models.CheckConstraint(condition=one_of("kind", AssetKind.values),
                                   name="itasset_kind_known"),
            models.CheckConstraint(condition=one_of("state", AssetState.values),
                                   name="itasset_state_known"),
        ]

    def __str__(self) -> str:
        return " ".join(part for part in (self.get_kind_display(), self.make, self.model)
                        if part)


class EventKind(models.TextChoices):
    CREATED = "created", _("Added to the register")
    CHANGED = "changed", _("Changed")
    MOVED = "moved", _("Holder changed")


class ITAssetEvent(models.Model):
    """One entry of an asset's history, written by exchange.itassets.services and never
    updated. `changes` maps a field's name to its [before, after] stored values."""

    asset = models.ForeignKey(ITAsset, on_delete=models.CASCADE, related_name="events",
                              verbose_name=_("IT asset"))
    kind = models.CharField(_("event"), max_length=20, choices=EventKind.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    source_import = models.ForeignKey("itassets.ITImport", on_delete=models.PROTECT, null=True,
                                      blank=True, related_name="events",
                                      verbose_name=_("import"))

    class Meta:
        verbose_name = _("IT asset event")
        verbose_name_plural = _("IT asset events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["asset", "-at"], name="itasset_event_asset_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d})"


class ITImport(models.Model):
    """One inventory file imported into the register (exchange.itassets.imports): the
    file's name, who imported it, how many assets it added, and the column mapping they
    confirmed (register field → the file's header), which the next import proposes."""

    file_name = models.CharField(_("file name"), max_length=200)
    columns = models.JSONField(_("columns"), default=dict)
    asset_count = models.PositiveIntegerField(_("assets added"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("IT inventory import")
        verbose_name_plural = _("IT inventory imports")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.at:%Y-%m-%d})"
