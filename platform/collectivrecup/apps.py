from django.apps import AppConfig


class CollectivrecupConfig(AppConfig):
    name = "collectivrecup"
    verbose_name = "Collectiv'Récup"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        # Make our Celery app the current one in every process that runs Django, so
        # that @shared_task functions queue through it (broker, tenant-aware headers).
        from collectivrecup import celery  # noqa: F401
        from collectivrecup.middleware import stamp_signed_in_session

        # A new session starts its idle clock at sign-in (IdleSessionMiddleware).
        user_logged_in.connect(stamp_signed_in_session, dispatch_uid="idle-session-stamp")
