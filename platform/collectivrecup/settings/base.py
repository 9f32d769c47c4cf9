"""Settings shared by every environment.

Everything that differs between machines comes from the environment (twelve-factor):
see README.md, "Configuration", for the list. Local defaults live in `local.py`,
production requirements in `production.py`.
"""

import os
from decimal import Decimal
from pathlib import Path

import dj_database_url
import dj_email_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG")

# Public site and operator console on BASE_DOMAIN; each authority on <slug>.BASE_DOMAIN.
BASE_DOMAIN = os.environ.get("BASE_DOMAIN", "localhost")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or [BASE_DOMAIN, f".{BASE_DOMAIN}"]
SITE_SCHEME = os.environ.get("SITE_SCHEME", "https")
# Port in links e-mailed by tasks, which have no request to read it from ("" = default).
PUBLIC_PORT = os.environ.get("PUBLIC_PORT", "")

# --- Tenancy (django-tenants) -------------------------------------------------
# `auth`, `contenttypes`, `sessions` and `accounts` sit in BOTH lists: every schema
# has its own users and sessions, so a session of one authority means nothing on
# another, and operators (public schema) cannot sign in to an authority.
COMMON_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "accounts",
    "axes",
    # The mail outbox (core/outbox.py), in every schema: mail is stored with the write.
    "core",
    # TOTP devices sit beside the users they belong to: operators' in the public schema
    # (tenants/two_factor.py), authority administrators' break-glass devices in their
    # authority's schema (accounts/two_factor.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
]
SHARED_APPS = [
    "django_tenants",
    "tenants",
    *COMMON_APPS,
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "collectivrecup",
    "analytics",
    "exchange.catalogue",
    "exchange.sharing",
    "exchange.partners",
    # Plans, Stripe customers and invoices (tenants/billing/).
    "tenants.billing",
]
TENANT_APPS = [
    *COMMON_APPS,
    "rest_framework.authtoken",
    "exchange.listings",
    "exchange.logistics",
    "exchange.loans",
    "exchange.itassets",
]
INSTALLED_APPS = list(dict.fromkeys(SHARED_APPS + TENANT_APPS))

TENANT_MODEL = "tenants.Authority"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
DEFAULT_NOT_FOUND_TENANT_VIEW = "tenants.views.unknown_authority"
TENANT_LIMIT_SET_CALLS = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    # Before the tenant lookup, so that every answer — the "unknown authority" page and
    # load-balancer probes included — gets the language, the security headers and a log line.
    "collectivrecup.middleware.HealthCheckMiddleware",
    "collectivrecup.middleware.RequestLogMiddleware",
    "collectivrecup.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Static files before the authority lookup: they are the same for every host and need
    # no database, so the 503 page keeps its stylesheet while PostgreSQL is down.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django_tenants.middleware.main.TenantMainMiddleware",
    "tenants.middleware.AuthorityStatusMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication (and the message store): signs out sessions left idle.
    "collectivrecup.middleware.IdleSessionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "collectivrecup.observability.SentryTenantMiddleware",
    # A control character in a page's query parameter: a 400 page (APIs: their own 400).
    "collectivrecup.middleware.QueryControlCharactersMiddleware",
    # Last, as django-axes asks, so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "collectivrecup.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "collectivrecup.urls_public"
WSGI_APPLICATION = "collectivrecup.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "platform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "collectivrecup.context_processors.platform",
                "accounts.context_processors.permissions",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# `make run` / `make test` start an embedded PostgreSQL and export DATABASE_URL
# (see collectivrecup/localdev.py); production sets it explicitly.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default="postgres://postgres@localhost:5432/collectivrecup",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3  # three days, also for e-mail verification

# Proxies in front of the app that append to X-Forwarded-For (1 behind the load
# balancer, 0 = none: the socket's address). Only the entry written by the outermost
# trusted proxy counts (collectivrecup/client_address.py). API_NUM_PROXIES: former name.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT")
                          or os.environ.get("API_NUM_PROXIES") or "0")

# django-axes: lock an (e-mail, client address) pair after repeated failures, per
# schema, on the web sign-in and the API token endpoint alike. Not the e-mail alone:
# anyone could then lock any account out; not the address alone: behind a balancer,
# or a town hall's NAT, one address is many people. docs/operations.md, "Security".
AXES_CLIENT_IP_CALLABLE = "collectivrecup.client_address.client_address"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Masked in the lines axes logs ("New login failure by {...}"): client addresses are
# personal data (axes masks them by default; this list replaces the default).
AXES_SENSITIVE_PARAMETERS = ["password", "username", "ip_address"]
AXES_VERBOSE = False

