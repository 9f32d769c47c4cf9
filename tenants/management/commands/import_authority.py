"""Restore an authority export (ZIP) into a new authority; prints one line of JSON.

    python manage.py import_authority export.zip --slug naintre-bis [--name …] [--siren …]
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.models import AuthorityStatus
from tenants.offboarding.restore import import_authority
from tenants.services import ensure_public_tenant


class Command(BaseCommand):
    help = "Import an authority export (made by the console or the admin page) as a new authority."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--slug", required=True, help="The new authority's address.")
        parser.add_argument("--name", default="", help="Default: the exported name.")
        parser.add_argument("--siren", default="",
                            help="Default: the exported SIREN (must not be taken).")
        parser.add_argument("--status", default=AuthorityStatus.TRIAL,
                            choices=[AuthorityStatus.TRIAL, AuthorityStatus.ACTIVE])

    def handle(self, *args, **options):
        ensure_public_tenant()
        try:
            authority = import_authority(options["archive"], slug=options["slug"],
                                         name=options["name"], siren=options["siren"],
                                         status=options["status"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages), returncode=1) from error
        self.stdout.write(json.dumps({"slug": authority.slug,
                                      "schema": authority.schema_name}))
