"""The partners' Celery tasks that code below tasks.py queues, by their names.

exchange/partners/tasks.py runs the work of the modules below it (the offer cascade,
webhook deliveries, request e-mails), so those modules (services, webhooks) cannot
import it back to queue one of its tasks without closing an import circle. They queue
it by its registered name instead (tenants.background.queue_by_name / registered_task);
tasks.py registers its tasks under these same names, and PartnersConfig.ready() imports
tasks.py, so every process that runs Django (web, worker, shell, tests) knows them.
"""

from __future__ import annotations

DELIVER_WEBHOOK = "partners.deliver_webhook"
SEND_REQUEST_MAIL = "partners.send_request_mail"