# Operators' TOTP codes (tenants/two_factor.py) and authority administrators'
# break-glass codes (accounts/two_factor.py, same limits) lock the account for a while
# after repeated wrong codes, instead of django-otp's growing per-attempt delays.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_TOTP_ISSUER = "Collectiv'Récup"
OPERATOR_OTP_FAILURE_LIMIT = 5
OPERATOR_OTP_LOCKOUT_SECONDS = 15 * 60
ADMIN_OTP_FAILURE_LIMIT = OPERATOR_OTP_FAILURE_LIMIT
ADMIN_OTP_LOCKOUT_SECONDS = OPERATOR_OTP_LOCKOUT_SECONDS
# An operator enrols a TOTP device only through a link e-mailed to them (create_operator,
# or another operator from the console); it works once, for this long.
OPERATOR_ENROL_LINK_MAX_AGE = int(os.environ.get("OPERATOR_ENROL_LINK_MAX_AGE",
                                                 str(24 * 3600)))

# Idle sessions end (collectivrecup.middleware.IdleSessionMiddleware): an agent's after
# two hours without a request, an operator's (bare host, console) after 15 minutes.
AGENT_SESSION_IDLE_SECONDS = int(os.environ.get("AGENT_SESSION_IDLE_SECONDS", str(2 * 3600)))
OPERATOR_SESSION_IDLE_SECONDS = int(os.environ.get("OPERATOR_SESSION_IDLE_SECONDS",
                                                   str(15 * 60)))
IDLE_STAMP_RESOLUTION_SECONDS = 60

# --- ProConnect (tenants/sso/, accounts/sso/) ---------------------------------------
# One OpenID Connect client for the whole platform, registered once by the operator
# with ProConnect (docs/operations.md). Off unless the three values are set. The
# callback lives on the bare host (/oidc/callback/); the agent's session is then handed
# to their authority's subdomain with a signed, single-use token valid SSO_HANDOFF_MAX_AGE
# seconds. No session cookie spans subdomains: SESSION_COOKIE_DOMAIN stays unset.
PROCONNECT_ISSUER = os.environ.get("PROCONNECT_ISSUER", "").strip().rstrip("/")
PROCONNECT_CLIENT_ID = os.environ.get("PROCONNECT_CLIENT_ID", "").strip()
PROCONNECT_CLIENT_SECRET = os.environ.get("PROCONNECT_CLIENT_SECRET", "").strip()
PROCONNECT_ENABLED = bool(PROCONNECT_ISSUER and PROCONNECT_CLIENT_ID and PROCONNECT_CLIENT_SECRET)
# Optional: an assurance level to ask for (e.g. "eidas1"); the ID token's acr must match.
PROCONNECT_ACR_VALUES = os.environ.get("PROCONNECT_ACR_VALUES", "").strip()
# How long the provider's discovery document and keys are kept (seconds).
PROCONNECT_METADATA_CACHE_SECONDS = 3600
SSO_HANDOFF_MAX_AGE = 60
# mozilla-django-oidc reads these; the provider's endpoints come from its discovery
# document (accounts/sso/oidc.py), not from settings.
OIDC_RP_CLIENT_ID = PROCONNECT_CLIENT_ID
OIDC_RP_CLIENT_SECRET = PROCONNECT_CLIENT_SECRET
OIDC_RP_SIGN_ALGO = os.environ.get("PROCONNECT_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get(
    "PROCONNECT_SCOPES", "openid given_name usual_name email uid siret organizational_unit")
OIDC_USE_NONCE = True
OIDC_USE_PKCE = env_bool("PROCONNECT_USE_PKCE", True)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
OIDC_TIMEOUT = 10
OIDC_VERIFY_KID = True
OIDC_ALLOW_UNSECURED_JWT = False
OIDC_CREATE_USER = False

