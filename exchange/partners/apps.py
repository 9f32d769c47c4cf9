from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "exchange.partners"
    label = "partners"
    verbose_name = _("Partners and their API")

    def ready(self) -> None:
        """Take part in recording transfers (exchange.listings.recipients)."""
        from exchange.listings.recipients import RecipientKind, register_directory
        from exchange.partners.recipients import PartnerDirectory

        register_directory(RecipientKind.PARTNER, PartnerDirectory())
