"""URLs served on an authority's subdomain (<slug>.BASE_DOMAIN)."""

from django.urls import include, path

from collectivrecup import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("listings/partners/", include("exchange.partners.urls")),
    # Statistics pages (analytics/urls.py) share the /listings/ prefix with the exchange.
    path("listings/", include("analytics.urls")),
    path("listings/", include("exchange.listings.urls")),
    path("api/v1/", include("exchange.listings.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/export/", include("tenants.offboarding.urls")),
    path("admin/billing/", include("tenants.billing.urls")),
]