# --- An authority's own OpenID Connect provider (accounts/sso/own.py) -----------------
# Configured by the authority's admin (Entra ID, Keycloak, LemonLDAP::NG). The client
# secret is stored encrypted (Fernet) with a key derived from OIDC_SECRETS_KEY; the
# production settings require it, local and test settings derive it from SECRET_KEY.
OIDC_SECRETS_KEY = os.environ.get("OIDC_SECRETS_KEY", "")
# The issuer URL is typed by an authority's admin: it and every endpoint its discovery
# names must be https on a public address (no private, loopback, link-local or reserved
# one: the server fetches them). Local and test settings allow loopback (http too), for
# the fake provider and a Keycloak in docker compose; production never does.
OIDC_ALLOW_LOOPBACK_ISSUERS = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Internationalisation ----------------------------------------------------------
# French first; English available through the language switcher.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

# --- Static and media files ------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "platform" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Media are always namespaced by schema: <MEDIA_ROOT>/<schema>/… or s3://bucket/<schema>/…
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"

AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME", "eu-west-3")
AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID") or None
AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY") or None
# Public address of the bucket when browsers cannot use the endpoint (e.g. minio:9000
# inside docker-compose, or a CDN in front of the bucket).
AWS_S3_CUSTOM_DOMAIN = os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None
AWS_S3_URL_PROTOCOL = os.environ.get("AWS_S3_URL_PROTOCOL", "https:")
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = True
AWS_S3_FILE_OVERWRITE = False

