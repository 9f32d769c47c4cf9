"""The base of every view of the agents' API, whichever app serves it."""

from __future__ import annotations

from core.api.errors import problem_exception_handler, refuse_bad_input
from core.api.schema import AgentsAutoSchema


class AgentsAPIMixin:
    """What every view of the agents' API shares: errors as problem details, a schema
    that lists them, and no control character nor empty parameter coming in (400)."""

    schema = AgentsAutoSchema()

    def get_exception_handler(self):
        return problem_exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        refuse_bad_input(request)
