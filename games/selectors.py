"""Reads of games. Archived games do not exist as far as the API is concerned."""

from __future__ import annotations

from django.db.models import QuerySet

from config import memo
from config.api.rendering import HOLE, around_hole, envelope_bytes
from config.errors import NotFound
from games.models import Game
from games.serializers import game_wire

# The game behind a URL, by slug, in each process (config.memo); forget_game
# is the one way to say it changed.
_games = memo.Memo("game", size=10_000, single_process=True)


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
    """The game behind a URL, remembered while it does not change. Raises
    NotFound for unknown and archived games."""
    return listed(_games.get(slug, lambda: _game_row(slug)))


def shared_game(slug: str, *, at: int | None = None) -> Game:
    """game_by_slug's game, shared by every caller in this process while it
    stays remembered (config.memo): for hot paths that only read it."""
    return listed(_games.shared(slug, lambda: _game_row(slug), at=at))


def game_detail_parts(slug: str) -> tuple[bytes, bytes, int]:
    """A listed game's detail response as the bytes before and after its
    `playerCount`, and the game's id: made once while the game stays
    remembered (config.memo), since only the count changes from one read to
    the next. Raises NotFound as game_by_slug does."""
    found = _games.derived(slug, lambda: _game_row(slug), _detail_parts)
    if found is None:
        raise NotFound("No such game.")
    game_id, archived, head, tail = found
    _refuse_unlisted(slug, game_id, archived)
    return head, tail, game_id


def _game_row(slug: str) -> Game | None:
    return Game.objects.select_related("owner").filter(slug=slug).first()


def _detail_parts(game: Game) -> tuple[int, bool, bytes, bytes]:
    head, tail = around_hole(envelope_bytes(game_wire(game, HOLE)).decode())
    return game.pk, game.is_archived, head.encode(), tail.encode()


def listed(game: Game | None) -> Game:
    """The game found behind a URL, if it is listed; else NotFound."""
    if game is None:
        raise NotFound("No such game.")
    _refuse_unlisted(game.slug, game.pk, game.is_archived)
    return game


def _refuse_unlisted(slug: str, game_id: int, archived: bool) -> None:
    """Remember which id the slug names, then NotFound if the game is archived."""
    if len(_ids_by_slug) < _IDS_REMEMBERED:
        _ids_by_slug[slug] = game_id
    if archived:
        raise NotFound("No such game.")


def forget_game(game: Game) -> None:
    """The game changed (in the current transaction, if any): every process
    reads it again."""
    _games.changed(game.slug)
