from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        """Take part in provisioning authorities (tenants sits below and never imports
        this app)."""
        # Imported here: these modules load models, which the app registry has only now.
        from analytics.services import ensure_stats_settings
        from tenants.provisioning import on_provisioned

        on_provisioned(self.label, ensure_stats_settings)  # settings pages never create it
