"""Billing details on an authority's host (its administrators)."""

from django.urls import path

from tenants.billing import views

app_name = "billing"
urlpatterns = [
    path("", views.admin_billing, name="details"),
]
