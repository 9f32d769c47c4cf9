"""Celery application. Tasks run inside the schema of the authority that queued them
(tenant-schemas-celery records the schema in each message)."""

import logging
import logging.config
import os
from pathlib import Path

import sentry_sdk
from celery.signals import setup_logging, task_failure, task_prerun
from django.conf import settings
from django.db import connection
from tenant_schemas_celery.app import CeleryApp as TenantAwareCeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collectivrecup.settings.local")

app = TenantAwareCeleryApp("collectivrecup")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Packages inside an app that hold tasks of their own (not apps: not found above).
app.autodiscover_tasks(["tenants.offboarding"])

log = logging.getLogger(__name__)


@app.on_after_configure.connect
def _create_filesystem_broker_folders(sender, **kwargs):
    """kombu's filesystem transport (the local default) expects its folders to exist."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@setup_logging.connect
def _use_django_logging(**kwargs):
    """Worker and beat log like the web processes (settings.LOGGING: JSON in production,
    with request_id and authority fields) instead of Celery's own format."""
    logging.config.dictConfig(settings.LOGGING)


@task_prerun.connect
def _tag_sentry_scope_with_the_authority(**kwargs):
    """Sentry events of a task carry the authority, as those of a request do
    (observability.SentryTenantMiddleware). tenant-schemas-celery has switched the
    connection to the task's authority by now (its task_prerun handler comes first)."""
    tenant = getattr(connection, "tenant", None)
    sentry_sdk.get_isolation_scope().set_tag(
        "authority", getattr(tenant, "slug", None) or connection.schema_name)


@task_failure.connect
def _log_task_failure(sender=None, task_id=None, exception=None, **kwargs):
    """One ERROR line per failed task: its name, its id and the authority's schema it ran
    in. Not its arguments, nor the exception's message: both may hold personal data
    (Sentry's CeleryIntegration reports the exception, scrubbed, when SENTRY_DSN is set)."""
    log.error("task %s failed: id=%s schema=%s error=%s",
              getattr(sender, "name", sender), task_id, connection.schema_name,
              type(exception).__name__)
