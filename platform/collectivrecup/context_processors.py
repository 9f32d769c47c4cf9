"""Template context shared by every page."""

from django.conf import settings
from django.db import connection


def platform(request):
    tenant = getattr(request, "tenant", None)
    is_public = connection.schema_name == settings.PUBLIC_SCHEMA_NAME
    return {
        "authority": None if is_public else tenant,
        "is_public_site": is_public,
    }
