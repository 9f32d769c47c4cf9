"""Celery application. Tasks run inside the schema of the authority that queued them
(tenant-schemas-celery records the schema in each message)."""

import os
from pathlib import Path

from tenant_schemas_celery.app import CeleryApp as TenantAwareCeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collectivrecup.settings.local")

app = TenantAwareCeleryApp("collectivrecup")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_filesystem_broker_folders(sender, **kwargs):
    """kombu's filesystem transport (the local default) expects its folders to exist."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
