from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "exchange.sharing"
    label = "sharing"
    verbose_name = _("Sharing between authorities")

    def ready(self) -> None:
        """Take part in recording transfers (exchange.listings.recipients) and in
        offboarding authorities (tenants/offboarding/public_data.py)."""
        # Imported here: these modules load models, which the app registry has only now.
        from exchange.listings.recipients import RecipientKind, register_directory
        from exchange.sharing import offboarding
        from exchange.sharing.recipients import AuthorityDirectory
        from tenants.offboarding.public_data import PublicData, declare_public_data

        register_directory(RecipientKind.AUTHORITY, AuthorityDirectory())
        declare_public_data(self.label, PublicData(withdraw=offboarding.withdraw))
