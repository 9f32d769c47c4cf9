from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views
from accounts.sso import own_views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("second-factor/", views.second_factor, name="second_factor"),
    path("signup/", views.signup, name="signup"),
    path("verify/<str:uidb64>/<str:token>/", views.verify_email, name="verify_email"),
    path("profile/", views.profile, name="profile"),
    path("password-reset/", auth_views.PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        email_template_name="accounts/email/password_reset_body.txt",
        subject_template_name="accounts/email/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_done"),
    ), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="accounts/password_reset_done.html",
    ), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password_reset_complete"),
    ), name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html",
    ), name="password_reset_complete"),
    path("admin/users/", views.member_list, name="member_list"),
    path("admin/users/<int:pk>/", views.member_edit, name="member_edit"),
    path("admin/journal/", views.access_journal, name="access_journal"),
    path("admin/services/", views.service_list, name="service_list"),
    path("admin/services/new/", views.service_edit, name="service_create"),
    path("admin/services/<int:pk>/", views.service_edit, name="service_edit"),
    path("admin/sites/", views.site_list, name="site_list"),
    path("admin/sites/new/", views.site_edit, name="site_create"),
    path("admin/sites/<int:pk>/", views.site_edit, name="site_edit"),
    path("admin/identity-provider/", own_views.settings_page, name="identity_provider"),
    path("admin/identity-provider/switch/", own_views.switch,
         name="identity_provider_switch"),
    path("oidc/authenticate/", own_views.authenticate, name="oidc_authenticate"),
    path("oidc/callback/", own_views.callback, name="oidc_callback"),
]
