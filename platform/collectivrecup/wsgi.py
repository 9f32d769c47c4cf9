"""WSGI entry point. Serve with gunicorn's sync workers: django-tenants switches the
database schema per request on a shared connection, which ASGI would interleave."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collectivrecup.settings.local")
application = get_wsgi_application()