STORAGES = {
    "default": {
        "BACKEND": (
            "collectivrecup.storage.TenantS3Storage"
            if AWS_STORAGE_BUCKET_NAME
            else "collectivrecup.storage.TenantFileSystemStorage"
        ),
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Cache ----------------------------------------------------------------------
# Keys always carry the schema (django-tenants' make_key).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        }
    }

# --- E-mail -------------------------------------------------------------------
# EMAIL_URL (smtp://user:pass@host:587/?tls=True, console:, …) or, by default,
# one .eml file per message under var/mail/.
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Collectiv'Récup <ne-pas-repondre@collectivrecup.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FILE_PATH = VAR_DIR / "mail"
if os.environ.get("EMAIL_URL"):
    vars().update(dj_email_url.parse(os.environ["EMAIL_URL"]))
else:
    EMAIL_BACKEND = "core.mail.EmlFileBackend"
# Seconds a mail server may take to answer (EMAIL_URL's ?timeout= wins): one that stops
# answering must not hold a worker, and the message's claim (core.sending), for ever.
EMAIL_TIMEOUT = vars().get("EMAIL_TIMEOUT") or int(os.environ.get("EMAIL_TIMEOUT", "30"))

# --- Celery --------------------------------------------------------------------
# Redis when REDIS_URL is set; otherwise kombu's filesystem transport under var/,
# so that `make run` needs no broker server.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# A worker process killed mid-task (OOM, SIGKILL) puts its message back in the queue
# instead of acknowledging it: every task is idempotent (a row locked and its status
# checked before anything is sent), so running it again sends nothing twice.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat queues each job once, in the public schema; the job queues itself again in every
# authority serving data (exchange/listings/tasks.py). Reminders go out in the morning, Paris time.
CELERY_BEAT_SCHEDULE: dict = {
    "exchange-expire-listings": {
        "task": "exchange.expire_listings_everywhere",
        "schedule": crontab(minute=5),  # hourly
    },
    "exchange-expiry-reminders": {
        "task": "exchange.send_expiry_reminders_everywhere",
        "schedule": crontab(hour=8, minute=0),  # daily
    },
    "exchange-outcome-reminders": {
        "task": "exchange.send_outcome_reminders_everywhere",
        "schedule": crontab(hour=8, minute=30),  # daily
    },
    "exchange-resend-pending-contacts": {
        "task": "exchange.resend_pending_contacts_everywhere",
        # Every five minutes by default; `make faults` shortens it to see recovery.
        "schedule": float(os.environ.get("CONTACT_RESEND_SWEEP_SECONDS", "300")),
    },
    "loans-late-reminders": {
        "task": "loans.send_late_reminders_everywhere",
        "schedule": crontab(hour=8, minute=15),  # daily
    },
    "partners-offer-due-listings": {
        "task": "partners.offer_due_listings_everywhere",
        "schedule": crontab(hour=6, minute=0),  # daily
    },
    # The mail outbox (core/outbox.py): what is due again, in every schema.
    "core-sweep-outbox": {
        "task": "collectivrecup.sweep_outbox_everywhere",
        "schedule": float(os.environ.get("OUTBOX_SWEEP_SECONDS", "30")),
    },
    "partners-retry-webhooks": {
        "task": "partners.retry_webhooks",
        "schedule": 60.0,  # every minute
    },
    # Spare schemas (tenants/provisioning.py): each provisioning queues a refill after
    # commit; this sweep tops the pool up when a queued refill was lost.
    "tenants-refill-spare-schemas": {
        "task": "tenants.refill_spare_schemas",
        "schedule": 10 * 60.0,  # every ten minutes
    },
    "tenants-prune-sign-in-handoffs": {
        "task": "tenants.prune_sign_in_handoffs",
        "schedule": 5 * 60.0,  # every five minutes
    },
    "tenants-trial-reminders": {
        "task": "tenants.send_trial_reminders",
        "schedule": crontab(hour=9, minute=0),  # daily
    },
    # Six-monthly weight estimate: on 1 January and 1 July, for the semester just ended.
    "analytics-open-weight-campaigns": {
        "task": "analytics.open_weight_campaigns_everywhere",
        "schedule": crontab(hour=6, minute=0, day_of_month=1, month_of_year="1,7"),
    },
}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
# The sweep queues again a contact request unsent after this long (its first task lost
# with a broker or a worker, or the mail server refusing it).
CONTACT_RESEND_AFTER_SECONDS = int(os.environ.get("CONTACT_RESEND_AFTER_SECONDS", "120"))

# Provisioning (tenants/provisioning.py): how many ready, fully migrated spare schemas are
# kept for new authorities to take by renaming (0: none; every new schema is then built
# from the template schema's DDL, about 0.1 s more).
SPARE_SCHEMAS = int(os.environ.get("SPARE_SCHEMAS", "3"))

# --- REST API ---------------------------------------------------------------------
# The agents' API (exchange/listings/api/, analytics/api/, core/api/; docs/api.md). Tokens
# live in each authority's schema (rest_framework.authtoken is a tenant app): a token
# means nothing on another host.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the browsable API needs inline scripts, which the CSP forbids.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Agents' API errors as problem details (its views also name it; the partner API's
    # views name their own).
    "EXCEPTION_HANDLER": "core.api.errors.problem_exception_handler",
    # Decimals (€, kg) as JSON numbers, not strings.
    "COERCE_DECIMAL_TO_STRING": False,
    # Token requests per client address (ScopedRateThrottle on /api/v1/auth/token/);
    # django-axes also locks an (e-mail, address) pair after AXES_FAILURE_LIMIT failures.
    "DEFAULT_THROTTLE_RATES": {"auth_token": os.environ.get("API_TOKEN_RATE", "20/min"),
                               # Partner API: requests per key (exchange/partners/api/).
                               "partner_key": os.environ.get("PARTNER_API_RATE", "600/min")},
    # The same client address as django-axes' (collectivrecup/client_address.py).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Collectiv'Récup API",
    "DESCRIPTION": (
        "Listings, moderation and figures of one authority, on that authority's own "
        "host (`https://{slug}.{domain}/api/v1/`). Send `Authorization: Token …` with "
        "the token from `POST /api/v1/auth/token/`. Guide: docs/api.md in the repository."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files come from drf-spectacular-sidecar (static), not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ListingStatusEnum": "exchange.listings.models.ListingStatus",
        "ContactStatusEnum": "exchange.listings.models.ContactStatus",
    },
}

# --- Security headers (django-csp 4) ---------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *env_list("MEDIA_ORIGINS")],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
        # The installable app (issue 20): its service worker and manifest, same origin.
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Observability ------------------------------------------------------------------
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "local")
SENTRY_TRACES_SAMPLE_RATE = float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0.05"))
RELEASE = os.environ.get("RELEASE", "dev")

# /readyz waits this long for its checks (database, cache, broker, storage), which run
# at once; keep it under the load balancer's health-check timeout.
READINESS_CHECK_TIMEOUT = float(os.environ.get("READINESS_CHECK_TIMEOUT", "3"))

