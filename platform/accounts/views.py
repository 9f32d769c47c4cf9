"""Accounts pages of an authority: sign-in, sign-up, e-mail verification, and the
authority admin's pages for users, services and sites."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from accounts import selectors, services, two_factor
from accounts.forms import (
    LoginForm,
    MemberForm,
    SecondFactorForm,
    ServiceForm,
    SignupForm,
    SiteForm,
)
from accounts.models import Service, Site, User
from accounts.permissions import (
    authority_admin_required,
    needs_second_factor,
    password_accounts_closed,
)
from accounts.sso import oidc, own
from accounts.tokens import email_verification_token
from core.links import absolute_url

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if needs_second_factor(user, getattr(self.request, "tenant", None)):
            # Break-glass: not signed in yet, the code comes first (accounts.two_factor).
            two_factor.start(self.request, user, self.get_success_url())
            return redirect("accounts:second_factor")
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        # The ProConnect button only when the operator configured it (tenants/sso/).
        return super().get_context_data(
            **kwargs, proconnect_enabled=settings.PROCONNECT_ENABLED,
            passwords_closed=password_accounts_closed(getattr(self.request, "tenant", None)),
            # The authority's own provider's button, when switched on (accounts.sso.own).
            own_provider=own.enabled())


class LogoutView(auth_views.LogoutView):
    """Signing out also ends the provider's session when the agent signed in with one:
    ProConnect, or the authority's own provider when it advertises an end-session
    endpoint."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get(oidc.ID_TOKEN_SESSION_KEY, "")
        own_id_token = request.session.get(own.ID_TOKEN_SESSION_KEY, "")
        response = super().post(request, *args, **kwargs)
        end_session = oidc.end_session_url(
            id_token=id_token, state=oidc.logout_state(request.tenant.slug),
            post_logout_redirect_uri=absolute_url(reverse(
                "sso:logged_out", urlconf=settings.PUBLIC_SCHEMA_URLCONF)))
        provider_name = ""
        if not end_session and own_id_token:
            provider = own.enabled()
            end_session = own.end_session_url(
                provider, id_token=own_id_token,
                post_logout_redirect_uri=request.build_absolute_uri(
                    reverse(own.POST_LOGOUT_URL_NAME)))
            provider_name = provider.name if provider else ""
        if not end_session:
            return response
        # A page that moves on by itself, not a redirect: the content security policy's
        # form-action ('self') would stop this form's redirects at the provider's host.
        return render(request, "accounts/sso/logging_out.html",
                      {"end_session": end_session, "provider_name": provider_name})


@require_http_methods(["GET", "POST"])
def second_factor(request):
    """Break-glass, second step: the administrator who just gave their password gives a
    code of their authenticator app — and sets the app up first when they have none."""
    found = two_factor.pending(request)
    if found is None:
        two_factor.end(request)
        messages.info(request, _("Sign in with your password first."))
        return redirect("accounts:login")
    user, state = found
    device = two_factor.confirmed_device(user)
    enrolling = device is None
    if enrolling:
        device = two_factor.enrolment_device(request, user, state)
    form = SecondFactorForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if two_factor.is_locked(user):
            form.add_error(None, _("Too many wrong codes. Try again in 15 minutes."))
            status = 429
        elif form.is_valid() and two_factor.check_code(user, device,
                                                        form.cleaned_data["code"]):
            two_factor.end(request)
            login(request, user, backend=PASSWORD_BACKEND)
            otp_login(request, device)
            return redirect(state.get("next") or "home")
        elif two_factor.is_locked(user):
            form.add_error(None, _("Too many wrong codes. Try again in 15 minutes."))
            status = 429
        else:
            form.add_error("code", _("This code is not valid. Check your device's clock "
                                     "and try the current code."))
            status = 400
    context = {"form": form, "enrolling": enrolling}
    if enrolling:
        context |= {"secret": two_factor.secret_of(device), "otpauth_uri": device.config_url}
    return render(request, "accounts/second_factor.html", context, status=status)


