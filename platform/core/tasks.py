"""The outbox's task (core/outbox.py). It runs in the schema that queued it
(tenant-schemas-celery)."""

from celery import shared_task

from core import outbox


@shared_task(name=outbox.SEND_TASK, acks_late=True, reject_on_worker_lost=True)
def send_outbox_message(message_id: str) -> str:
    """Send one outbox message once. No Celery retry chain: a failure sets the row's
    next attempt time and the sweep (every OUTBOX_SWEEP_SECONDS) queues it again, so a
    lost broker or worker loses no retry and chains never pile up."""
    return outbox.send(message_id)


@shared_task(name="core.sweep_outbox")
def sweep_outbox() -> int:
    """Queue again the due messages of this schema (collectivrecup.tasks runs it in the
    public schema and in every live authority)."""
    return outbox.sweep_here()
