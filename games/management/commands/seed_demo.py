"""Demo data for `make run`: a few games, players and scores, loaded once."""

import random

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from games.models import Game, ScoreOrder
from games.services import create_game
from scores.boards import create_board, default_board
from scores.models import Operator
from scores.services import submit_score

# Demo accounts are for a laptop: never run seed_demo against production.
DEMO_PASSWORD = "podium-demo-2026"
STUDIO_OWNER = "demo-studio"
PLAYERS = ["ada", "grace", "alan", "margaret", "linus", "barbara", "dennis", "frances"]
GAMES = [
    {
        "slug": "space-race",
        "name": "Space Race",
        "description": "Fly as far as you can. Higher scores are better.",
        "score_order": ScoreOrder.DESC,
        "min_score": 0,
        "max_score": 1_000_000,
        "metadata": {"genre": "arcade", "maxLevel": 12, "units": {"sector-7": "ms", "asteroids": "asteroids"}},
    },
    {
        "slug": "speed-run",
        "name": "Speed Run",
        "description": "Finish the course; times in milliseconds, lower is better.",
        "score_order": ScoreOrder.ASC,
        "min_score": 1,
        "max_score": None,
        "metadata": {"genre": "platformer", "unit": "ms"},
    },
]


# More boards of Space Race: a time trial (lowest time first; among equal
# times, more rings collected first) and a running total.
BOARDS = {
    "space-race": [
        {
            "key": "sector-7",
            "name": "Sector 7 time trial",
            "score_order": ScoreOrder.ASC,
            "subscore_order": ScoreOrder.DESC,
            "min_score": 1,
        },
        {"key": "asteroids", "name": "Asteroids destroyed", "operator": Operator.SUM, "min_score": 0},
    ]
}


class Command(BaseCommand):
    help = "Load demo games, players and scores (does nothing if they are already there)."

    def handle(self, *args, **options):
        if Game.objects.filter(slug__in=[game["slug"] for game in GAMES]).exists():
            self.stdout.write("Demo data already loaded.")
            return
        rng = random.Random(2026)  # noqa: S311 - demo data, not security
        with transaction.atomic():
            owner = _user(STUDIO_OWNER)
            owner.groups.add(Group.objects.get_or_create(name="Studio")[0])
            players = [_user(name) for name in PLAYERS]
            games = [create_game(owner=owner, **spec) for spec in GAMES]
            boards = [default_board(game) for game in games]
            for game in games:
                boards += [create_board(game=game, **spec) for spec in BOARDS.get(game.slug, [])]
        for board in boards:
            for player in players:
                for _attempt in range(rng.randint(1, 4)):
                    submit_score(board=board, user=player, metadata={"demo": True}, **_demo_score(board, rng))
        self.stdout.write(
            f"Loaded {len(games)} games with {len(boards)} boards and {len(players)} players "
            f"(password {DEMO_PASSWORD!r}) with their scores."
        )


def _demo_score(board, rng: random.Random) -> dict:
    if board.operator == Operator.SUM:
        return {"value": rng.randrange(1, 40), "subscore": None}
    subscore = rng.randrange(0, 50) if board.has_subscore else None
    if board.score_order == ScoreOrder.DESC:
        return {"value": rng.randrange(1_000, 250_000, 10), "subscore": subscore}
    # Times rounded to the second, so that equal times (and the subscore) show.
    return {"value": rng.randrange(45, 180) * 1000, "subscore": subscore}


def _user(username: str) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@demo.podium"})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user
