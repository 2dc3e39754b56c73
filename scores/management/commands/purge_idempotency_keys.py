from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from scores.idempotency import WINDOW as IDEMPOTENCY_WINDOW
from scores.services import purge_idempotency_records


class Command(BaseCommand):
    help = "Delete stored Idempotency-Key responses older than 24 hours (run it hourly or daily)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=int(IDEMPOTENCY_WINDOW / timedelta(hours=1)),
            help="Keep records younger than this (default 24).",
        )

    def handle(self, *args, hours, **options):
        if hours < 1:
            raise CommandError("--hours must be at least 1.")
        deleted = purge_idempotency_records(older_than=timedelta(hours=hours))
        self.stdout.write(f"Deleted {deleted} idempotency record(s).")
