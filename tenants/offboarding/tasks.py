"""The offboarding task: building one export. Not an app of its own, so Celery finds
this module through collectivrecup/celery.py's autodiscovery of `tenants.offboarding`."""

from celery import shared_task

from tenants.offboarding.export import build_export


@shared_task(name="tenants.build_authority_export")
def build_authority_export(export_id: int) -> None:
    """Build one authority export (export.py), progress on its row."""
    build_export(export_id)
