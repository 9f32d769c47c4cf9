"""Collectiv'Récup project package: settings, URLs, Celery app, local tooling."""

from .celery import app as celery_app

__all__ = ["celery_app"]
