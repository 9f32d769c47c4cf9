"""CatalogueEntry: one published listing of one authority, as outsiders may see it.

A projection, never the source of truth: the listing in its authority's schema is.
Computed by exchange/listings/projections.py, written after commit through
exchange/catalogue/services.py, and rebuilt by `manage.py rebuild_catalogue`. It holds
what other authorities' agents and partners may read: no € value, no person (poster,
service, site address).
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CatalogueEntry(models.Model):
    authority = models.ForeignKey("tenants.Authority", on_delete=models.CASCADE,
                                  related_name="catalogue_entries")
    listing_id = models.BigIntegerField()
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    family = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=200)
    reference_code = models.SlugField(max_length=60, blank=True)
    condition = models.CharField(max_length=20)
    # The pickup site's commune and postcode only (never its address or name).
    commune = models.CharField(max_length=120, blank=True)
    postcode = models.CharField(max_length=5, blank=True)
    quantity = models.PositiveIntegerField(help_text="Items left on the listing.")
    available_from = models.DateField(null=True, blank=True)
    available_until = models.DateField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    photo_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    # Audiences. A row exists only while at least one of them applies.
    is_shared = models.BooleanField(default=False,
                                    help_text="Seen by the authorities sharing with its own.")
    offered_at = models.DateTimeField(null=True, blank=True,
                                      help_text="Offered to partners since (partner API).")
    search_vector = SearchVectorField(null=True, editable=False)
    updated_at = models.DateTimeField(default=timezone.now,
                                      help_text="Last change of the projected values.")

    class Meta:
        ordering = ["-published_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "listing_id"],
                                    name="catalogue_entry_unique"),
            models.CheckConstraint(condition=Q(is_shared=True) | Q(offered_at__isnull=False),
                                   name="catalogue_entry_has_audience"),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="catalogue_search_gin"),
            models.Index(fields=["authority", "-published_at"], name="catalogue_shared_feed",
                         condition=Q(is_shared=True)),
            # The shared feed across many partners, newest first: walked in order and
            # stopped after a page (100 partners × 1,000 listings: 235 ms → 0.5 ms).
            models.Index(fields=["-published_at", "-id"], name="catalogue_shared_recent",
                         condition=Q(is_shared=True)),
            models.Index(fields=["updated_at", "id"], name="catalogue_offered_sync",
                         condition=Q(offered_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.listing_id}"
