"""URLs of the API, under /api/v1/ on an authority's host. The paths are a contract
relied on by outside checks (issue 3, item 8): keep them. collectivrecup/urls_tenant.py
composes these with the shared listings' routes (exchange/sharing/api/urls.py) in the
`api` namespace; the catch-all 404 at the end stays last.

The statistics endpoints are analytics' (analytics/api/); they are composed here, and the
summary gets its count of listings per status from here."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from analytics.api import views as stats_views
from core.api import errors
from exchange.listings import selectors
from exchange.listings.api import views

router = SimpleRouter()
router.register("listings", views.ListingViewSet, basename="listing")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("categories/", views.CategoryList.as_view(), name="category-list"),
    path("services/", views.ServiceList.as_view(), name="service-list"),
    path("sites/", views.SiteList.as_view(), name="site-list"),
    path("moderation/queue/", views.ModerationQueue.as_view(), name="moderation-queue"),
    path("stats/summary/", stats_views.StatsSummary.as_view(
        status_counts=selectors.status_counts), name="stats-summary"),
    path("stats/timeseries/", stats_views.StatsTimeseries.as_view(), name="stats-timeseries"),
    path("stats/export.csv", stats_views.StatsExport.as_view(), name="stats-export"),
    path("stats/agec-purchases/", stats_views.AgecPurchases.as_view(),
         name="stats-agec-purchases"),
    path("stats/it/", stats_views.ITFigures.as_view(), name="stats-it"),
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.SwaggerDocs.as_view(url_name="api:schema"), name="docs"),
    # Any other address under /api/v1/ (e.g. /listings/abc/): a problem, not an HTML page.
    re_path(r"^", errors.not_found),
]
