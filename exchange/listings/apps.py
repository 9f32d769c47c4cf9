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
        """Take part in provisioning authorities (their categories and exchange
        settings) and in importing them (statistics facts rebuilt from the imported
        transfers); tenants sits below and never imports this app."""
        # Imported here: these modules load models, which the app registry has only now.
        from analytics.facts import rebuild_facts
        from exchange.listings import services
        from tenants.offboarding.public_data import PublicData, declare_public_data
        from tenants.provisioning import on_provisioned

        # services.seed_categories is looked up at each call (a test makes it fail).
        on_provisioned(self.label, lambda _authority: services.seed_categories())
        declare_public_data(self.label, PublicData(rebuild=rebuild_facts))
