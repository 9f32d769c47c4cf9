"""Open the weight campaign of one authority for one semester now (the beat job does it
on 1 January and 1 July for the semester just ended): after an outage of the
scheduler, or to start a campaign early. Idempotent; mails the moderators once."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.campaigns import open_campaign, previous_semester
from tenants.models import Authority


class Command(BaseCommand):
    help = "Open an authority's six-monthly weight campaign (default: the last semester)."

    def add_arguments(self, parser):
        parser.add_argument("--authority", required=True, help="the authority's slug")
        parser.add_argument("--year", type=int)
        parser.add_argument("--semester", type=int, choices=[1, 2])

    def handle(self, *args, authority, year=None, semester=None, **options):
        row = Authority.objects.filter(slug=authority).exclude(schema_name="public").first()
        if row is None:
            raise CommandError(f"No authority {authority!r}.")
        if (year is None) != (semester is None):
            raise CommandError("Give both --year and --semester, or neither.")
        if year is None:
            year, semester = previous_semester(timezone.localdate())
        campaign, created = open_campaign(row, year, semester)
        self.stdout.write(f"{campaign}: {'opened' if created else 'already open'}, "
                          f"{campaign.lines.count()} line(s)")
