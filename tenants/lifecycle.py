"""An authority's life: trial → active → suspended → closed, and back.

Every change goes through `change_status`: it checks the transition, writes the
audit log and e-mails the authority's administrators once the transaction commits.
Suspended and closed authorities show a notice and no data (tenants/middleware.py).

What other parts of the platform do when an authority becomes active (billing: its
Stripe customer and subscription) they register from their AppConfig.ready()
(`on_activated`), so that this module never imports them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.selectors import addresses_of_role
from core.mail import mail_each_after_commit
from tenants.audit import record_action
from tenants.crossing import PlatformWork, in_authority
from tenants.models import Authority, AuthorityStatus, OperatorAction

log = logging.getLogger(__name__)

S = AuthorityStatus
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.TRIAL: {S.ACTIVE, S.SUSPENDED, S.CLOSED},
    S.ACTIVE: {S.SUSPENDED, S.CLOSED},
    S.SUSPENDED: {S.ACTIVE, S.CLOSED},
    S.CLOSED: {S.ACTIVE},
}
# Days before the end of a trial when its administrators are reminded, largest first.
TRIAL_REMINDER_DAYS = (7, 1)


class LifecycleError(ValidationError):
    """A status change that is not allowed; the message is meant for the operator."""


_ON_ACTIVATED: dict[str, Callable[[Authority], object]] = {}


def on_activated(label: str, callback: Callable[[Authority], object]) -> None:
    """Have `callback(authority)` run whenever an authority becomes active, inside
    `change_status`'s transaction (after-commit work is queued from there). Called once
    per app (`label`), from its AppConfig.ready(); calling again replaces it."""
    _ON_ACTIVATED[label] = callback


def allowed_statuses(authority: Authority) -> list[str]:
    """The statuses `authority` may move to, in the order of AuthorityStatus."""
    if authority.is_public:
        return []
    allowed = ALLOWED_TRANSITIONS.get(authority.status, set())
    return [value for value in S.values if value in allowed]


def admin_addresses(authority: Authority) -> list[str]:
    """E-mail addresses of the authority's administrators, read in its own schema."""
    with in_authority(authority, ground=PlatformWork("lifecycle e-mail to its admins")):
        return addresses_of_role(Role.AUTHORITY_ADMIN)


def _mail_admins_after_commit(authority: Authority, template: str, context: dict) -> None:
    recipients = admin_addresses(authority)
    if not recipients:
        return
    mail_each_after_commit(template, {"authority": authority, **context}, recipients,
                           language=settings.LANGUAGE_CODE)


@transaction.atomic
def change_status(authority: Authority, new_status: str, actor, reason: str = "") -> Authority:
    """Move `authority` to `new_status`, audited and announced to its administrators.

    Raises LifecycleError for the platform's own row, an unknown status, or a
    transition that is not allowed.
    """
    authority = Authority.all_objects.select_for_update().get(pk=authority.pk)
    if authority.is_public:
        raise LifecycleError(_("The platform itself has no status to change."))
    if authority.data_deleted_at:
        raise LifecycleError(_("This authority's data was deleted: import its export into "
                               "a new authority instead."))
    if new_status not in S.values:
        raise LifecycleError(_("Unknown status."))
    old_status = authority.status
    if new_status not in ALLOWED_TRANSITIONS.get(old_status, set()):
        raise LifecycleError(
            _("An authority cannot go from “%(old)s” to “%(new)s”.")
            % {"old": S(old_status).label, "new": S(new_status).label}
        )
    authority.status = new_status
    authority.save(update_fields=["status"])
    reason = (reason or "").strip()
    record_action(actor, "status_changed", authority, old=old_status, new=new_status,
                  reason=reason)
    _mail_admins_after_commit(authority, "tenants/email/status_changed", {
        "old_status": S(old_status).label, "new_status": S(new_status).label,
        "reason": reason,
    })
    if new_status == S.ACTIVE:
        for callback in _ON_ACTIVATED.values():
            callback(authority)  # billing: Stripe customer + subscription, after commit
    log.info("Authority %s: %s → %s", authority.slug, old_status, new_status)
    return authority


def _reminder_due(days_left: int) -> int | None:
    """The reminder (7 or 1 days) that applies with `days_left` days of trial left."""
    due = None
    for days in TRIAL_REMINDER_DAYS:
        if 0 <= days_left <= days:
            due = days
    return due


@transaction.atomic
def send_trial_reminders(today: date | None = None) -> int:
    """E-mail the administrators of authorities in trial 7 days and 1 day before its end.

    Each reminder goes out once per trial end date, even if the task runs twice or a
    day was missed (it is then sent late rather than never). Returns the number sent.
    """
    today = today or timezone.localdate()
    horizon = today + timedelta(days=max(TRIAL_REMINDER_DAYS))
    sent = 0
    candidates = Authority.objects.filter(
        status=S.TRIAL, trial_ends_at__gte=today, trial_ends_at__lte=horizon,
    ).exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
    for authority in candidates:
        days_left = (authority.trial_ends_at - today).days
        days = _reminder_due(days_left)
        if days is None:
            continue
        already = OperatorAction.objects.filter(
            authority=authority, action="trial_reminder", details__days=days,
            details__trial_ends_at=authority.trial_ends_at.isoformat(),
        ).exists()
        if already:
            continue
        record_action(None, "trial_reminder", authority, days=days,
                      trial_ends_at=authority.trial_ends_at.isoformat())
        _mail_admins_after_commit(authority, "tenants/email/trial_reminder", {
            "days_left": days_left, "trial_ends_at": authority.trial_ends_at,
        })
        sent += 1
    return sent
