"""Partner pages on the bare host (no account): accepting a grant from its e-mailed
link. Included by exchange/partners/api/urls.py, itself included by urls_public."""

from django.urls import path

from exchange.partners import acceptance_views

app_name = "partner_grants"

urlpatterns = [
    path("accept/<str:token>/", acceptance_views.grant_accept, name="accept"),
]
