"""List pages run a fixed number of queries, whatever the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.services import create_authority
from tests.accounts.factories import SiteFactory, UserFactory, authority_admin, operator
from tests.conftest import client_for, in_authority, verified_operator_client

pytestmark = pytest.mark.django_db


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", ["/accounts/admin/users/", "/accounts/admin/sites/",
                                  "/accounts/admin/services/", "/accounts/admin/journal/"])
def test_admin_lists_do_not_grow_with_rows(chatellerault, path):
    with in_authority(chatellerault):
        admin = authority_admin()
        UserFactory.create_batch(3)
        SiteFactory.create_batch(3)
    client = client_for(chatellerault, admin)
    few = count_queries(client, path)
    with in_authority(chatellerault):
        UserFactory.create_batch(30)
        SiteFactory.create_batch(30)
    many = count_queries(client, path)
    assert many == few
    assert few <= 8


def test_operator_console_does_not_grow_with_authorities(django_db_blocker):
    client = verified_operator_client(operator())
    few = count_queries(client, "/operator/")
    create_authority(name="Commune de Naintré", kind="commune", siren="732829320",
                     slug="naintre", email_domains=["naintre.example"])
    many = count_queries(client, "/operator/")
    assert many == few
    assert few <= 11  # + TOTP device, audit log, operators without a device (tests/tenants/)
