from django.core.management.base import BaseCommand, CommandError

from games.models import Game
from scores import ranking
from scores.models import Board
from scores.rebuild import rebuild_boards


class Command(BaseCommand):
    help = "Rebuild the current leaderboards in Redis from PostgreSQL (all games, one game, or one board)."

    def add_arguments(self, parser):
        parser.add_argument("--game", metavar="SLUG", help="Only this game.")
        parser.add_argument("--board", metavar="KEY", help="Only this board of --game.")

    def handle(self, *args, game=None, board=None, **options):
        if not ranking.enabled():
            raise CommandError("REDIS_URL is not set: leaderboards are read from the database, nothing to rebuild.")
        if board and not game:
            raise CommandError("--board needs --game.")
        games = Game.objects.filter(archived_at__isnull=True).order_by("pk")
        if game:
            games = Game.objects.filter(slug=game)
            if not games.exists():
                raise CommandError(f"No game with slug {game!r}.")
        try:
            for one in games:
                boards = Board.objects.filter(game=one, archived_at__isnull=True).order_by("key")
                if board:
                    boards = boards.filter(key=board)
                    if not boards.exists():
                        raise CommandError(f"No board {board!r} in {one.slug}.")
                rebuilt = rebuild_boards(list(boards))
                self.stdout.write(f"{one.slug}: {rebuilt} board period(s) rebuilt")
        except ranking.RankingUnavailable as exc:
            raise CommandError(f"Redis is not answering: {exc}") from exc
