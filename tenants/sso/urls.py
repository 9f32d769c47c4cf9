"""ProConnect on an authority's subdomain."""

from django.urls import path

from accounts.sso.views import choose_service
from tenants.sso import views

app_name = "sso"

urlpatterns = [
    path("", views.start, name="start"),
    path("handoff/", views.handoff, name="handoff"),
    path("service/", choose_service, name="choose_service"),
]
