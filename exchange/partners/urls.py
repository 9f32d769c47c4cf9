"""Partner pages on an authority's host (under /listings/partners/)."""

from django.urls import path

from exchange.partners import views

app_name = "partners"

urlpatterns = [
    path("", views.partners_admin, name="admin"),
    path("new/", views.partner_create, name="partner_create"),
    path("grants/", views.grant_create, name="grant_create"),
    path("grants/<int:pk>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("grants/<int:pk>/resend/", views.grant_resend, name="grant_resend"),
    path("grants/<int:pk>/agreement.pdf", views.grant_agreement, name="grant_agreement"),
    path("keys/", views.key_create, name="key_create"),
    path("keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
]
