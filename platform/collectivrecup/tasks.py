"""Platform-level Celery tasks."""

from celery import shared_task
from django.db import connection


@shared_task(name="collectivrecup.ping")
def ping() -> str:
    """Answer with the schema the task ran in: readiness checks use it to prove that
    a worker consumes the queue and runs tasks in the authority that sent them."""
    return connection.schema_name
