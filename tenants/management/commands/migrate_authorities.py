"""The release step: migrate the public schema, then only the authorities with
something to apply, several at a time; one line per authority and a summary.

    python manage.py migrate_authorities [--processes 2] [--tasks-per-child 10] [--dry-run]

Exit code 1 when any authority failed (the others are migrated anyway).
"""

from django.core.management.base import BaseCommand, CommandError

from tenants.migrations_at_scale import migrate_authorities


class Command(BaseCommand):
    help = "Migrate the public schema and every authority schema with pending migrations."

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=int, default=2,
                            help="Schemas migrated at once (1: in this process).")
        parser.add_argument("--tasks-per-child", type=int, default=10,
                            help="Schemas a worker migrates before it is replaced.")
        parser.add_argument("--dry-run", action="store_true",
                            help="List what would be migrated; change nothing.")

    def handle(self, *args, processes, tasks_per_child, dry_run, **options):
        summary = migrate_authorities(processes=processes, tasks_per_child=tasks_per_child,
                                      dry_run=dry_run, write=self.stdout.write)
        if summary.failed:
            raise CommandError(f"{summary.failed} authorities failed to migrate", returncode=1)
