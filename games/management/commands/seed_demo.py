"""Demo data for `make run`: a few games, players and scores, loaded once."""

import random

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from games.models import Game, ScoreOrder
from games.services import create_game
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
        "metadata": {"genre": "arcade", "maxLevel": 12},
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
        for game in games:
            for player in players:
                for _attempt in range(rng.randint(1, 4)):
                    if game.score_order == ScoreOrder.DESC:
                        value = rng.randrange(1_000, 250_000, 10)
                    else:
                        value = rng.randrange(45_000, 180_000)
                    submit_score(game=game, user=player, value=value, metadata={"demo": True})
        self.stdout.write(
            f"Loaded {len(games)} games and {len(players)} players (password {DEMO_PASSWORD!r}) with their scores."
        )


def _user(username: str) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@demo.podium"})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user
