from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "exchange.catalogue"
    label = "catalogue"
    verbose_name = _("Catalogue across authorities")

    def ready(self) -> None:
        """Take part in offboarding authorities (tenants/offboarding/public_data.py)."""
        # Imported here: these modules load models, which the app registry has only now.
        from exchange.catalogue import offboarding
        from tenants.offboarding.public_data import PublicData, declare_public_data

        declare_public_data(self.label, PublicData(withdraw=offboarding.withdraw))
