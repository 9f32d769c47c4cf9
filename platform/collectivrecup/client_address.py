"""The client's address, as the trusted load balancer saw it.

Behind a load balancer the socket's address (REMOTE_ADDR) is the balancer's, the same
for every client. The balancer appends the address it received the request from to
`X-Forwarded-For`; with TRUSTED_PROXY_COUNT proxies in front of the app, the client is
the TRUSTED_PROXY_COUNT-th entry from the right. Entries further left were written by
the client itself and are ignored: a client cannot choose the address it is counted
under. With TRUSTED_PROXY_COUNT = 0 the header is ignored altogether.

django-axes (AXES_CLIENT_IP_CALLABLE) and DRF's throttles (NUM_PROXIES, same count)
read the address this way.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The address a login attempt or a throttled request is counted under."""
    socket_address = request.META.get("REMOTE_ADDR")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return socket_address
    forwarded = [entry.strip() for entry in
                 request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
    if not forwarded:
        return socket_address
    candidate = forwarded[-min(trusted, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # not written by our balancer: count it under the socket's address
        return socket_address
