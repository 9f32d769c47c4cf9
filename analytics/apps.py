from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        """Take part in provisioning and offboarding authorities (tenants sits below and
        never imports this app)."""
        # Imported here: these modules load models, which the app registry has only now.
        from analytics import offboarding
        from analytics.services import ensure_stats_settings
        from tenants.offboarding.public_data import PublicData, declare_public_data
        from tenants.provisioning import on_provisioned

        on_provisioned(self.label, ensure_stats_settings)  # settings pages never create it
        declare_public_data(self.label, PublicData(withdraw=offboarding.withdraw,
                                                   restore=offboarding.restore))
