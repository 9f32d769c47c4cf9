"""Create a platform operator, print a one-time link to choose the password, and
e-mail them the one-time link to set up their second factor (never printed: whoever
reads this command's output must not be able to enrol a device).

    python manage.py create_operator --email ops@collectivrecup.fr --first-name Olivier
    python manage.py create_operator --email ops@collectivrecup.fr --password-prompt

Idempotent: run again for an existing address, it changes nothing (and, while that
operator has not chosen a password yet, prints a fresh link; while they have no
second factor yet, e-mails a fresh enrolment link, which replaces the earlier one).
"""

import getpass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Role, User
from accounts.selectors import members_with_role
from core.links import absolute_url
from tenants.crossing import in_public
from tenants.services import create_operator
from tenants.two_factor import confirmed_device, send_enrolment_link


def password_set_link(user: User, *, port: str | None = None) -> str:
    """The operator console's password page for `user`. Django's token: valid for
    PASSWORD_RESET_TIMEOUT, and no more once the password has changed."""
    path = reverse("operator:password_reset_confirm", urlconf=settings.PUBLIC_SCHEMA_URLCONF,
                   kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                           "token": default_token_generator.make_token(user)})
    host = settings.BASE_DOMAIN + (f":{port}" if port else "")
    return absolute_url(path, host, public_port=False)


class Command(BaseCommand):
    help = ("Create a platform operator (public schema, e-mail verified) and print a "
            "one-time link to choose the password. Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--password-prompt", action="store_true",
                            help="Type the password now instead of printing a link.")
        parser.add_argument("--port", help="Port to put in the link (local runs, e.g. 8000).")

    def handle(self, *args, email: str, first_name: str, last_name: str,
               password_prompt: bool, port: str | None, **options):
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"Not an e-mail address: {email!r}") from error
        with in_public(purpose="create an operator"):
            exists = User.objects.filter(email__iexact=email.strip()).exists()
        password = self._read_password() if password_prompt and not exists else None
        try:
            user, created = create_operator(email=email, first_name=first_name,
                                            last_name=last_name, password=password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

        login = absolute_url(
            reverse("operator:login", urlconf=settings.PUBLIC_SCHEMA_URLCONF),
            settings.BASE_DOMAIN + (f":{port}" if port else ""), public_port=False)
        if not created:
            with in_public(purpose="check the account holds the operator role"):
                holds_operator_role = members_with_role(
                    Role.OPERATOR, include_inactive=True).filter(pk=user.pk).exists()
            if not holds_operator_role:
                raise CommandError(f"{user.email} has an account without the operator role; "
                                   "nothing changed.")
            self.stdout.write(f"Operator {user.email} already exists; nothing changed.")
            if not user.has_usable_password():
                self.stdout.write("No password chosen yet. A new link to choose it:\n"
                                  f"  {password_set_link(user, port=port)}")
            self._send_enrolment_link(user)
            return
        self.stdout.write(f"Operator {user.email} created.")
        if password is not None:
            self.stdout.write(f"Sign in at {login}")
        else:
            days = settings.PASSWORD_RESET_TIMEOUT // 86400
            self.stdout.write(
                f"Send them this link to choose a password (valid {days} days, once):\n"
                f"  {password_set_link(user, port=port)}\n"
                f"then sign in at {login}")
        self._send_enrolment_link(user)

    def _send_enrolment_link(self, user: User) -> None:
        """The second factor's enrolment link goes by e-mail only, while none is set up."""
        if confirmed_device(user) is not None:
            return
        send_enrolment_link(user)
        hours = settings.OPERATOR_ENROL_LINK_MAX_AGE // 3600
        self.stdout.write(f"A link to set up two-factor authentication (valid {hours} hours, "
                          f"once) was e-mailed to {user.email}.")

    def _read_password(self) -> str:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ; nothing changed.")
        if not password:
            raise CommandError("Empty password; nothing changed.")
        return password
