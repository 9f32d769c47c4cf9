from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "exchange.sharing"
    label = "sharing"
    verbose_name = _("Sharing between authorities")

    def ready(self) -> None:
        """Take part in recording transfers and in showing their receipts
        (exchange.listings.recipients), tell the statistics facts which receipts were
        confirmed (exchange.listings.projections), and take part in offboarding
        authorities (tenants/offboarding/public_data.py)."""
        # Imported here: models are not loaded when this module is.
        from exchange.listings.projections import register_receipts
        from exchange.listings.recipients import (
            RecipientKind,
            register_directory,
            register_receipt_reader,
        )
        from exchange.sharing import offboarding
        from exchange.sharing.receipt_selectors import confirmed_receivers
        from exchange.sharing.recipients import AuthorityDirectory, receipts_of_sent
        from tenants.offboarding.public_data import PublicData, declare_public_data

        register_directory(RecipientKind.AUTHORITY, AuthorityDirectory())
        register_receipt_reader(RecipientKind.AUTHORITY, receipts_of_sent)
        register_receipts(confirmed_receivers)
        declare_public_data(self.label, PublicData(withdraw=offboarding.withdraw))
