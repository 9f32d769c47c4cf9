"""Platform-level Celery tasks."""

from celery import shared_task
from django.db import connection

from core.tasks import sweep_outbox
from tenants.background import queue_in_every_authority


@shared_task(name="collectivrecup.ping")
def ping() -> str:
    """Answer with the schema the task ran in: readiness checks use it to prove that
    a worker consumes the queue and runs tasks in the authority that sent them."""
    return connection.schema_name


@shared_task(name="collectivrecup.sweep_outbox_everywhere")
def sweep_outbox_everywhere() -> int:
    """Beat's job (in the public schema): the public schema's outbox here, then each live
    authority's, queued inside its schema."""
    return sweep_outbox() + queue_in_every_authority(sweep_outbox)
