"""The one error type exchange services raise; its message is shown to the user."""

from django.core.exceptions import ValidationError


class ExchangeError(ValidationError):
    """A rule of the exchange refused the action. `code` names the rule."""
