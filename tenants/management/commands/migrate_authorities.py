"""The release step: migrate the public schema, then only the authorities with
something to apply (rendered SQL replayed where the migrations allow it, Django's
executor otherwise), several at a time; one line per authority and a summary.

    python manage.py migrate_authorities [--processes 2] [--tasks-per-child 10]
                                         [--dry-run] [--no-replay]

Exit code 1 when any authority failed (the others are migrated anyway).
"""

from django.core.management.base import BaseCommand, CommandError

from tenants.migrations_at_scale import migrate_authorities


class Command(BaseCommand):
    help = "Migrate the public schema and every authority schema with pending migrations."

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=int, default=2,
                            help="Schemas migrated at once: database connections of the "
                                 "replay, processes of the executor (1: in this process).")
        parser.add_argument("--tasks-per-child", type=int, default=10,
                            help="Schemas an executor process migrates before it is replaced.")
        parser.add_argument("--dry-run", action="store_true",
                            help="List what would be migrated, and by which path; change nothing.")
        parser.add_argument("--no-replay", action="store_true",
                            help="Migrate every pending schema with Django's executor "
                                 "(no rendered SQL replayed).")

    def handle(self, *args, processes, tasks_per_child, dry_run, no_replay, **options):
        summary = migrate_authorities(processes=processes, tasks_per_child=tasks_per_child,
                                      dry_run=dry_run, replay=not no_replay,
                                      write=self.stdout.write)
        if summary.failed:
            raise CommandError(f"{summary.failed} authorities failed to migrate", returncode=1)
