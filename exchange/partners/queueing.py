"""The partners' Celery tasks that code below tasks.py queues, by their names.

exchange/partners/tasks.py runs the work of the modules below it (the offer cascade,
webhook deliveries, request e-mails), so those modules (services, webhooks) cannot
import it back to queue one of its tasks without closing an import circle. They queue
it by its registered name instead; tasks.py registers its tasks under these same names,
and PartnersConfig.ready() imports tasks.py, so every process that runs Django (web,
worker, shell, tests) knows them. A task found this way behaves as if imported: it runs
eagerly where Celery is set to (tests) and carries the schema it is queued from.
"""

from __future__ import annotations

from celery import current_app

DELIVER_WEBHOOK = "partners.deliver_webhook"
SEND_REQUEST_MAIL = "partners.send_request_mail"


def registered(task_name: str):
    """The task registered under `task_name`; KeyError when tasks.py was not imported
    (a programming error, never a broker outage)."""
    return current_app.tasks[task_name]
