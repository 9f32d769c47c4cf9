"""The loans' pages under /loans/ (namespace `loans`)."""

from django.urls import path

from exchange.loans import views

app_name = "loans"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("items/new/", views.item_create, name="item_create"),
    path("items/<int:pk>/", views.item_detail, name="item_detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/book/", views.item_book, name="item_book"),
    path("items/<int:pk>/damage/", views.item_damage, name="item_damage"),
    path("items/<int:pk>/photos/<int:photo_pk>/<str:size>/", views.item_photo,
         name="item_photo"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking_detail"),
    path("bookings/<int:pk>/approve/", views.booking_approve, name="booking_approve"),
    path("bookings/<int:pk>/decline/", views.booking_decline, name="booking_decline"),
    path("bookings/<int:pk>/pickup/", views.booking_pickup, name="booking_pickup"),
    path("bookings/<int:pk>/return/", views.booking_return, name="booking_return"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<int:pk>/photos/<int:photo_pk>/<str:size>/", views.booking_photo,
         name="booking_photo"),
    path("shared/", views.shared_catalogue, name="shared_catalogue"),
    path("shared/<slug:authority_slug>/<int:pk>/", views.shared_item, name="shared_item"),
    path("services/<int:service_pk>/calendar/", views.service_calendar,
         name="service_calendar"),
    path("feed/<str:token>.ics", views.service_feed, name="service_feed"),
]
