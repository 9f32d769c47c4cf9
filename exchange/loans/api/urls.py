"""Routes of the loans in the agents' API, under /api/v1/ (composed by
collectivrecup/urls_tenant.py in the `api` namespace, before the catch-all 404)."""

from django.urls import path

from exchange.loans.api import views

urlpatterns = [
    path("loans/items/", views.LendableItemList.as_view(), name="loan-item-list"),
    path("loans/items/<int:pk>/bookings/", views.BookingRequest.as_view(),
         name="loan-booking-request"),
    path("loans/bookings/", views.MyBookingList.as_view(), name="loan-booking-list"),
]
