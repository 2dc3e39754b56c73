from django.core.management.base import BaseCommand, CommandError

from games.models import Game
from scores import ranking
from scores.rebuild import rebuild_game


class Command(BaseCommand):
    help = "Rebuild the current leaderboards in Redis from PostgreSQL (all games, or one)."

    def add_arguments(self, parser):
        parser.add_argument("--game", metavar="SLUG", help="Only this game.")

    def handle(self, *args, game=None, **options):
        if not ranking.enabled():
            raise CommandError("REDIS_URL is not set: leaderboards are read from the database, nothing to rebuild.")
        games = Game.objects.filter(archived_at__isnull=True).order_by("pk")
        if game:
            games = Game.objects.filter(slug=game)
            if not games.exists():
                raise CommandError(f"No game with slug {game!r}.")
        try:
            for one in games:
                rebuilt = rebuild_game(one)
                self.stdout.write(f"{one.slug}: {rebuilt} board(s) rebuilt")
        except ranking.RankingUnavailable as exc:
            raise CommandError(f"Redis is not answering: {exc}") from exc
