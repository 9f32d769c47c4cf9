"""Print an operator's current TOTP code. Local development only.

    python manage.py totp_code --email operateur@collectivrecup.example

Refuses to run unless DEBUG is on or the local settings (`make run`) are active:
anywhere else, it would turn the second factor into a mere password.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from tenants.crossing import in_public
from tenants.two_factor import confirmed_device, current_code

LOCAL_SETTINGS = "collectivrecup.settings.local"


class Command(BaseCommand):
    help = "Print an operator's current two-factor code (local development only)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)

    def handle(self, *args, email: str, **options):
        if not (settings.DEBUG or settings.SETTINGS_MODULE == LOCAL_SETTINGS):
            raise CommandError("totp_code runs only with the local settings or DEBUG on.")
        with in_public(purpose="print an operator's TOTP code"):
            user = User.objects.filter(email__iexact=email).first()
            device = confirmed_device(user) if user is not None else None
            if device is None:
                raise CommandError(f"No operator with a two-factor device for {email}.")
            self.stdout.write(current_code(device))
