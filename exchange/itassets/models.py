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
    # In a retirement batch (exchange.itassets.batches), until its exit:
    RETIRED = "retired", _("Retired, awaiting erasure")
    ERASED = "erased", _("Data erased")
    RECONDITIONED = "reconditioned", _("Reconditioned")
    # After its exit: offered on the exchange, or gone (donated, recycled).
    LISTED = "listed", _("Offered on the exchange")
    LEFT = "left", _("Left the authority")


# States from which an asset may be retired into a batch (it is in none).
RETIRABLE_STATES = (AssetState.IN_USE, AssetState.IN_STOCK, AssetState.BROKEN)


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
    RETIRED = "retired", _("Retired into a batch")
    ERASED = "erased", _("Data erasure recorded")
    RECONDITIONED = "reconditioned", _("Reconditioned")
    EXITED = "exited", _("Left the batch")


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
    # The retirement batch the event happened in (retired, erased, reconditioned, exited).
    batch = models.ForeignKey("RetirementBatch", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("batch"))

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
# --- Retirement batches (issue 19, second increment): erasure, reconditioning, exits ---

class BatchState(models.TextChoices):
    OPEN = "open", _("In progress")
    CLOSED = "closed", _("Closed")


class RetirementBatch(models.Model):
    """A batch of assets the IT team retires together: erased, reconditioned, then each
    sent to its next life. Its certificate lists every item's erasure. It closes once
    every item has left it."""

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    state = models.CharField(_("state"), max_length=10, choices=BatchState.choices,
                             default=BatchState.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("retirement batch")
        verbose_name_plural = _("retirement batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=one_of("state", BatchState.values),
                                   name="retirementbatch_state_known"),
            models.CheckConstraint(
                condition=Q(state=BatchState.OPEN, closed_at__isnull=True)
                | Q(state=BatchState.CLOSED, closed_at__isnull=False),
                name="retirementbatch_closed_at_iff_closed"),
        ]

    def __str__(self) -> str:
        return self.reference


class BatchItem(models.Model):
    """An asset retired into a batch: when, by whom, its reconditioning, and (once it
    left) when. An asset is in at most one batch it has not left (PostgreSQL's partial
    unique index); after a second life in-house it may be retired again later."""

    batch = models.ForeignKey(RetirementBatch, on_delete=models.PROTECT, related_name="items",
                              verbose_name=_("batch"))
    asset = models.ForeignKey(ITAsset, on_delete=models.PROTECT, related_name="batch_items",
                              verbose_name=_("IT asset"))
    retired_on = models.DateField(_("retirement date"))
    retired_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    # Reconditioning (optional: an item may go to recycling without it).
    reconditioned_on = models.DateField(_("reconditioned on"), null=True, blank=True)
    parts = models.TextField(_("parts replaced or added"), blank=True)
    operating_system = models.CharField(_("free operating system installed"), max_length=100,
                                        blank=True)
    licence_removed = models.BooleanField(_("licence removed"), default=False)
    # Set with its ITExit, in the same transaction.
    exited_on = models.DateField(_("exit date"), null=True, blank=True)

    class Meta:
        verbose_name = _("retired item")
        verbose_name_plural = _("retired items")
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["asset"], condition=Q(exited_on__isnull=True),
                                    name="batchitem_one_open_batch_per_asset"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} / {self.asset_id}"


class ErasureMethod(models.TextChoices):
    OVERWRITE = "overwrite", _("Overwrite (NIST 800-88 clear or purge)")
    CRYPTO_ERASE = "crypto_erase", _("Cryptographic erase")
    DESTRUCTION = "destruction", _("Physical destruction of the storage")


class ErasureResult(models.TextChoices):
    OK = "ok", _("Succeeded")
    FAILED = "failed", _("Failed")


class ErasureRecord(models.Model):
    """One data erasure of a retired item (a failed one may be followed by another).
    Never changed once written: an exit points at an erasure that succeeded."""

    item = models.ForeignKey(BatchItem, on_delete=models.PROTECT, related_name="erasures",
                             verbose_name=_("retired item"))
    method = models.CharField(_("method"), max_length=20, choices=ErasureMethod.choices)
    tool = models.CharField(_("tool"), max_length=150, blank=True)
    operator_name = models.CharField(_("operator"), max_length=150)
    erased_on = models.DateField(_("erasure date"))
    result = models.CharField(_("result"), max_length=10, choices=ErasureResult.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("data erasure")
        verbose_name_plural = _("data erasures")
        ordering = ["item", "-erased_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=one_of("method", ErasureMethod.values),
                                   name="erasure_method_known"),
            models.CheckConstraint(condition=one_of("result", ErasureResult.values),
                                   name="erasure_result_known"),
            models.CheckConstraint(condition=~Q(operator_name=""),
                                   name="erasure_operator_named"),
            # The target of ITExit's composite foreign key (migration 0003).
            models.UniqueConstraint(fields=["id", "item", "result"],
                                    name="erasure_id_item_result"),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} ({self.get_result_display()})"


