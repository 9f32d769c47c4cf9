"""ProConnect on the bare host: the one redirect URI registered with ProConnect."""

from django.urls import path

from tenants.sso import views

app_name = "sso"

urlpatterns = [
    path("authenticate/", views.authenticate, name="authenticate"),
    path("callback/", views.callback, name="callback"),
    path("logged-out/", views.logged_out, name="logged_out"),
]
