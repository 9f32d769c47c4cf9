from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "exchange.loans"
    label = "loans"
    verbose_name = _("Loans")

    def ready(self) -> None:
        """Register the Celery tasks' names and the loans' figures for the statistics
        page (analytics.sources.register_loan_figures); analytics sits below and never
        imports this app."""
        # Imported here: these modules load models, which the app registry has only now.
        from analytics.sources import register_loan_figures
        from exchange.loans import tasks  # noqa: F401 (registers the tasks' names)
        from exchange.loans.selectors import loan_figures

        register_loan_figures(loan_figures)
