from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "exchange.sharing"
    label = "sharing"
    verbose_name = _("Sharing between authorities")

    def ready(self) -> None:
        """Take part in recording transfers (exchange.listings.recipients)."""
        from exchange.listings.recipients import RecipientKind, register_directory
        from exchange.sharing.recipients import AuthorityDirectory

        register_directory(RecipientKind.AUTHORITY, AuthorityDirectory())
