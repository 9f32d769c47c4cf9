from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "exchange.sharing"
    label = "sharing"
    verbose_name = _("Sharing between authorities")

    def ready(self) -> None:
        """Take part in recording transfers and in showing their receipts
        (exchange.listings.recipients), and tell the statistics facts which receipts
        were confirmed (exchange.listings.projections)."""
        # Imported here: models are not loaded when this module is (so for each import
        # below: "idem").
        from exchange.listings.projections import register_receipts
        from exchange.listings.recipients import (  # idem
            RecipientKind,
            register_directory,
            register_receipt_reader,
        )
        from exchange.sharing.receipt_selectors import confirmed_receivers  # idem
        from exchange.sharing.recipients import AuthorityDirectory, receipts_of_sent  # idem

        register_directory(RecipientKind.AUTHORITY, AuthorityDirectory())
        register_receipt_reader(RecipientKind.AUTHORITY, receipts_of_sent)
        register_receipts(confirmed_receivers)
