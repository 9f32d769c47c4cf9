"""Forms of the accounts pages. They validate input; services do the writing."""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import AUTHORITY_ROLES, AuthorityOidcProvider, Role, Service, Site, User
from accounts.permissions import may_get_api_token_with_password, may_sign_in_with_password


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Incorrect e-mail address or password."),
        "unverified": _("Please confirm your e-mail address first: follow the link we sent "
                        "you."),
        "sso_only": _("Your authority's agents sign in with ProConnect: use the "
                      "“Sign in with ProConnect” button."),
        "sso_only_own": _("Your authority's agents sign in with %(name)s: use the "
                          "“Sign in with %(name)s” button."),
        "sso_only_api": _("Your authority signs in through its identity provider: API "
                          "tokens are not given for a password here."),
    }

    def _sso_only_error(self) -> forms.ValidationError:
        """ProConnect's button when it is on, else the authority's own provider's."""
        provider = AuthorityOidcProvider.objects.filter(is_enabled=True).first()
        if settings.PROCONNECT_ENABLED or provider is None:
            return forms.ValidationError(self.error_messages["sso_only"], code="sso_only")
        return forms.ValidationError(self.error_messages["sso_only_own"], code="sso_only",
                                     params={"name": provider.name})

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not may_sign_in_with_password(user, getattr(self.request, "tenant", None)):
            raise self._sso_only_error()
        if not user.is_email_verified:
            raise forms.ValidationError(self.error_messages["unverified"], code="unverified")


class ApiCredentialsForm(LoginForm):
    """The API token's sign-in: the web page's rules, and no token for a password at
    all where passwords are closed to agents (administrators included: the API has no
    second factor)."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not may_get_api_token_with_password(user, getattr(self.request, "tenant", None)):
            raise forms.ValidationError(self.error_messages["sso_only_api"],
                                        code="sso_only")


class SecondFactorForm(forms.Form):
    """The break-glass code of an administrator (accounts.two_factor)."""

    code = forms.CharField(
        label=_("Six-digit code"), max_length=8, min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
        help_text=_("The code shown by your authenticator app."),
    )


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Professional e-mail address"),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none(),
                                     empty_label=_("Choose your service"))
    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Confirm password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(is_active=True)

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            candidate = User(email=data.get("email", ""), first_name=data.get("first_name", ""),
                             last_name=data.get("last_name", ""))
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class MemberForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), widget=forms.CheckboxSelectMultiple,
        choices=[(r.value, r.label) for r in AUTHORITY_ROLES],
    )
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.all(),
                                     required=False)
    is_active = forms.BooleanField(label=_("Account active"), required=False)


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ["name", "is_active"]


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "address", "postcode", "city", "is_active"]

    def clean_postcode(self):
        value = self.cleaned_data["postcode"].strip()
        if not (len(value) == 5 and value.isdigit()):
            raise forms.ValidationError(_("A French postcode has 5 digits."))
        return value


__all__ = ["ApiCredentialsForm", "LoginForm", "SecondFactorForm",
           "MemberForm", "Role", "ServiceForm", "SignupForm", "SiteForm"]
