from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ITAssetsConfig(AppConfig):
    name = "exchange.itassets"
    label = "itassets"
    verbose_name = _("IT register")

    def ready(self) -> None:
        """Register the register's yearly figures for the statistics (the report, the
        « Loi AGEC » page, the API: analytics.sources.register_it_figures); analytics
        sits below and never imports this app."""
        # Imported here: these modules load models, which the app registry has only now.
        from analytics.sources import register_it_figures
        from exchange.itassets.figures import register_counts

        register_it_figures(register_counts)
