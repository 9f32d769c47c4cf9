from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "exchange.logistics"
    label = "logistics"
    verbose_name = _("Logistics")

    def ready(self) -> None:
        """Offer « Demander un transport » on a taken listing's page to its poster and
        its taker (exchange.listings.actions): listings sits below and never imports
        this app."""
        # Imported here: these modules load models, which the app registry has only now.
        from exchange.listings.actions import register_listing_action
        from exchange.logistics.links import transport_link

        register_listing_action(transport_link)
