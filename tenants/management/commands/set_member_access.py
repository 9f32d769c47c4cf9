"""Change a member's roles or access from the command line (e.g. give an authority
back an administrator). Journalled like a change on the admin pages, by the same
service (accounts.services.update_member):

    python manage.py set_member_access --authority chatellerault \
        --email dgs@chatellerault.fr --roles agent,moderator,authority_admin [--deactivate]
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import AUTHORITY_ROLES, AccessChannel, User
from accounts.services import update_member
from tenants.crossing import PlatformWork, in_authority
from tenants.models import Authority


class Command(BaseCommand):
    help = "Set a member's roles and access in an authority (journalled)."

    def add_arguments(self, parser):
        parser.add_argument("--authority", required=True, help="The authority's slug.")
        parser.add_argument("--email", required=True)
        parser.add_argument("--roles", default=None,
                            help="Comma-separated: " + ", ".join(AUTHORITY_ROLES)
                            + ". Unchanged when omitted.")
        access = parser.add_mutually_exclusive_group()
        access.add_argument("--activate", action="store_true")
        access.add_argument("--deactivate", action="store_true")

    def handle(self, *args, **options):
        authority = Authority.objects.filter(slug=options["authority"]).first()
        if authority is None:
            raise CommandError(f"No authority {options['authority']!r}.", returncode=1)
        with in_authority(authority, ground=PlatformWork("set member access")):
            member = User.objects.filter(email__iexact=options["email"].strip()).first()
            if member is None:
                raise CommandError("No member with this address in this authority.",
                                   returncode=1)
            roles = member.roles
            if options["roles"] is not None:
                roles = [role.strip() for role in options["roles"].split(",") if role.strip()]
                unknown = sorted(set(roles) - set(AUTHORITY_ROLES))
                if unknown:
                    raise CommandError(f"Unknown roles: {', '.join(unknown)}.", returncode=1)
            is_active = member.is_active
            if options["activate"] or options["deactivate"]:
                is_active = options["activate"]
            try:
                update_member(actor=None, actor_label="manage.py set_member_access",
                              member=member, roles=roles, service=member.service,
                              is_active=is_active, via=AccessChannel.COMMAND_LINE)
            except ValidationError as error:
                raise CommandError("; ".join(error.messages), returncode=1) from error
            self.stdout.write(f"{member.email}: {', '.join(member.roles)}"
                              f"{'' if member.is_active else ' (deactivated)'}")
