"""Test settings: fast hashing, in-memory mail and cache, tasks run in-process."""

import os

from collectivrecup.settings.local import *  # noqa: F403
from collectivrecup.settings.local import DATABASES

# Parallel runs on one server (several developers' helpers) need distinct test databases.
DATABASES["default"]["TEST"] = {
    "NAME": f"test_collectivrecup{os.environ.get('TEST_DB_SUFFIX', '')}"}

DEBUG = False
SECRET_KEY = "test-only-not-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}
CELERY_TASK_ALWAYS_EAGER = True
PUBLIC_PORT = ""
CELERY_TASK_EAGER_PROPAGATES = True
WHITENOISE_AUTOREFRESH = True

# An authority's own OIDC provider: key derived from SECRET_KEY, the loopback fake allowed.
OIDC_SECRETS_KEY = f"derived-from-secret-key:{SECRET_KEY}"
OIDC_ALLOW_LOOPBACK_ISSUERS = True
