"""URLs of the partner API, on the bare host under /api/v1/partner/. This module is
also the urlconf of its own OpenAPI schema (/api/v1/partner/schema/)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from exchange.partners.api import views

PARTNER_SCHEMA_SETTINGS = {
    "TITLE": "Collectiv'Récup partner API",
    "DESCRIPTION": (
        "What agents did not take, offered to partners (associations, ressourceries, "
        "schools, reporting tools) by the authorities that granted them access. On the "
        "bare host: `https://{domain}/api/v1/partner/`. Send `Authorization: Bearer "
        "<prefix>.<secret>` with a key an authority's administrator or an operator gave "
        "you. Errors are `application/problem+json`. Guide and sync loop: docs/api.md."
    ),
    "SCHEMA_PATH_PREFIX": r"/api/v1/partner",
}

partner_patterns = (
    [
        path("listings/", views.ListingFeed.as_view(), name="listings"),
        path("listings/<slug:authority_slug>/<int:listing_id>/requests/",
             views.ListingRequest.as_view(), name="listing-request"),
        path("listings/<slug:authority_slug>/<int:listing_id>/photos/<int:photo_id>/"
             "<str:size>/", views.ListingPhoto.as_view(), name="listing-photo"),
        path("stats/", views.Stats.as_view(), name="stats"),
        path("schema/", SpectacularAPIView.as_view(
            urlconf="exchange.partners.api.urls", custom_settings=PARTNER_SCHEMA_SETTINGS),
            name="schema"),
        re_path(r"^", views.not_found),
    ],
    "partner_api",
)

urlpatterns = [
    path("api/v1/partner/", include(partner_patterns)),
    # Not the API: the page where a partner accepts a grant (exchange/partners/public_urls).
    path("partners/", include("exchange.partners.public_urls")),
]
