"""The one serializer every view of the agents' API shares: its error answer."""

from __future__ import annotations

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """What every refusal answers (400, 401, 403, 404, 413, 415, 429, 500…): RFC 9457
    problem details, `application/problem+json` (core/api/errors.py)."""

    type = serializers.CharField(help_text="A URI naming the kind of problem.")
    title = serializers.CharField(help_text="The HTTP status, in words.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong and what to do.")
    code = serializers.CharField(help_text=(
        "Stable name of the refusal (`invalid`, `not_authenticated`, `forbidden`, "
        "`state`…), the end of `type`."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text=("Bad input only (`code` `invalid`): the messages of each field or "
                   "parameter."))