@require_http_methods(["GET", "POST"])
def signup(request):
    if password_accounts_closed(request.tenant):
        # "SSO only": the first sign-in with the provider creates the account.
        if settings.PROCONNECT_ENABLED:
            messages.info(request, _("Your authority's agents sign in with ProConnect: "
                                     "your account is created at your first sign-in."))
        else:  # "SSO only" with the authority's own provider on
            messages.info(request, _("Your authority's agents sign in with its identity "
                                     "provider: your account is created at your first "
                                     "sign-in."))
        return redirect("accounts:login")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.register_agent(
                authority=request.tenant, email=data["email"], first_name=data["first_name"],
                last_name=data["last_name"], service=data["service"],
                password=data["password1"], host=request.get_host(),
            )
        except services.SignupError as error:
            form.add_error("email", error)
        else:
            return render(request, "accounts/signup_done.html", {"email": data["email"]})
    return render(request, "accounts/signup.html", {"form": form})


def verify_email(request, uidb64: str, token: str):
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        user = None
    if user is None or not email_verification_token.check_token(user, token):
        return render(request, "accounts/verify_failed.html", status=400)
    services.verify_email(user)
    messages.success(request, _("Your address is confirmed. You can now sign in."))
    return redirect("accounts:login")


@login_required
def profile(request):
    return render(request, "accounts/profile.html")


# --- Authority administration ------------------------------------------------------

@authority_admin_required
def member_list(request):
    members = User.objects.select_related("service").order_by("last_name", "first_name")
    return render(request, "accounts/admin/member_list.html", {"members": members})


@authority_admin_required
@require_http_methods(["GET", "POST"])
def member_edit(request, pk: int):
    member = get_object_or_404(User, pk=pk)
    initial = {"roles": member.roles, "service": member.service, "is_active": member.is_active}
    form = MemberForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_member(
                actor=request.user, member=member, roles=form.cleaned_data["roles"],
                service=form.cleaned_data["service"], is_active=form.cleaned_data["is_active"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s was updated.") % {"name": member})
            return redirect("accounts:member_list")
    return render(request, "accounts/admin/member_edit.html", {"form": form, "member": member})


@authority_admin_required
def access_journal(request):
    """Who changed whose roles or access, when, from what to what (latest first)."""
    page = Paginator(selectors.access_journal(), selectors.JOURNAL_PAGE_SIZE).get_page(
        request.GET.get("page"))
    sign_ins = selectors.single_sign_ons()[:selectors.JOURNAL_PAGE_SIZE]
    return render(request, "accounts/admin/journal.html", {"page": page, "sign_ins": sign_ins})


def _crud_list(request, model, template):
    return render(request, template, {"objects": model.objects.all()})


def _crud_edit(request, form_class, pk, list_url, model, new_title):
    instance = get_object_or_404(model, pk=pk) if pk else None
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("“%(name)s” was saved.") % {"name": saved})
        return redirect(list_url)
    return render(request, "accounts/admin/object_edit.html",
                  {"form": form, "object": instance, "list_url": list_url,
                   "title": str(instance) if instance else new_title})


@authority_admin_required
def service_list(request):
    return _crud_list(request, Service, "accounts/admin/service_list.html")


@authority_admin_required
@require_http_methods(["GET", "POST"])
def service_edit(request, pk: int | None = None):
    return _crud_edit(request, ServiceForm, pk, "accounts:service_list", Service,
                      _("New service"))


@authority_admin_required
def site_list(request):
    return _crud_list(request, Site, "accounts/admin/site_list.html")


@authority_admin_required
@require_http_methods(["GET", "POST"])
def site_edit(request, pk: int | None = None):
    return _crud_edit(request, SiteForm, pk, "accounts:site_list", Site, _("New site"))
