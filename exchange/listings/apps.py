from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListingsConfig(AppConfig):
    """Listings: post, moderate, contact and close.

    The label stays ``exchange`` (the app's name before the re-cut): tables
    (``exchange_listing``…), content types and the migration history keep their names.
    """

    name = "exchange.listings"
    label = "exchange"
    verbose_name = _("Listings")

    def ready(self) -> None:
        """Be the source of the statistics facts (analytics.sources), and register the
        Celery tasks that the services queue by name (tenants.background.queue_by_name)."""
        # Imported here: an AppConfig imports modules that load models only once Django
        # has loaded them (so for each import below: "idem").
        from analytics.sources import register_fact_source
        from exchange.listings import tasks  # noqa: F401 (registers the tasks' names)
        from exchange.listings.fact_source import ListingsFactSource  # idem

        register_fact_source(ListingsFactSource())
