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
        """Be the source of the statistics facts (analytics.sources), register the Celery
        tasks that the services queue by name (tenants.background.queue_by_name), and take
        part in provisioning authorities (their categories and exchange settings) and in
        importing them (statistics facts rebuilt from the imported transfers); tenants
        and analytics sit below and never import this app."""
        # Imported here: these modules load models, which the app registry has only now.
        from analytics.sources import register_fact_source
        from exchange.listings import tasks  # noqa: F401 (registers the tasks' names)
        from exchange.listings.fact_source import ListingsFactSource
        from exchange.listings.projections import rebuild_facts
        from exchange.listings.services import categories
        from tenants.offboarding.public_data import PublicData, declare_public_data
        from tenants.provisioning import on_provisioned

        register_fact_source(ListingsFactSource())
        # categories.seed_categories is looked up at each call (a test makes it fail).
        on_provisioned(self.label, lambda _authority: categories.seed_categories())
        declare_public_data(self.label, PublicData(rebuild=rebuild_facts))
