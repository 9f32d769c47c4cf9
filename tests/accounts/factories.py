"""factory-boy factories of the accounts app and of the sign-in tables beside it (API
tokens, lockout records). Every model here lives in an authority's schema (operators
excepted: public): build inside `in_authority(...)`, rows land in the schema the
connection points at; no factory switches schemas."""

import uuid

import factory
from axes.models import AccessAttempt, AccessLog
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import AccessChange, AccessChannel, Role, Service, Site, User
from accounts.services import person_label

PASSWORD = "correct horse battery"


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
    password = factory.django.Password(PASSWORD)


def agent(**kwargs) -> User:
    return UserFactory(**kwargs)


def moderator(**kwargs) -> User:
    return UserFactory(roles=[Role.AGENT, Role.MODERATOR], **kwargs)


def finance(**kwargs) -> User:
    """A member of the finance team only (issue 16): enters the AGEC purchases."""
    return UserFactory(roles=[Role.FINANCE], **kwargs)


def logistics(**kwargs) -> User:
    """A member of the logistics team only (issue 18): plans and carries transports."""
    return UserFactory(roles=[Role.LOGISTICS], **kwargs)


def it_staff(**kwargs) -> User:
    """A member of the IT team only (« Informatique », issue 19): keeps the IT register."""
    return UserFactory(roles=[Role.IT], **kwargs)


def authority_admin(**kwargs) -> User:
    return UserFactory(roles=[Role.AGENT, Role.MODERATOR, Role.AUTHORITY_ADMIN], **kwargs)


def operator(**kwargs) -> User:
    """An operator: create it in the public schema."""
    kwargs.setdefault("email", f"operateur-{uuid.uuid4().hex[:8]}@collectivrecup.example")
    return UserFactory(roles=[Role.OPERATOR], service=None, **kwargs)


class AccessChangeFactory(factory.django.DjangoModelFactory):
    """A line of the access journal written directly (the services write real ones): by
    default an admin made an agent a moderator on the users page."""

    class Meta:
        model = AccessChange

    actor = factory.SubFactory(UserFactory,
                               roles=[Role.AGENT, Role.MODERATOR, Role.AUTHORITY_ADMIN])
    actor_label = factory.LazyAttribute(lambda change: person_label(change.actor))
    member = factory.SubFactory(UserFactory)
    member_label = factory.LazyAttribute(lambda change: person_label(change.member))
    roles_before = factory.LazyFunction(lambda: [Role.AGENT])
    roles_after = factory.LazyFunction(lambda: [Role.AGENT, Role.MODERATOR])
    was_active = True
    is_active = True
    via = AccessChannel.ADMIN_PAGE


class TokenFactory(factory.django.DjangoModelFactory):
    """A user's token for the agents' REST API; one per user (get or create)."""

    class Meta:
        model = Token
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)


class AccessAttemptFactory(factory.django.DjangoModelFactory):
    """django-axes' record of failed sign-ins from one client (the lockout counter)."""

    class Meta:
        model = AccessAttempt

    username = factory.Sequence(lambda n: f"agent{n}@chatellerault.example")
    ip_address = "203.0.113.7"
    user_agent = "curl"
    http_accept = "*/*"
    path_info = "/accounts/login/"
    get_data = ""
    post_data = ""
    failures_since_start = 1


class AccessLogFactory(factory.django.DjangoModelFactory):
    """django-axes' record of one sign-in."""

    class Meta:
        model = AccessLog

    username = factory.Sequence(lambda n: f"agent{n}@chatellerault.example")
    ip_address = "203.0.113.7"
    user_agent = "curl"
    http_accept = "*/*"
    path_info = "/accounts/login/"
