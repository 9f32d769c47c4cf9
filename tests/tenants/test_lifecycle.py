"""An authority's lifecycle: allowed transitions, audit, e-mails, trial reminders, and
the effect of a suspension on its users."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tenants.lifecycle import LifecycleError, change_status, send_trial_reminders
from tenants.models import Authority, AuthorityStatus, OperatorAction
from tenants.tasks import send_trial_reminders as trial_reminders_task
from tests.accounts.factories import agent, authority_admin, operator
from tests.conftest import client_for, in_authority, verified_operator_client

pytestmark = pytest.mark.django_db

S = AuthorityStatus


def set_status(authority: Authority, status: str) -> Authority:
    Authority.objects.filter(pk=authority.pk).update(status=status)
    authority.refresh_from_db()
    return authority


@pytest.mark.parametrize(("old", "new"), [
    (S.TRIAL, S.ACTIVE), (S.TRIAL, S.SUSPENDED), (S.ACTIVE, S.SUSPENDED),
    (S.SUSPENDED, S.ACTIVE), (S.TRIAL, S.CLOSED), (S.ACTIVE, S.CLOSED),
    (S.SUSPENDED, S.CLOSED), (S.CLOSED, S.ACTIVE),
])
def test_allowed_transitions(chatellerault, django_capture_on_commit_callbacks, old, new):
    set_status(chatellerault, old)
    olivier = operator()
    with django_capture_on_commit_callbacks(execute=True):
        changed = change_status(chatellerault, new, olivier, "Raison")
    assert changed.status == new
    chatellerault.refresh_from_db()
    assert chatellerault.status == new
    action = OperatorAction.objects.get(authority=chatellerault)
    assert action.action == "status_changed" and action.actor == olivier
    assert action.details == {"operator": olivier.email, "old": old, "new": new,
                              "reason": "Raison"}


@pytest.mark.parametrize(("old", "new"), [
    (S.ACTIVE, S.TRIAL), (S.SUSPENDED, S.TRIAL), (S.CLOSED, S.SUSPENDED),
    (S.CLOSED, S.TRIAL), (S.ACTIVE, S.ACTIVE), (S.CLOSED, S.CLOSED), (S.ACTIVE, "deleted"),
])
def test_refused_transitions(chatellerault, old, new):
    set_status(chatellerault, old)
    with pytest.raises(LifecycleError):
        change_status(chatellerault, new, operator(), "")
    chatellerault.refresh_from_db()
    assert chatellerault.status == old
    assert not OperatorAction.objects.exists()


def test_the_platform_row_has_no_lifecycle(db):
    public = Authority.objects.get(schema_name="public")
    with pytest.raises(LifecycleError):
        change_status(public, S.CLOSED, operator(), "")


def test_each_change_is_mailed_to_the_admins_only_after_commit(
        grand_chatellerault, django_capture_on_commit_callbacks):
    with in_authority(grand_chatellerault):
        authority_admin(email="sophie@grand-chatellerault.example")
        authority_admin(email="paul@grand-chatellerault.example")
        agent(email="camille@grand-chatellerault.example")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change_status(grand_chatellerault, S.SUSPENDED, operator(), "Facture impayée")
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "paul@grand-chatellerault.example", "sophie@grand-chatellerault.example"]
    assert all(len(m.to) == 1 for m in mail.outbox)
    assert grand_chatellerault.name in mail.outbox[0].subject
    assert "Facture impayée" in mail.outbox[0].body


def test_trial_end_defaults_to_30_days_after_creation(chatellerault):
    created = timezone.localdate(chatellerault.created_at)
    assert (chatellerault.trial_ends_at - created).days == 30
    assert Authority(name="x").trial_ends_at == timezone.localdate() + timedelta(days=30)


def test_trial_reminders_go_out_7_days_and_1_day_before_once(
        chatellerault, grand_chatellerault, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    with in_authority(chatellerault):
        authority_admin(email="sophie@chatellerault.example")
    with in_authority(grand_chatellerault):
        authority_admin(email="sophie@grand-chatellerault.example")
    Authority.objects.filter(pk=chatellerault.pk).update(
        status=S.TRIAL, trial_ends_at=today + timedelta(days=7))
    # Active authorities get no reminder, whatever their trial date.
    Authority.objects.filter(pk=grand_chatellerault.pk).update(
        status=S.ACTIVE, trial_ends_at=today + timedelta(days=7))

    def run(day):
        with django_capture_on_commit_callbacks(execute=True):
            return send_trial_reminders(today=day)

    assert run(today - timedelta(days=1)) == 0  # 8 days left
    assert run(today) == 1
    assert run(today) == 0  # twice the same day: once
    assert run(today + timedelta(days=3)) == 0
    assert run(today + timedelta(days=6)) == 1  # 1 day left
    assert run(today + timedelta(days=6)) == 0
    assert run(today + timedelta(days=7)) == 0
    assert [m.to for m in mail.outbox] == [["sophie@chatellerault.example"]] * 2
    assert OperatorAction.objects.filter(action="trial_reminder",
                                         authority=chatellerault).count() == 2


def test_trial_reminder_task_runs_the_service(chatellerault, django_capture_on_commit_callbacks):
    with in_authority(chatellerault):
        authority_admin(email="sophie@chatellerault.example")
    Authority.objects.filter(pk=chatellerault.pk).update(
        status=S.TRIAL, trial_ends_at=timezone.localdate() + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert trial_reminders_task.delay().get() == 1
    assert len(mail.outbox) == 1


def test_beat_schedules_the_trial_reminders(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["tenants-trial-reminders"]
    assert entry["task"] == "tenants.send_trial_reminders"


def test_suspension_through_the_console_stops_the_authority_and_reactivation_restores_it(
        grand_chatellerault, django_capture_on_commit_callbacks):
    console = verified_operator_client(operator())  # in the public schema
    with in_authority(grand_chatellerault):
        camille = agent(email="camille@grand-chatellerault.example")
        authority_admin(email="sophie@grand-chatellerault.example")
    app = client_for(grand_chatellerault, camille)
    assert app.get("/").status_code == 200
    detail = f"/operator/authorities/{grand_chatellerault.slug}/"
    page = console.get(detail)
    assert page.status_code == 200 and 'name="csrfmiddlewaretoken"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = console.post(detail, {"status": "suspended", "reason": "Impayé"})
    assert response.status_code == 302 and response["Location"] == detail
    suspended = app.get("/")
    assert suspended.status_code == 503
    assert "Impayé" not in suspended.content.decode()
    assert app.get("/accounts/profile/").status_code == 503
    assert [m.to for m in mail.outbox] == [["sophie@grand-chatellerault.example"]]

    with django_capture_on_commit_callbacks(execute=True):
        console.post(detail, {"status": "active", "reason": ""})
    assert app.get("/").status_code == 200
    history = console.get(detail).content.decode()
    assert history.count('data-action="status_changed"') == 2
    assert list(OperatorAction.objects.filter(authority=grand_chatellerault)
                .values_list("details__new", flat=True)) == ["active", "suspended"]


def test_status_form_refuses_a_transition_not_offered(grand_chatellerault):
    console = verified_operator_client(operator())
    detail = f"/operator/authorities/{grand_chatellerault.slug}/"
    response = console.post(detail, {"status": "trial"})
    assert response.status_code == 400
    assert 'id="status-form"' in response.content.decode()
    grand_chatellerault.refresh_from_db()
    assert grand_chatellerault.status == S.ACTIVE


def test_status_form_needs_csrf(grand_chatellerault):
    from django.test import Client

    console = verified_operator_client(operator())
    strict = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
    strict.cookies = console.cookies
    response = strict.post(f"/operator/authorities/{grand_chatellerault.slug}/",
                           {"status": "suspended"})
    assert response.status_code == 403
    grand_chatellerault.refresh_from_db()
    assert grand_chatellerault.status == S.ACTIVE


def test_detail_page_of_unknown_or_platform_authority_is_404(db):
    console = verified_operator_client(operator())
    assert console.get("/operator/authorities/nulle-part/").status_code == 404
    assert console.get("/operator/authorities/public/").status_code == 404
