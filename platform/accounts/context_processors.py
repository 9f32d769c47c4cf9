"""Template context: the permission flags of the signed-in user."""

from django.utils.functional import SimpleLazyObject

from accounts.permissions import permission_flags


def permissions(request):
    """`can`: the user's role flags (`can.moderate`, `can.administer`…), computed once
    per page and only if a template reads them. Templates test these, never role names."""
    user = getattr(request, "user", None)
    return {"can": SimpleLazyObject(lambda: permission_flags(user))}
