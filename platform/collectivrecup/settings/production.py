"""Production: every secret and address comes from the environment, and is required."""

import os

from django.core.exceptions import ImproperlyConfigured

from collectivrecup.settings.base import *  # noqa: F403
from collectivrecup.settings.base import LOGGING, env_bool, env_list

DEBUG = False
SITE_SCHEME = os.environ.get("SITE_SCHEME", "https")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 50+ characters.")
# Previous keys, comma-separated, still accepted for signatures during a rotation.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL must be set in production.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Only docker-compose (plain http on localhost) turns these off.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)

# Logs: one JSON object per line on stdout, for the log service (LOG_FORMAT=plain to read
# them by eye). Celery's worker and beat use the same configuration (collectivrecup/celery.py).
# seed_demo's published accounts: only for docker-compose on localhost, never elsewhere.
DEMO_ALLOWED = env_bool("DEMO_ALLOWED", False)
if DEMO_ALLOWED and os.environ.get("BASE_DOMAIN", "localhost") != "localhost":
    raise ImproperlyConfigured("DEMO_ALLOWED is for a demo on localhost only.")

LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
if LOG_FORMAT not in LOGGING["formatters"]:
    raise ImproperlyConfigured(f"LOG_FORMAT must be one of {sorted(LOGGING['formatters'])}.")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT

# Never derived from SECRET_KEY here: without it (or shorter than 32 characters),
# administrators cannot save their own identity provider (accounts/sso/own.py says so).
OIDC_SECRETS_KEY = os.environ.get("OIDC_SECRETS_KEY", "")
if len(OIDC_SECRETS_KEY) < 32:
    OIDC_SECRETS_KEY = ""
