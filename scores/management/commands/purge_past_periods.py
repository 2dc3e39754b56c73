from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from scores.services import purge_past_periods


class Command(BaseCommand):
    help = (
        "Delete the leaderboard entries of days, weeks and months that ended more than PAST_PERIODS_DAYS "
        "days ago (run it daily). Scores are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.PAST_PERIODS_DAYS,
            help="Keep periods that ended within this many days (default: PAST_PERIODS_DAYS).",
        )

    def handle(self, *args, days, **options):
        if days < 1:
            raise CommandError("--days must be at least 1.")
        deleted = purge_past_periods(days=days)
        self.stdout.write(f"Deleted {deleted} entries of periods that ended over {days} days ago.")
