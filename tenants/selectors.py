"""Reads on authorities."""

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet

from tenants.models import Authority


def authorities_for_console(search: str = "", status: str = "") -> QuerySet[Authority]:
    """Every authority but the platform's own row, with its domains; optionally those
    whose name, slug or SIREN contains `search`, and those in `status`."""
    authorities = Authority.all_objects.exclude(schema_name="public")
    search = (search or "").strip()
    if search:
        authorities = authorities.filter(
            Q(name__icontains=search) | Q(slug__icontains=search)
            | Q(siren__startswith=search.replace(" ", ""))
        )
    if status:
        authorities = authorities.filter(status=status)
    return authorities.prefetch_related("domains").order_by("name")


def current_authority() -> Authority | None:
    """The Authority whose schema the connection points at; None in the public schema."""
    schema = connection.schema_name
    if schema == settings.PUBLIC_SCHEMA_NAME:
        return None
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Authority) and tenant.schema_name == schema:
        return tenant
    return Authority.objects.filter(schema_name=schema).first()
