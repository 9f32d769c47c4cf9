"""URLs served on the bare host (BASE_DOMAIN): landing page and operator console."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.forms import LoginForm
from tenants import views as tenant_views

operator_patterns = (
    [
        path("", tenant_views.console, name="console"),
        path("login/", auth_views.LoginView.as_view(
            form_class=LoginForm, template_name="tenants/operator_login.html",
            redirect_authenticated_user=True, next_page="operator:console",
        ), name="login"),
        path("logout/", auth_views.LogoutView.as_view(next_page="operator:login"),
             name="logout"),
    ],
    "operator",
)

urlpatterns = [
    path("", tenant_views.landing, name="landing"),
    path("operator/", include(operator_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
]
