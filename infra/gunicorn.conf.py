"""gunicorn settings for every environment.

Sync workers: django-tenants keeps the current authority on the database
connection and switches its search_path per request, which is safe when one
request runs at a time on a connection. It is not safe under ASGI, where
requests interleave on one thread.
"""

import os


def _cpus() -> int:
    """The CPUs this process may run on (a container's CPU set), not the host's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no sched_getaffinity outside Linux
        return os.cpu_count() or 1


# Sizing (docs/operations.md, "Load test", "Sizing"): a sync worker waits for PostgreSQL
# while it runs a query, so 2 workers per CPU keep the CPUs busy; measured by
# `make loadtest`. WEB_CONCURRENCY, when set, wins (the cloud tasks set it).
WORKERS_PER_CPU = 2
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY") or WORKERS_PER_CPU * _cpus())
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
# No gunicorn access log: its lines carry paths, and e-mailed links (verification,
# password reset) carry tokens in their paths. collectivrecup.middleware.RequestLogMiddleware
# logs one line per request with the route pattern instead.
accesslog = None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