class ExitKind(models.TextChoices):
    SECOND_LIFE = "second_life", _("New holder in the authority")
    LISTING = "listing", _("Offered on the exchange")
    DONATION = "donation", _("Donated under an agreement")
    RECYCLING = "recycling", _("Recycled")


class RecyclerKind(models.TextChoices):
    ECO_ORGANISME = "eco_organisme", _("Éco-organisme")
    INSERTION = "insertion", _("Insertion enterprise")


class ITExit(models.Model):
    """Where a retired item went, and when. It names the erasure that allowed it:
    PostgreSQL refuses an exit whose erasure is not this item's or did not succeed (a
    composite foreign key on (erasure, item, erasure_result) with erasure_result = ok).

    Exits recorded together share a `reference`: the donation's transfer record or the
    recycling's removal slip lists them."""

    item = models.OneToOneField(BatchItem, on_delete=models.PROTECT, related_name="exit",
                                verbose_name=_("retired item"))
    erasure = models.ForeignKey(ErasureRecord, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("data erasure"))
    erasure_result = models.CharField(max_length=10, default=ErasureResult.OK)
    kind = models.CharField(_("exit"), max_length=20, choices=ExitKind.choices)
    exited_on = models.DateField(_("exit date"))
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(auto_now_add=True)
    # Second life in-house: the new holder, the life it starts.
    to_service = models.ForeignKey("accounts.Service", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("service"))
    to_site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+", verbose_name=_("school or site"))
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="+",
                                verbose_name=_("person"))
    life_after = models.PositiveSmallIntegerField(_("life after"), null=True, blank=True)
    # Offered on the exchange: the listing posted for other services or authorities.
    listing = models.ForeignKey("exchange.Listing", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("listing"))
    # Donation: the partner (public schema, by id; its name and agreement copied), the
    # value per unit, and the moderator who confirmed it above the legal cap.
    partner_id = models.BigIntegerField(null=True, blank=True)
    partner_name = models.CharField(_("partner"), max_length=200, blank=True)
    agreement_reference = models.CharField(_("agreement reference"), max_length=200,
                                           blank=True)
    unit_value = models.DecimalField(_("unit value (€)"), max_digits=10, decimal_places=2,
                                     null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    # Recycling: who removed it and its weight (estimated from the reference factors
    # unless weighed).
    recycler_name = models.CharField(_("recycler"), max_length=200, blank=True)
    recycler_kind = models.CharField(_("recycler kind"), max_length=20, blank=True,
                                     choices=RecyclerKind.choices)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=9, decimal_places=3,
                                    null=True, blank=True)
    weight_is_estimated = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("IT exit")
        verbose_name_plural = _("IT exits")
        ordering = ["-exited_on", "-id"]
        indexes = [models.Index(fields=["exited_on", "kind"], name="itexit_day_kind"),
                   models.Index(fields=["reference"], name="itexit_reference")]
        constraints = [
            models.CheckConstraint(condition=one_of("kind", ExitKind.values),
                                   name="itexit_kind_known"),
            models.CheckConstraint(condition=Q(erasure_result=ErasureResult.OK),
                                   name="itexit_erasure_succeeded"),
            models.CheckConstraint(
                condition=~Q(kind=ExitKind.DONATION)
                | (Q(partner_id__isnull=False) & Q(unit_value__isnull=False)),
                name="itexit_donation_names_partner_and_value"),
            models.CheckConstraint(
                condition=~Q(kind=ExitKind.RECYCLING)
                | (~Q(recycler_name="") & (Q(recycler_kind=RecyclerKind.ECO_ORGANISME)
                                           | Q(recycler_kind=RecyclerKind.INSERTION))),
                name="itexit_recycling_names_recycler"),
            models.CheckConstraint(
                condition=~Q(kind=ExitKind.SECOND_LIFE) | Q(life_after__isnull=False),
                name="itexit_second_life_has_life"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.exited_on:%Y-%m-%d})"
