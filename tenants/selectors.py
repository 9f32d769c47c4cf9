"""Reads on authorities."""

from django.db.models import QuerySet

from .models import Authority


def authorities_for_console() -> QuerySet[Authority]:
    """Every authority but the platform's own row, with its primary domain."""
    return (
        Authority.objects.exclude(schema_name="public")
        .prefetch_related("domains")
        .order_by("name")
    )
