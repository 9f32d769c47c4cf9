"""Onboard an authority from the command line; prints one line of JSON. Audited like
the console's onboarding (by `provision_authority`), as done by the platform.

    python manage.py onboard_authority --name "Ville de Naintré" --kind commune \
        --siren 218601698 --slug naintre --admin-email dgs@naintre.example \
        --email-domain naintre.example [--departement 86 --population 6000]
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.links import absolute_url, authority_host
from tenants.models import AuthorityKind
from tenants.services import ensure_public_tenant, provision_authority


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        by_field = dict(error.message_dict)
        if "slug" in by_field:  # the schema name derives from the slug: say it once
            by_field.pop("schema_name", None)
        return [f"{field}: {message}" for field, messages in by_field.items()
                for message in messages]
    return list(error.messages)


class Command(BaseCommand):
    help = "Create an authority (schema, domain, categories, settings) and invite its admin."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=AuthorityKind.values)
        parser.add_argument("--siren", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--email-domain", action="append", default=[],
                            dest="email_domains", help="Repeat for several domains.")
        parser.add_argument("--departement", default="", help="INSEE code, e.g. 86 or 2A.")
        parser.add_argument("--population", type=int, default=None,
                            help="Inhabitants (sets the billing plan).")

    def handle(self, *args, **options):
        ensure_public_tenant()
        try:
            provisioned = provision_authority(
                name=options["name"], kind=options["kind"], siren=options["siren"],
                slug=options["slug"], admin_email=options["admin_email"],
                email_domains=options["email_domains"],
                departement=options["departement"].strip().upper(),
                population=options["population"], operator=None, via="command line")
        except ValidationError as error:
            raise CommandError("; ".join(_messages(error)), returncode=1) from error
        slug = provisioned.authority.slug
        url = absolute_url("/", authority_host(slug))
        self.stdout.write(json.dumps({"slug": slug, "url": url,
                                      "invitation_url": provisioned.invitation_url}))
