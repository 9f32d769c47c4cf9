"""The demo's transports (issue 18): a logistics agent per demo authority, a team with a
week of planned rounds and a request left to plan; a second run adds none."""

import io

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from exchange.logistics.models import Round, Team, TransportRequest, TransportStatus
from tenants.demo import DEMO_AUTHORITIES, demo_email
from tenants.models import Authority
from tests.conftest import client_for, in_authority

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"


def test_the_demo_has_a_logistics_team_with_planned_rounds(media_in_tmp):
    call_command("seed_demo", stdout=io.StringIO())
    for spec in DEMO_AUTHORITIES:
        authority = Authority.objects.get(slug=spec["slug"])
        with in_authority(authority):
            planner = User.objects.get(email=demo_email("logistique", spec["slug"]))
            assert planner.roles == [Role.LOGISTICS]
            assert Team.objects.count() == 1
            assert Round.objects.count() >= 2
            assert TransportRequest.objects.filter(status=TransportStatus.PLANNED).count() >= 2
            assert TransportRequest.objects.filter(status=TransportStatus.REQUESTED).count() == 1
            rounds = Round.objects.count()
        board = client_for(authority, planner).get("/logistics/board/?view=week")
        assert board.status_code == 200
    call_command("seed_demo", stdout=io.StringIO())
    with in_authority(authority):
        assert Round.objects.count() == rounds
