"""The IT register's pages under /it/ (namespace `itassets`)."""

from django.urls import path

from exchange.itassets import batch_views, import_views, views

app_name = "itassets"

urlpatterns = [
    path("", views.asset_list, name="asset_list"),
    path("new/", views.asset_create, name="asset_create"),
    path("mine/", views.my_assets, name="my_assets"),
    path("<int:pk>/", views.asset_detail, name="asset_detail"),
    path("<int:pk>/edit/", views.asset_edit, name="asset_edit"),
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/columns/", import_views.import_columns, name="import_columns"),
    path("export.csv", import_views.register_export, name="register_export"),
    # Retirement batches: erasure, reconditioning, exits (exchange.itassets.batch_views).
    path("batches/", batch_views.batch_list, name="batch_list"),
    path("batches/new/", batch_views.batch_create, name="batch_create"),
    path("batches/<int:pk>/", batch_views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/add/", batch_views.batch_add, name="batch_add"),
    path("batches/<int:pk>/certificate.pdf", batch_views.batch_certificate,
         name="batch_certificate"),
    path("batches/<int:pk>/documents/<str:reference>.pdf", batch_views.batch_document,
         name="batch_document"),
]
