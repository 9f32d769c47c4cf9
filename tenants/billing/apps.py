from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "tenants.billing"
    label = "billing"
    verbose_name = _("Billing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """An authority that becomes active gets its Stripe subscription (the lifecycle
        sits below billing and never imports it)."""
        # Imported here: these modules load models, which the app registry has only now.
        from tenants.billing.changes import schedule_subscription
        from tenants.lifecycle import on_activated

        on_activated(self.label, schedule_subscription)
