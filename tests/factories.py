"""factory-boy factories. Build them inside `in_authority(...)`: rows land in the
schema the connection points at."""

import uuid

import factory
from django.utils import timezone

from accounts.models import Role, Service, Site, User


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Service n°{n}")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Bâtiment {n}")
    address = "1 rue de la Mairie"
    postcode = "86100"
    city = "Châtellerault"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@chatellerault.example")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    service = factory.SubFactory(ServiceFactory)
    roles = factory.LazyFunction(lambda: [Role.AGENT])
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password("correct horse battery")


def agent(**kwargs) -> User:
    return UserFactory(**kwargs)


def moderator(**kwargs) -> User:
    return UserFactory(roles=[Role.AGENT, Role.MODERATOR], **kwargs)


def authority_admin(**kwargs) -> User:
    return UserFactory(roles=[Role.AGENT, Role.MODERATOR, Role.AUTHORITY_ADMIN], **kwargs)


def operator(**kwargs) -> User:
    """An operator: create it in the public schema."""
    kwargs.setdefault("email", f"operateur-{uuid.uuid4().hex[:8]}@collectivrecup.example")
    return UserFactory(roles=[Role.OPERATOR], service=None, **kwargs)


PASSWORD = "correct horse battery"
