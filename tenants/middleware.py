"""Stop requests to authorities that may not serve data."""

from django.template.response import TemplateResponse

from tenants.crossing import is_live
from tenants.models import AuthorityStatus


class AuthorityStatusMiddleware:
    """An authority that is not live (suspended, closed, data deleted: the one rule of
    tenants.crossing) answers every request with a notice, no data.

    Runs right after django-tenants' middleware, before sessions and views, so
    nothing of the authority's schema is read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is not None and not tenant.is_public and not is_live(tenant):
            gone = tenant.status == AuthorityStatus.CLOSED or tenant.data_deleted_at
            status = 410 if gone else 503
            response = TemplateResponse(
                request, "tenants/unavailable.html", {"unavailable": tenant}, status=status
            )
            return response.render()
        return self.get_response(request)
