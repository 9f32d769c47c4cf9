"""Routes of the shared listings in the agents' API, under /api/v1/. No namespace of
their own: collectivrecup/urls_tenant.py composes them with the listings' API
(exchange/listings/api/urls.py) in the `api` namespace, before its catch-all 404. The
paths are a contract relied on by outside checks: keep them."""

from django.urls import path

from exchange.sharing.api import views

urlpatterns = [
    path("shared-listings/", views.SharedListingList.as_view(), name="shared-listing-list"),
    path("shared-listings/<slug:authority_slug>/<int:id>/contact/",
         views.SharedListingContact.as_view(), name="shared-listing-contact"),
    path("shared-listings/<slug:authority_slug>/<int:id>/photos/<int:photo_id>/"
         "<str:size>/", views.SharedListingPhoto.as_view(), name="shared-listing-photo"),
]
