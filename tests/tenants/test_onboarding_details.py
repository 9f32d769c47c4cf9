"""Onboarding records the département and population (optional): the form and the command."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tenants.billing.plans import plan_for
from tenants.models import Authority
from tests.accounts.factories import operator
from tests.conftest import verified_operator_client

pytestmark = pytest.mark.django_db

URL = "/operator/authorities/new/"
NAINTRE = {"name": "Commune de Naintré", "kind": "commune", "siren": "218601698",
           "slug": "naintre", "admin_email": "dgs@naintre.example", "email_domains": ""}


def test_the_form_records_departement_and_population(django_capture_on_commit_callbacks):
    client = verified_operator_client(operator())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**NAINTRE, "departement": "86 ", "population": "6000"})
    assert response.status_code == 302
    naintre = Authority.objects.get(slug="naintre")
    assert (naintre.departement, naintre.population) == ("86", 6000)
    assert plan_for(naintre.population).code == "s"


def test_both_stay_optional_and_a_bad_departement_is_explained():
    client = verified_operator_client(operator())
    response = client.post(URL, {**NAINTRE, "departement": "99", "population": "-3"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "n’est pas un code de département" in page
    assert not Authority.objects.filter(slug="naintre").exists()
    response = client.post(URL, NAINTRE)
    assert response.status_code == 302
    naintre = Authority.objects.get(slug="naintre")
    assert (naintre.departement, naintre.population) == ("", None)


def test_the_command_takes_departement_and_population():
    out = StringIO()
    call_command("onboard_authority", "--name", NAINTRE["name"], "--kind", "commune",
                 "--siren", NAINTRE["siren"], "--slug", "naintre",
                 "--admin-email", "dgs@naintre.example", "--departement", "2a",
                 "--population", "6000", stdout=out)
    assert json.loads(out.getvalue())["slug"] == "naintre"
    naintre = Authority.objects.get(slug="naintre")
    assert (naintre.departement, naintre.population) == ("2A", 6000)
    with pytest.raises(CommandError, match="departement"):
        call_command("onboard_authority", "--name", "X", "--kind", "commune",
                     "--siren", "200070670", "--slug", "autre", "--admin-email", "a@b.example",
                     "--departement", "100", stdout=StringIO())
