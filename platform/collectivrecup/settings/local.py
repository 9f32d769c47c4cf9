"""Local development: what `make run` uses. Safe defaults, nothing to configure."""

import os
import secrets

from collectivrecup.settings.base import *  # noqa: F403
from collectivrecup.settings.base import BASE_DOMAIN, SECRET_KEY, VAR_DIR, env_bool

DEBUG = env_bool("DEBUG", True)
SITE_SCHEME = "http"
# `make run` serves on PORT (8000): links in e-mails must carry it.
PUBLIC_PORT = os.environ.get("PUBLIC_PORT") or os.environ.get("PORT", "8000")
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", "127.0.0.1"]
# `make run` and the browser tests seed the demo accounts (seed_demo).
DEMO_ALLOWED = env_bool("DEMO_ALLOWED", True)


def _local_secret_key() -> str:
    """A random key kept under var/, so sessions survive a restart of `make run`."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = SECRET_KEY or _local_secret_key()

# Serve static files straight from the source folders: no collectstatic needed
# (WhiteNoise still wants STATIC_ROOT to exist).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# An authority's own OIDC provider: secrets key derived from SECRET_KEY, http issuers on
# loopback allowed (a local fake provider: `python -m tests.sso_provider`).
OIDC_SECRETS_KEY = os.environ.get("OIDC_SECRETS_KEY", "") or f"derived-from-secret-key:{SECRET_KEY}"
OIDC_ALLOW_LOOPBACK_ISSUERS = True
