"""URLs served on the bare host (BASE_DOMAIN): landing page and operator console."""

from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from django.views.generic import TemplateView

from accounts.forms import LoginForm
from analytics.views import impact as analytics_views
from exchange.loans.api import partner_urls as loan_partner_urls
from exchange.partners import console as partner_console
from tenants import console as operator_console
from tenants import views as tenant_views
from tenants.billing import views as billing_views
from tenants.offboarding import views as offboarding_views

operator_patterns = (
    [
        path("", operator_console.console, name="console"),
        path("verify/", tenant_views.verify, name="verify"),
        path("impact/", analytics_views.operator_impact, name="impact"),
        path("two-factor/", tenant_views.enrol, name="enrol"),
        path("two-factor/link/<str:token>/", tenant_views.enrol_link, name="enrol_link"),
        path("operators/<int:pk>/two-factor-link/", operator_console.send_enrol_link,
             name="send_enrol_link"),
        path("authorities/new/", operator_console.authority_create, name="authority_create"),
        path("authorities/<slug:slug>/", operator_console.authority_detail,
             name="authority_detail"),
        path("authorities/<slug:slug>/sign-in/", operator_console.authority_sign_in,
             name="authority_sign_in"),
        path("authorities/<slug:slug>/exports/", offboarding_views.operator_export_request,
             name="export_request"),
        path("authorities/<slug:slug>/exports/<int:pk>/",
             offboarding_views.operator_export_row, name="export_row"),
        path("authorities/<slug:slug>/exports/<int:pk>/download/",
             offboarding_views.operator_export_download, name="export_download"),
        path("authorities/<slug:slug>/delete-data/", offboarding_views.operator_delete_data,
             name="delete_data"),
        path("authorities/<slug:slug>/billing/", billing_views.operator_billing,
             name="billing"),
        # Partners of the partner API (exchange/partners/console.py).
        path("partners/", partner_console.partners_console, name="partners"),
        path("partners/new/", partner_console.partner_create, name="partner_create"),
        path("partners/keys/", partner_console.key_create, name="partner_key_create"),
        path("partners/keys/<int:pk>/revoke/", partner_console.key_revoke,
             name="partner_key_revoke"),
        path("partners/webhooks/", partner_console.webhook_create,
             name="partner_webhook_create"),
        path("login/", auth_views.LoginView.as_view(
            form_class=LoginForm, template_name="tenants/operator_login.html",
            redirect_authenticated_user=True, next_page="operator:console",
        ), name="login"),
        path("logout/", auth_views.LogoutView.as_view(next_page="operator:login"),
             name="logout"),
        # The link `manage.py create_operator` prints: an operator chooses a password.
        path("password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
            template_name="tenants/operator_password_set.html",
            success_url=reverse_lazy("operator:password_reset_complete"),
        ), name="password_reset_confirm"),
        # Not PasswordResetCompleteView: it resolves LOGIN_URL, an authority's page.
        path("password-reset/done/", TemplateView.as_view(
            template_name="tenants/operator_password_set_done.html",
        ), name="password_reset_complete"),
    ],
    "operator",
)

urlpatterns = [
    path("", tenant_views.landing, name="landing"),
    path("operator/", include(operator_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("impact/", analytics_views.public_impact, name="public_impact"),
    # ProConnect's redirect URI (tenants/sso/): registered once, on the bare host.
    path("oidc/", include("tenants.sso.public_urls")),
    path("billing/stripe/webhook/", billing_views.stripe_webhook, name="stripe_webhook"),
    # Loans in the partner API (exchange/loans/api/partner.py), before its catch-all.
    path("", include((loan_partner_urls.urlpatterns, "partner_loans"))),
    # Partner API (exchange/partners/api/), bare host only.
    path("", include("exchange.partners.api.urls")),
]

# A dependency down answers a clean 503 (page or problem+json), anything else the 500 page.
handler500 = "collectivrecup.errors.server_error"
