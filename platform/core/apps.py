from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The platform's plumbing; its one model is the mail outbox (core/outbox.py), in
    every schema (public and each authority), so that a mail is stored in the same
    transaction as the write it tells about."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The outbox's task must be registered in every process (web, worker, tests).
        from core import tasks  # noqa: F401  (registration only)
