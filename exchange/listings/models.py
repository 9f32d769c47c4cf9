"""Listings and everything that happens to them. Tables live in each authority's schema."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import cache as authority_cache
from core.search import SEARCH_CONFIG as SEARCH_CONFIG  # the listings' searches use it

# Per-authority cached reads (core.cache) of exchange.listings.selectors: the settings
# row, and the visible categories (which depend on the settings' IT/appliances switches).
SETTINGS_CACHE = "exchange_settings"
CATEGORIES_CACHE = "categories"


class InvalidatesCache:
    """Forget `cache_names` of the current authority on every save() and delete().

    In the models rather than in the services: the settings and the categories are
    written by several services (provisioning, the administrators' pages, the
    categories' service), the settings form's ModelForm, the demo and tests, and one
    forgotten path would serve stale choices. Bulk writes call core.cache.invalidate
    themselves (services.categories._bulk_seed_categories)."""

    cache_names: tuple[str, ...] = ()

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        authority_cache.invalidate(*self.cache_names)

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        authority_cache.invalidate(*self.cache_names)
        return result


class CategoryKind(models.TextChoices):
    GENERAL = "general", _("General")
    IT = "it", _("IT equipment")
    APPLIANCE = "appliance", _("Appliances")


class Category(InvalidatesCache, models.Model):
    """Two-level tree: families (no parent) and item types (with a parent family).

    Every item type points at a reference item (analytics.ReferenceItem.code) so that
    weight and CO2e can be estimated.
    """

    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children", verbose_name=_("family"))
    reference_code = models.SlugField(_("reference item"), max_length=60, blank=True)
    kind = models.CharField(max_length=20, choices=CategoryKind.choices,
                            default=CategoryKind.GENERAL)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    position = models.PositiveIntegerField(default=0)

    cache_names = (CATEGORIES_CACHE, authority_cache.LISTING_CARDS)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_in_family",
                                    nulls_distinct=False,
                                    violation_error_message=_("This category already exists.")),
        ]

    def __str__(self) -> str:
        return self.name


class Visibility(models.TextChoices):
    """Who may see a published listing besides its own authority's agents."""

    INTERNAL = "internal", _("My authority only")
    SHARED = "shared", _("Also the authorities we share with")


class ModerationMode(models.TextChoices):
    PRE = "pre", _("Before publication")
    POST = "post", _("After publication")


class ExchangeSettings(InvalidatesCache, models.Model):
    """The authority's exchange rules (one row per schema)."""

    cache_names = (SETTINGS_CACHE, CATEGORIES_CACHE, authority_cache.LISTING_CARDS)

    moderation_mode = models.CharField(_("moderation"), max_length=10,
                                       choices=ModerationMode.choices, default=ModerationMode.PRE)
    review_words = ArrayField(models.CharField(max_length=60), default=list, blank=True,
                              verbose_name=_("words that always send a listing to review"))
    contact_cc = ArrayField(models.EmailField(), default=list, blank=True,
                            verbose_name=_("addresses copied on contacts"),
                            help_text=_("Empty: every moderator."))
    expiry_days = models.PositiveIntegerField(_("days before a listing expires"), default=60,
                                              validators=[MinValueValidator(7)])
    it_enabled = models.BooleanField(_("IT equipment can be listed"), default=True)
    appliances_enabled = models.BooleanField(_("appliances can be listed"), default=True)
    contacts_per_hour = models.PositiveIntegerField(_("contacts per agent per hour"), default=10)
    # Sharing between authorities (issue 4) and the offer to partners (issue 7).
    default_visibility = models.CharField(_("default visibility of new listings"),
                                          max_length=10, choices=Visibility.choices,
                                          default=Visibility.INTERNAL)
    share_after_days = models.PositiveIntegerField(
        _("share an internal listing without taker after (days)"), null=True, blank=True,
        default=14, help_text=_("Empty: never share automatically."))
    offer_to_partners_after_days = models.PositiveIntegerField(
        _("offer a listing without taker to partners after (days)"), null=True, blank=True,
        default=21, help_text=_("Empty: never offer to partners."))

    class Meta:
        verbose_name = _("exchange settings")

    def __str__(self) -> str:
        return str(_("Exchange settings"))


class Condition(models.TextChoices):
    NEW = "new", _("New")
    GOOD = "good", _("Good condition")
    USED = "used", _("Used")
    TO_REPAIR = "to_repair", _("To repair")


class ListingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Awaiting moderation")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    REJECTED = "rejected", _("Rejected")
    PUBLISHED = "published", _("Published")
    # "Closed" alone is an authority's status too (masculine in French): keep them apart.
    CLOSED = "closed", pgettext_lazy("listing status", "Closed")
    EXPIRED = "expired", _("Expired")


class Listing(InvalidatesCache, models.Model):
    cache_names = (authority_cache.LISTING_CARDS,)

    """Equipment a service no longer needs, offered to the others."""

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="listings",
                                 verbose_name=_("category"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices)
    estimated_value = models.DecimalField(
        _("estimated value (€)"), max_digits=10, decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("For the whole listing. Seen only by you and the moderators."))
    dimensions = models.CharField(_("dimensions"), max_length=120, blank=True)
    poster = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="listings", verbose_name=_("poster"))
    service = models.ForeignKey("accounts.Service", on_delete=models.PROTECT,
                                related_name="listings", verbose_name=_("service"))
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="listings",
                             verbose_name=_("pickup site"))
    available_from = models.DateField(_("available from"), null=True, blank=True)
    available_until = models.DateField(_("available until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ListingStatus.choices,
                              default=ListingStatus.DRAFT)
    reserved_for = models.CharField(_("reserved for"), max_length=200, blank=True)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.INTERNAL)
    shared_at = models.DateTimeField(null=True, blank=True)
    partner_offer_opt_out = models.BooleanField(
        _("never offer to outside partners"), default=False)
    offered_to_partners_at = models.DateTimeField(null=True, blank=True)
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    held_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    expiry_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    outcome_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)
    # A quantity or a value per item above the plausibility bounds (settings
    # LISTING_MAX_QUANTITY, LISTING_MAX_UNIT_VALUE_EUR) stands only once a moderator has
    # confirmed it; changing the quantity or the value drops the confirmation.
    outlier_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                             on_delete=models.SET_NULL, related_name="+")
    outlier_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["-published_at", "-created_at"]
        indexes = [
            GinIndex(fields=["search_vector"], name="listing_search_gin"),
            models.Index(fields=["-published_at"], name="listing_published_feed",
                         condition=Q(status="published")),
            models.Index(fields=["poster", "-created_at"], name="listing_by_poster"),
            models.Index(fields=["status", "submitted_at"], name="listing_by_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="listing_quantity_positive"),
            models.CheckConstraint(condition=Q(estimated_value__gte=0),
                                   name="listing_value_not_negative"),
            models.CheckConstraint(
                condition=Q(available_until__isnull=True) | Q(available_from__isnull=True)
                | Q(available_until__gte=models.F("available_from")),
                name="listing_availability_ordered"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_taken(self) -> bool:
        """Someone takes its items: reserved while published, or given (part or all)
        to a service, another authority or a partner. Transport may then be asked."""
        if self.status == ListingStatus.PUBLISHED and self.reserved_for:
            return True
        return self.transfers.filter(reason__in=GIVING_REASONS).exists()

    def taker_service_ids(self) -> set[int]:
        """The services of this authority that received items of this listing."""
        return set(self.transfers.filter(recipient_service__isnull=False)
                   .values_list("recipient_service_id", flat=True))


def photo_path(instance, filename: str) -> str:
    return f"listings/{instance.listing_id}/{filename}"


class ListingPhoto(InvalidatesCache, models.Model):
    cache_names = (authority_cache.LISTING_CARDS,)

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.listing_id}/{self.pk}"


class ModerationAction(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    PUBLISHED = "published", _("Published without moderation")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    EDITED = "edited", _("Edited")
    HELD = "held", _("Opened for moderation")
    EXTENDED = "extended", _("Extended")
    EXPIRED = "expired", _("Expired")
    RESERVED = "reserved", _("Reserved")
    UNRESERVED = "unreserved", _("Reservation cancelled")
    TRANSFERRED = "transferred", _("Items given")
    CLOSED = "closed", _("Closed")


class ModerationEvent(models.Model):
    """Audit trail of a listing: who did what, when, and what changed."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=30, choices=ModerationAction.choices)
    message = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class StandardReply(models.Model):
    """Reusable moderator message the authority edits."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("message"))

    class Meta:
        verbose_name = _("standard reply")
        verbose_name_plural = _("standard replies")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ContactStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")  # claimed by a worker (core.sending)
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, will be retried")


class ContactRequest(models.Model):
    """An agent's "I am interested". Stored before anything is sent; a worker mails it."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="contacts")
    # An agent of this authority, or (sharing, issue 4) none: then the external_* fields
    # name the agent of another authority, who has no account in this schema.
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.PROTECT, related_name="contact_requests")
    external_name = models.CharField(max_length=200, blank=True)
    external_email = models.EmailField(blank=True)
    external_service = models.CharField(max_length=200, blank=True)
    external_authority_slug = models.SlugField(max_length=63, blank=True)
    external_authority_name = models.CharField(max_length=200, blank=True)
    message = models.TextField(_("message"), blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=ContactStatus.choices,
                              default=ContactStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When a worker claimed it for the attempt under way (core.sending).
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["sender", "-created_at"], name="contact_by_sender"),
            models.Index(fields=["created_at"], name="contact_unsent",
                         condition=~Q(status="sent")),
            models.Index(fields=["external_email", "-created_at"],
                         name="contact_by_external_sender",
                         condition=Q(sender__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sender__isnull=False) | (~Q(external_email="")
                                                     & ~Q(external_authority_slug="")),
                name="contact_has_a_sender"),
        ]

    def __str__(self) -> str:
        return f"{self.sender_name} → {self.listing}"

    @property
    def is_external(self) -> bool:
        """Sent by an agent of another authority (sharing)."""
        return self.sender_id is None

    @property
    def sender_name(self) -> str:
        return self.external_name if self.sender_id is None else self.sender.full_name

    @property
    def sender_email(self) -> str:
        return self.external_email if self.sender_id is None else self.sender.email

    @property
    def sender_service_name(self) -> str:
        if self.sender_id is None:
            return self.external_service
        return self.sender.service.name if self.sender.service_id else ""


class ClosureReason(models.TextChoices):
    EXCHANGED_INTERNAL = "exchanged_internal", _("Exchanged with a service of the authority")
    EXCHANGED_OTHER_AUTHORITY = "exchanged_other_authority", _(
        "Exchanged with another authority")
    GIVEN_TO_PARTNER = "given_to_partner", _("Given to an outside partner")
    DISCARDED = "discarded", _("Thrown away or recycled")
    UNAVAILABLE = "unavailable", _("No longer available")
    WITHDRAWN = "withdrawn", _("Withdrawn")


GIVING_REASONS = {ClosureReason.EXCHANGED_INTERNAL, ClosureReason.EXCHANGED_OTHER_AUTHORITY,
                  ClosureReason.GIVEN_TO_PARTNER}


class Transfer(InvalidatesCache, models.Model):
    cache_names = (authority_cache.LISTING_CARDS,)

    """Part (or all) of a listing leaving it: given, thrown away or withdrawn."""

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="transfers")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    reason = models.CharField(_("reason"), max_length=40, choices=ClosureReason.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    recipient_service = models.ForeignKey("accounts.Service", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="received",
                                          verbose_name=_("receiving service"))
    recipient_authority = models.CharField(_("receiving authority"), max_length=200,
                                           blank=True)
    recipient_partner = models.CharField(_("partner"), max_length=200, blank=True)
    # Machine references of the recipient, beside the names above: the slug of the
    # receiving authority (sharing) and the id of the partner (public schema, partner
    # API). Statistics use them to count a transfer on both sides exactly once.
    recipient_authority_slug = models.SlugField(max_length=63, blank=True)
    recipient_partner_id = models.BigIntegerField(null=True, blank=True)
    value = models.DecimalField(_("value (€)"), max_digits=10, decimal_places=2)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=10, decimal_places=3)
    weight_is_estimated = models.BooleanField(_("estimated weight"), default=True)
    factors_version = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Free transfers to another authority or a partner (issue 4): above the legal cap
    # per unit (settings.FREE_TRANSFER_CAP_PER_UNIT_EUR) a moderator confirms first. A
    # transfer awaiting confirmation keeps its items reserved; the listing closes and
    # the statistics fact is written on confirmation; a refusal deletes it (audited).
    confirmation_required = models.BooleanField(default=False)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    inventory_number = models.CharField(_("inventory number"), max_length=100, blank=True,
                                        help_text=_("In the giver's asset register, if any."))
    agreement_reference = models.CharField(_("agreement reference"), max_length=200,
                                           blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="transfer_quantity_positive"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="transfer_awaiting_confirmation",
                         condition=Q(confirmation_required=True, confirmed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} × {self.quantity}"

    @property
    def awaits_confirmation(self) -> bool:
        return self.confirmation_required and self.confirmed_at is None

    @property
    def has_record(self) -> bool:
        """A PDF transfer record exists for confirmed transfers outside the authority."""
        return (self.reason in (ClosureReason.EXCHANGED_OTHER_AUTHORITY,
                                ClosureReason.GIVEN_TO_PARTNER)
                and not self.awaits_confirmation)


class WantedRequest(models.Model):
    """"Je recherche…": what an agent needs, shown to the others and matched on publish."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="wanted_requests")
    title = models.CharField(_("what are you looking for?"), max_length=120)
    description = models.TextField(_("details"), blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL,
                                 verbose_name=_("category"))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class SavedSearch(models.Model):
    """A search an agent wants to be alerted about."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="saved_searches")
    query = models.CharField(max_length=200, blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.query or str(self.category)
