"""People and the organisation they belong to. These tables exist in every schema:
in an authority's schema they hold its agents, services and sites; in the public
schema they hold the platform's operators."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import cache as authority_cache

# The services and sites offered by the feed's filters (accounts.selectors.place_choices),
# cached per authority (core.cache). Services and sites are written by the
# administrators' forms, the demo, tests and the API's fixtures: invalidated in the
# models' save() and delete() so that none of these paths can forget it.
PLACES_CACHE = "places"


class InvalidatesPlaces:
    """Forget the cached place choices of the current authority on every write."""

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        authority_cache.invalidate(PLACES_CACHE, authority_cache.LISTING_CARDS)

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        authority_cache.invalidate(PLACES_CACHE, authority_cache.LISTING_CARDS)
        return result


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    MODERATOR = "moderator", _("Moderator")
    AUTHORITY_ADMIN = "authority_admin", _("Authority administrator")
    FINANCE = "finance", _("Finance")
    LOGISTICS = "logistics", _("Logistics")
    IT = "it", _("IT")
    OPERATOR = "operator", _("Platform operator")


AUTHORITY_ROLES = (Role.AGENT, Role.MODERATOR, Role.FINANCE, Role.LOGISTICS, Role.IT,
                   Role.AUTHORITY_ADMIN)


def default_roles() -> list[str]:
    return [Role.AGENT]


class Service(InvalidatesPlaces, models.Model):
    """A department of the authority, e.g. "Direction des écoles"."""

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), name="service_name_unique_ci",
                violation_error_message=_("A service with this name already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Site(InvalidatesPlaces, models.Model):
    """A building where items are stored and picked up."""

    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    postcode = models.CharField(_("postcode"), max_length=5)
    city = models.CharField(_("city"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), name="site_name_unique_ci",
                violation_error_message=_("A site with this name already exists."),
            ),
            models.CheckConstraint(condition=models.Q(postcode__regex=r"^\d{5}$"),
                                   name="site_postcode_5_digits",
                                   violation_error_message=_("A French postcode has 5 digits.")),
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """Someone who signs in with an e-mail address: an agent of the authority whose
    schema holds the row, or, in the public schema, a platform operator."""

    email = models.EmailField(_("e-mail address"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    service = models.ForeignKey(Service, verbose_name=_("service"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="members")
    roles = ArrayField(models.CharField(max_length=20, choices=Role.choices),
                       default=default_roles, verbose_name=_("roles"))
    is_active = models.BooleanField(_("active"), default=True)
    email_verified_at = models.DateTimeField(_("e-mail verified at"), null=True, blank=True)
    # Kept up to date from the identity provider's claims at each ProConnect sign-in.
    organizational_unit = models.CharField(_("unit"), max_length=300, blank=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="user_email_unique_ci",
                violation_error_message=_("An account already exists with this address."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def has_role(self, role: str) -> bool:
        """The raw fact, whatever the schema: decisions ask accounts.permissions."""
        return role in self.roles

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    def get_role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels[r]) for r in self.roles if r in labels]


class AccessChannel(models.TextChoices):
    """Through what an access change was made."""

    ADMIN_PAGE = "admin_page", _("Users and roles page")
    COMMAND_LINE = "command_line", _("Command line")
    ONBOARDING = "onboarding", _("Onboarding of the authority")
    SIGN_UP = "sign_up", _("Sign-up")
    PROCONNECT = "proconnect", _("First sign-in with ProConnect")
    OWN_PROVIDER = "own_oidc", _("Sign-in with the authority's identity provider")


class AccessChange(models.Model):
    """One change of a member's roles or access (activation), in the member's schema.

    Written by the service that makes the change (accounts.services), whoever calls it:
    the admin pages, a management command, the onboarding of the authority, sign-up.
    People are kept as text too, so a line survives the accounts it names; an actor
    who is no member of the authority (a platform operator, the command line) has no
    `actor` row here, only its label."""

    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("by"), max_length=300)
    member = models.ForeignKey(User, verbose_name=_("user"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="access_changes")
    member_label = models.CharField(_("user"), max_length=300)
    roles_before = ArrayField(models.CharField(max_length=20), default=list, blank=True,
                              verbose_name=_("roles before"))
    roles_after = ArrayField(models.CharField(max_length=20), default=list, blank=True,
                             verbose_name=_("roles after"))
    was_active = models.BooleanField(_("active before"), null=True, blank=True,
                                     help_text=_("Empty when the account was created."))
    is_active = models.BooleanField(_("active after"))
    via = models.CharField(_("through"), max_length=20, choices=AccessChannel.choices)

    class Meta:
        verbose_name = _("access change")
        verbose_name_plural = _("access changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.member_label}: {self.roles_before} → {self.roles_after}"

    @staticmethod
    def _labels(roles) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels.get(role, role)) for role in roles]

    @property
    def roles_before_labels(self) -> list[str]:
        return self._labels(self.roles_before)

    @property
    def roles_after_labels(self) -> list[str]:
        return self._labels(self.roles_after)

    @property
    def roles_changed(self) -> bool:
        return sorted(self.roles_before) != sorted(self.roles_after)

    @property
    def activity_changed(self) -> bool:
        return self.was_active is not None and self.was_active != self.is_active


class SignInOutcome(models.TextChoices):
    """How a single sign-on attempt ended (the reason of a refusal)."""

    SIGNED_IN = "signed_in", _("Signed in")
    ACCOUNT_CREATED = "account_created", _("Signed in, account created")
    PROVIDER_ERROR = "provider_error", _("Refused by the identity provider")
    BAD_STATE = "bad_state", _("Unknown or replayed sign-in attempt")
    INVALID_TOKEN = "invalid_token", _("Identity not verified (token refused)")
    NO_AUTHORITY = "no_authority", _("Organisation of no authority")
    HANDOFF_REFUSED = "handoff_refused", _("Expired, reused or forged hand-off")
    OUTSIDE_DOMAINS = "outside_domains", _("Address outside the authority's domains")
    INACTIVE = "inactive", _("Account deactivated")
    # Break-glass (accounts.two_factor): an administrator's password and TOTP code.
    TOTP_ENROLLED = "totp_enrolled", _("Authenticator app set up")
    TOTP_LOCKED = "totp_locked", _("Too many wrong codes: locked for a while")


# SignInRecord.method → what the journal shows.
SIGN_IN_METHODS = {
    "proconnect": _("ProConnect"),
    "own_oidc": _("The authority's identity provider"),
    "break_glass": _("Password and authenticator code (break-glass)"),
}


class SignInRecord(models.Model):
    """One single sign-on attempt, in the schema where it ended: an authority's (its
    admins read them) or the public one (attempts that reached no authority: no person
    is named there). `member_label` names the member only when the attempt reached an
    account of this authority."""

    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    method = models.CharField(_("method"), max_length=20, default="proconnect")
    outcome = models.CharField(_("outcome"), max_length=20, choices=SignInOutcome.choices)
    member = models.ForeignKey(User, verbose_name=_("user"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    member_label = models.CharField(_("user"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("single sign-on attempt")
        verbose_name_plural = _("single sign-on attempts")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.method}: {self.outcome}"

    @property
    def succeeded(self) -> bool:
        return self.outcome in (SignInOutcome.SIGNED_IN, SignInOutcome.ACCOUNT_CREATED,
                                SignInOutcome.TOTP_ENROLLED)

    @property
    def method_label(self) -> str:
        return str(SIGN_IN_METHODS.get(self.method, self.method))


class AuthorityOidcProvider(models.Model):
    """The authority's own OpenID Connect provider (Entra ID, Keycloak, LemonLDAP::NG),
    configured by its administrators: at most one row per schema. The client secret is
    stored encrypted (accounts.sso.own.encrypt_secret), never shown back."""

    name = models.CharField(_("provider name"), max_length=80)
    issuer = models.URLField(_("issuer URL"), max_length=500)
    client_id = models.CharField(_("client ID"), max_length=255)
    client_secret_encrypted = models.TextField(_("client secret (encrypted)"), blank=True)
    email_claim = models.CharField(_("e-mail claim"), max_length=100, default="email")
    moderator_claim = models.CharField(_("moderator claim"), max_length=100, blank=True)
    moderator_values = ArrayField(models.CharField(max_length=200), default=list, blank=True,
                                  verbose_name=_("moderator values"))
    # Cached at the last successful discovery check (endpoints of the provider).
    discovery = models.JSONField(_("discovery document"), default=dict, blank=True)
    tested_at = models.DateTimeField(_("tested at"), null=True, blank=True)
    is_enabled = models.BooleanField(_("enabled"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    singleton = models.BooleanField(default=True, editable=False)

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        constraints = [
            models.UniqueConstraint(fields=["singleton"], name="one_oidc_provider_per_schema"),
            models.CheckConstraint(condition=models.Q(is_enabled=False)
                                   | models.Q(tested_at__isnull=False),
                                   name="oidc_provider_enabled_only_once_tested"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_secret(self) -> bool:
        return bool(self.client_secret_encrypted)


class OidcProviderChange(models.Model):
    """One change of the authority's identity provider settings: who, when, which
    fields (old and new values; the secret only as "replaced")."""

    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("by"), max_length=300)
    action = models.CharField(_("action"), max_length=20)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("identity provider change")
        verbose_name_plural = _("identity provider changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.actor_label}: {self.action}"
