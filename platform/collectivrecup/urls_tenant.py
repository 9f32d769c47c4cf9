"""URLs served on an authority's subdomain (<slug>.BASE_DOMAIN)."""

from django.urls import include, path

from collectivrecup import views
from exchange.listings import urls as listing_urls
from exchange.listings.api import urls as listing_api_urls
from exchange.loans.api import urls as loan_api_urls
from exchange.logistics.api import urls as logistics_api_urls
from exchange.sharing import urls as sharing_urls
from exchange.sharing.api import urls as sharing_api_urls

# The exchange's pages under /listings/: the listings' and the sharing pages, one URL
# namespace `exchange` (names are the contract of views, templates, e-mails and tests).
exchange_patterns = ([*listing_urls.urlpatterns, *sharing_urls.urlpatterns], "exchange")
# The agents' API under /api/v1/, namespace `api`: the listings' routes end with the
# catch-all 404, so the shared listings', the loans' and the transports' routes come
# first.
api_patterns = ([*sharing_api_urls.urlpatterns, *loan_api_urls.urlpatterns,
                 *logistics_api_urls.urlpatterns,
                 *listing_api_urls.urlpatterns], "api")

urlpatterns = [
    path("", views.home, name="home"),
    # Installable on a phone's home screen (issue 20): at the root, so that the service
    # worker's scope is the whole host.
    path("manifest.webmanifest", views.web_manifest, name="web_manifest"),
    path("service-worker.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
    path("accounts/proconnect/", include("tenants.sso.urls")),
    path("accounts/", include("accounts.urls")),
    path("listings/partners/", include("exchange.partners.urls")),
    path("loans/", include("exchange.loans.urls")),
    # Statistics pages (analytics/urls.py, namespace `statistics`) share the /listings/
    # prefix with the exchange's pages.
    path("listings/", include("analytics.urls")),
    path("listings/", include(exchange_patterns)),
    path("logistics/", include("exchange.logistics.urls")),
    path("it/", include("exchange.itassets.urls")),
    path("api/v1/", include(api_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/export/", include("tenants.offboarding.urls")),
    path("admin/billing/", include("tenants.billing.urls")),
]

# A dependency down answers a clean 503 (page or problem+json), anything else the 500 page.
handler500 = "collectivrecup.errors.server_error"
