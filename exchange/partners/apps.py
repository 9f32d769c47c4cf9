from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "exchange.partners"
    label = "partners"
    verbose_name = _("Partners and their API")

    def ready(self) -> None:
        """Take part in recording transfers (exchange.listings.recipients) and in
        offboarding authorities (tenants/offboarding/public_data.py)."""
        # Imported here: these modules load models, which the app registry has only now.
        from exchange.listings.recipients import RecipientKind, register_directory
        from exchange.partners import offboarding
        from exchange.partners.recipients import PartnerDirectory
        from tenants.offboarding.public_data import PublicData, declare_public_data

        register_directory(RecipientKind.PARTNER, PartnerDirectory())
        declare_public_data(self.label, PublicData(withdraw=offboarding.withdraw))
