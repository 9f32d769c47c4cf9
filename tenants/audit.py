"""The operator console's audit log: every operator action is one `OperatorAction` row."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import Authority, OperatorAction

CONSOLE_LOG_SIZE = 50


def record_action(actor, action: str, authority: Authority | None = None,
                  **details) -> OperatorAction:
    """Write one line of the audit log (public schema).

    `details` must hold no personal data: the only person named is the acting
    operator, whose e-mail is kept so that the line survives the account.
    """
    if actor is not None:
        details.setdefault("operator", actor.email)
    return OperatorAction.objects.create(actor=actor, action=action, authority=authority,
                                         details=details)


def recent_actions(limit: int = CONSOLE_LOG_SIZE) -> QuerySet[OperatorAction]:
    return OperatorAction.objects.select_related("actor", "authority")[:limit]


def actions_for(authority: Authority) -> QuerySet[OperatorAction]:
    return OperatorAction.objects.filter(authority=authority).select_related("actor")
