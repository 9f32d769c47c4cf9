"""gunicorn settings for every environment.

Sync workers only: django-tenants sets the PostgreSQL search_path on the
connection of the thread serving the request; ASGI or threaded workers would mix
authorities on one connection.
"""

import os

worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
# No client address and no query string in access logs: both can be personal data
# (addresses; tokens in reset links).
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms host=%({host}i)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
