"""Media storages that always put an authority's files under its own schema name."""

from django.db import connection
from django_tenants.files.storage import TenantFileSystemStorage as _TenantFileSystemStorage
from storages.backends.s3 import S3Storage


class TenantFileSystemStorage(_TenantFileSystemStorage):
    """var/media/<schema>/… locally (django-tenants' storage, kept under our name)."""


class TenantS3Storage(S3Storage):
    """s3://<bucket>/<schema>/… on any S3-compatible store."""

    @property
    def location(self) -> str:
        return connection.schema_name

    @location.setter
    def location(self, value: str) -> None:
        # S3Storage sets `location` from settings in __init__; the schema wins.
        pass
