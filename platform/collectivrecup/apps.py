from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class CollectivrecupConfig(AppConfig):
    name = "collectivrecup"
    verbose_name = "Collectiv'Récup"

    def ready(self) -> None:
        # Make our Celery app the current one in every process that runs Django, so
        # that @shared_task functions queue through it (broker, tenant-aware headers);
        # here, once the app registry is ready: it reads the settings and finds the
        # apps' tasks.
        from collectivrecup import celery  # noqa: F401

        # The middleware loads the Celery app too (through readiness): here, for the same
        # reason.
        from collectivrecup.middleware import stamp_signed_in_session

        # A new session starts its idle clock at sign-in (IdleSessionMiddleware).
        user_logged_in.connect(stamp_signed_in_session, dispatch_uid="idle-session-stamp")
