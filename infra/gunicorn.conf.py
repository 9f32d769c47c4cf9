"""gunicorn settings for every environment.

Sync workers: django-tenants keeps the current authority on the database
connection and switches its search_path per request, which is safe when one
request runs at a time on a connection. It is not safe under ASGI, where
requests interleave on one thread.
"""

import os

worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
# No gunicorn access log: its lines carry paths, and e-mailed links (verification,
# password reset) carry tokens in their paths. collectivrecup.middleware.RequestLogMiddleware
# logs one line per request with the route pattern instead.
accesslog = None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
