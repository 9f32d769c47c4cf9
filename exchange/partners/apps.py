from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "exchange.partners"
    label = "partners"
    verbose_name = _("Partners and their API")

    def ready(self) -> None:
        """Take part in recording transfers (exchange.listings.recipients), hear when a
        listing enters or leaves the partners' offer (exchange.catalogue.services), and
        register the Celery tasks that services and webhooks queue by name (queueing.py)."""
        # Here, not at the top: these modules use models, which need the app registry
        # (so for each import below: "idem").
        from exchange.catalogue.services import watch_offers
        from exchange.listings.recipients import RecipientKind, register_directory  # idem
        from exchange.partners import tasks  # noqa: F401 (registers the tasks' names)
        from exchange.partners.recipients import PartnerDirectory  # idem
        from exchange.partners.webhooks import offer_changed  # idem

        register_directory(RecipientKind.PARTNER, PartnerDirectory())
        watch_offers(offer_changed)
