"""The IT register's pages under /it/ (namespace `itassets`)."""

from django.urls import path

from exchange.itassets import import_views, views

app_name = "itassets"

urlpatterns = [
    path("", views.asset_list, name="asset_list"),
    path("new/", views.asset_create, name="asset_create"),
    path("<int:pk>/", views.asset_detail, name="asset_detail"),
    path("<int:pk>/edit/", views.asset_edit, name="asset_edit"),
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/columns/", import_views.import_columns, name="import_columns"),
    path("export.csv", import_views.register_export, name="register_export"),
]