# Every record carries request_id and authority (collectivrecup/logging_config.py).
# LOG_FORMAT: "plain" (text, the default here) or "json" (one object per line, the
# default in production.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "collectivrecup.logging_config.RequestContextFilter"},
    },
    "formatters": {
        "plain": {
            "()": "collectivrecup.logging_config.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(authority)s] "
                      "%(message)s",
        },
        "json": {"()": "collectivrecup.logging_config.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                    "filters": ["request_context"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # One line per request from RequestLogMiddleware; django.request would repeat
        # 4xx lines with the full path.
        "django.request": {"level": "ERROR"},
        # django-axes logs usernames and addresses at INFO: keep personal data out.
        "axes": {"level": "WARNING"},
    },
}

# --- Billing -------------------------------------------------------------------
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# Yearly plans by population bracket (tenants/billing/plans.py), in euros excluding VAT.
# Each plan's Stripe price carries the lookup key collectivrecup_<code>_yearly.
BILLING_PLANS = [
    {"code": "xs", "label": _("Under 3,500 inhabitants"), "max_population": 3500,
     "yearly_eur": 490},
    {"code": "s", "label": _("3,500 to 20,000 inhabitants"), "max_population": 20000,
     "yearly_eur": 1490},
    {"code": "m", "label": _("20,000 to 100,000 inhabitants"), "max_population": 100000,
     "yearly_eur": 3900},
    {"code": "l", "label": _("Over 100,000 inhabitants"), "max_population": None,
     "yearly_eur": 7900},
]
CELERY_BEAT_SCHEDULE["billing-overdue-invoices"] = {
    "task": "billing.flag_overdue_invoices",
    "schedule": crontab(hour=7, minute=0),  # daily
}

# --- Sharing between authorities (issue 4) -----------------------------------------
# Free transfers of public property between public bodies (and to partners) are capped
# per unit by décret n° 2022-791 (300 € at the time of writing). Above the cap the
# poster is warned and a moderator confirms the transfer before it counts.
FREE_TRANSFER_CAP_PER_UNIT_EUR = Decimal(
    os.environ.get("FREE_TRANSFER_CAP_PER_UNIT_EUR", "300"))
# Plausibility bounds of a listing and of a transfer (issue 12): above them the input is
# refused with a clear error, unless a moderator confirms the unusual value.
LISTING_MAX_QUANTITY = int(os.environ.get("LISTING_MAX_QUANTITY", "10000"))
LISTING_MAX_UNIT_VALUE_EUR = Decimal(os.environ.get("LISTING_MAX_UNIT_VALUE_EUR", "100000"))
# A transfer to another authority counts in the receiver's figures once one of its
# moderators confirms receipt; a request left unanswered this many days expires.
TRANSFER_RECEIPT_EXPIRY_DAYS = int(os.environ.get("TRANSFER_RECEIPT_EXPIRY_DAYS", "30"))
CELERY_BEAT_SCHEDULE["sharing-expire-transfer-receipts"] = {
    "task": "sharing.expire_transfer_receipts",
    "schedule": crontab(hour=5, minute=30),  # daily
}
# Internal listings without taker become shared after ExchangeSettings.share_after_days.
CELERY_BEAT_SCHEDULE["exchange-share-waiting-listings"] = {
    "task": "exchange.share_waiting_listings_everywhere",
    "schedule": crontab(minute=20),  # hourly
}

# --- Posting from a phone (issue 20) ---------------------------------------------
# The posting form sends its photos ahead, one request each (exchange/listings/photos.py):
# a photo not attached to a listing within this many hours is deleted by a periodic job,
# and an agent may send this many photos per hour, attached or not.
PENDING_PHOTO_HOURS = int(os.environ.get("PENDING_PHOTO_HOURS", "24"))
PHOTO_UPLOADS_PER_HOUR = int(os.environ.get("PHOTO_UPLOADS_PER_HOUR", "60"))
CELERY_BEAT_SCHEDULE["exchange-delete-expired-pending-photos"] = {
    "task": "exchange.delete_expired_pending_photos_everywhere",
    "schedule": crontab(minute=40),  # hourly
}

# --- Demo -------------------------------------------------------------------------
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "collectivrecup")
# `seed_demo` creates accounts with a published password and TOTP secret: it refuses to
# run unless this is true (local.py turns it on; production only for docker-compose).
DEMO_ALLOWED = False

from collectivrecup.observability import init_sentry  # noqa: E402

init_sentry(SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=RELEASE,
            traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)

# accounts.User.email is unique case-insensitively (a UniqueConstraint on Lower(email)),
# which Django's check does not recognise.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
