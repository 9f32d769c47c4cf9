"""Routes of transports in the agents' API, under /api/v1/, in the `api` namespace
(composed in collectivrecup/urls_tenant.py before the listings' catch-all 404)."""

from django.urls import path

from exchange.logistics.api import views

urlpatterns = [
    path("transports/", views.TransportList.as_view(), name="transport-list"),
    path("transports/<int:id>/", views.TransportDetail.as_view(), name="transport-detail"),
]
