"""Reads of games. Archived games do not exist as far as the API is concerned."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from config.errors import NotFound
from games.models import Game

GAME_CACHE_SECONDS = 300


def game_cache_key(slug: str) -> str:
    return f"game:v1:{slug}"


def listed_games(*, search: str | None = None, is_active: bool | None = None) -> QuerySet[Game]:
    """Every game not archived, inactive ones included."""
    games = Game.objects.filter(archived_at__isnull=True).select_related("owner")
    if search:
        games = games.filter(name__icontains=search)
    if is_active is not None:
        games = games.filter(is_active=is_active)
    return games


# Slugs and ids never change, so this process remembers which id a slug
# names once it has seen the game: hot reads then find their cache keys
# without asking anyone. (Whether the game is still listed is another
# matter, which those caches' invalidation answers.)
_ids_by_slug: dict[str, int] = {}
_IDS_REMEMBERED = 10_000


def known_game_id(slug: str) -> int | None:
    return _ids_by_slug.get(slug)


def game_by_slug(slug: str) -> Game:
    """The game behind a URL, from the cache when it can be. Raises NotFound
    for unknown and archived games."""
    key = game_cache_key(slug)
    game = cache.get(key)
    if game is None:
        game = Game.objects.select_related("owner").filter(slug=slug).first()
        if game is None:
            raise NotFound("No such game.")
        cache.set(key, game, GAME_CACHE_SECONDS)
    if len(_ids_by_slug) < _IDS_REMEMBERED:
        _ids_by_slug[slug] = game.pk
    if game.is_archived:
        raise NotFound("No such game.")
    return game
