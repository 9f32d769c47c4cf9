"""factory-boy factories of the tenants app, billing (tenants.billing) included. Every
table is in the public schema: build them outside `in_authority(...)`.

An authority whose pages or data a test uses is one of tests/conftest.py's fixtures
(`chatellerault`, `grand_chatellerault`), or is made by tenants.services.create_authority:
only they have a schema and a domain."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Role
from tenants.billing.models import BillingProfile, Invoice, InvoiceStatus
from tenants.models import (
    Authority,
    AuthorityExport,
    AuthorityKind,
    OperatorAction,
    schema_name_for,
)
from tenants.validators import luhn_is_valid
from tests.accounts.factories import UserFactory


def valid_siren(n: int) -> str:
    """A SIREN that passes the Luhn check, built from `n`; its "29" head is no test
    authority's (they are 21… and 20…)."""
    head = f"29{n % 10**6:06d}"
    return next(head + str(d) for d in range(10) if luhn_is_valid(head + str(d)))


class AuthorityFactory(factory.django.DjangoModelFactory):
    """A commune in its trial, as created, but as a ROW ONLY: no schema, no domain
    (inserted with bulk_create, which skips django-tenants' save and its CREATE SCHEMA).
    For pages and queries that list authorities: nothing may enter it or loop over every
    authority's schema."""

    class Meta:
        model = Authority

    name = factory.Sequence(lambda n: f"Commune n°{n}")
    kind = AuthorityKind.COMMUNE
    slug = factory.Sequence(lambda n: f"commune-{n}")
    schema_name = factory.LazyAttribute(lambda authority: schema_name_for(authority.slug))
    siren = factory.Sequence(valid_siren)
    departement = "86"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        authority = model_class(*args, **kwargs)
        model_class.objects.bulk_create([authority])
        return authority


class OperatorActionFactory(factory.django.DjangoModelFactory):
    """A line of the console's audit log: an operator changed an authority's status
    (pass `authority`)."""

    class Meta:
        model = OperatorAction

    actor = factory.SubFactory(
        UserFactory, roles=[Role.OPERATOR], service=None,
        email=factory.Sequence(lambda n: f"operateur-{n}@collectivrecup.example"))
    action = "status_changed"
    details = factory.LazyFunction(lambda: {"old": "active", "new": "suspended"})


class AuthorityExportFactory(factory.django.DjangoModelFactory):
    """An export row as just requested (pending, no file) unless told otherwise; pass
    `authority`. A real archive: tenants.offboarding.export."""

    class Meta:
        model = AuthorityExport


class BillingProfileFactory(factory.django.DjangoModelFactory):
    """The invoicing details of `authority` (pass it), without Stripe ids."""

    class Meta:
        model = BillingProfile

    legal_name = factory.LazyAttribute(lambda profile: profile.authority.name)
    address_line1 = "78 boulevard Blossac"
    postal_code = "86100"
    city = "Châtellerault"
    billing_email = factory.LazyAttribute(
        lambda profile: f"comptabilite@{profile.authority.slug}.example")


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An open invoice of `authority` (pass it), due in 30 days."""

    class Meta:
        model = Invoice

    stripe_invoice_id = factory.Sequence(lambda n: f"in_FACTORY{n:04d}")
    status = InvoiceStatus.OPEN
    amount_due = 390000
    due_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
