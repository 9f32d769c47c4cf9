"""Export pages on an authority's host (its administrators)."""

from django.urls import path

from tenants.offboarding import views

app_name = "offboarding"
urlpatterns = [
    path("", views.admin_exports, name="exports"),
    path("new/", views.admin_export_request, name="export_request"),
    path("<int:pk>/", views.admin_export_row, name="export_row"),
    path("<int:pk>/download/", views.admin_export_download, name="export_download"),
]
