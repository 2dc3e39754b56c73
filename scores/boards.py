"""Boards: a game's leaderboards.

Their writes (create, change, archive), the `default` board every game has,
and the cached lookup every request under a game's boards makes. This
module owns that cache and its invalidation: every change to a board
forgets it and bumps the game's leaderboard pages once committed, so the
next read, signed in or not, sees the change.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from config import memo, rows
from config.errors import Conflict, NotFound
from games import selectors as game_selectors
from games.models import Game
from games.serializers import SLUG_RULE
from scores import page_cache
from scores.models import BOARD_KEY_MAX, DEFAULT_BOARD, Board, Score

KEY_ATTEMPTS = 50

# Fields a board's owner may change; the default board's score order and
# bounds are its game's, changed through the game.
EDITABLE_FIELDS = {"name", "score_order", "operator", "subscore_order", "min_score", "max_score"}
GAME_FIELDS = {"score_order", "min_score", "max_score"}
# Fields that give the board's entries their meaning: fixed once it has scores.
FIXED_ONCE_SCORED = {"score_order": "scoreOrder", "operator": "operator", "subscore_order": "subscoreOrder"}


# --- Reads --------------------------------------------------------------------


# The board behind a URL, by (game id, key), in each process (config.memo).
_boards = memo.Memo("board", size=100_000, single_process=True)


# Board ids never change: this process remembers them once seen, so the
# anonymous fast path finds a board's cached pages without asking anyone.
# (Whether the board is still listed is the page cache's version's answer.)
_ids_by_key: dict[tuple[int, str], int] = {}
_IDS_REMEMBERED = 100_000


def known_board_id(game_id: int, key: str) -> int | None:
    return _ids_by_key.get((game_id, key))


def board_by_key(game: Game, key: str) -> Board:
    """A listed game's board, remembered while it does not change. Raises
    NotFound for unknown, malformed and archived keys."""
    _check_key(key)
    return _listed(_boards.get(f"{game.pk}:{key}", _board_row(game.pk, key)), game)


def game_board(game_slug: str, key: str) -> Board:
    """The listed board of a listed game, or NotFound, for the hot paths,
    which only read it: one copy with its game, shared in this process while
    both stay remembered, or, when nothing is remembered (Redis away), both
    read in one query."""
    at = _boards.snapshot()  # the game's memo answers from the same watch (config.memo)
    if at is not None:
        game = game_selectors.shared_game(game_slug, at=at)
        _check_key(key)
        joined = _boards.derived(f"{game.pk}:{key}", _board_row(game.pk, key), _Joined, at=at)
        if joined is None:
            raise NotFound("No such board.")
        return joined.to(game)
    found = _board_and_game(game_slug, key) if _valid_key(key) else None
    if found is None:  # which of the two is missing: the lookups say
        return board_by_key(game_selectors.game_by_slug(game_slug), key)
    return _listed(found, game_selectors.listed(found.game))


def _board_and_game(game_slug: str, key: str) -> Board | None:
    """The board by its game's slug and its key, with its game, in one
    query (written once on PostgreSQL: config.rows)."""
    if connection.vendor != "postgresql":
        return Board.objects.select_related("game").filter(game__slug=game_slug, key=key).first()
    with connection.cursor() as cursor:
        cursor.execute(_BOARD_AND_GAME, [game_slug, key])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(Game._meta.concrete_fields)
    board = rows.from_row(Board, row[split:])
    board.game = rows.from_row(Game, row[:split])
    return board


_BOARD_AND_GAME = (
    f"SELECT {rows.columns(Game, 'g')}, {rows.columns(Board, 'b')} "  # noqa: S608 - our tables; values are parameters
    f'FROM "{Game._meta.db_table}" g JOIN "{Board._meta.db_table}" b ON b."game_id" = g."id" '
    'WHERE g."slug" = %s AND b."key" = %s'
)


class _Joined:
    """A remembered board and its copy with the game it was last joined to,
    both shared by this process's hot paths: the copy is made again only
    when the game's remembered copy changes (config.memo)."""

    def __init__(self, board: Board):
        self.board = board
        self._last: tuple[Game | None, Board | None] = (None, None)

    def to(self, game: Game) -> Board:
        last_game, joined = self._last
        if last_game is not game:
            joined = _listed(copy.copy(self.board), game)
            self._last = (game, joined)  # one assignment: threads see the old pair or the new one
        return joined


def _valid_key(key: str) -> bool:
    return len(key) <= BOARD_KEY_MAX and _KEY.match(key) is not None


def _check_key(key: str) -> None:
    if not _valid_key(key):
        raise NotFound("No such board.")


def _board_row(game_id: int, key: str):
    return lambda: Board.objects.filter(game_id=game_id, key=key).first()


def _listed(board: Board | None, game: Game) -> Board:
    if board is None:
        raise NotFound("No such board.")
    if len(_ids_by_key) < _IDS_REMEMBERED:
        _ids_by_key[(game.pk, board.key)] = board.pk
    if board.is_archived:
        raise NotFound("No such board.")
    board.game = game  # the caller's copy: no second lookup
    return board


_KEY = re.compile(SLUG_RULE)


def default_board(game: Game) -> Board:
    return board_by_key(game, DEFAULT_BOARD)


def listed_boards(*, game: Game) -> QuerySet[Board]:
    """A game's boards that are not archived, `default` included."""
    return Board.objects.filter(game=game, archived_at__isnull=True)


def boards_of_games(game_ids: list[int]) -> dict[int, list[Board]]:
    """Each game's listed boards by key, in one query."""
    found: dict[int, list[Board]] = {}
    for board in Board.objects.filter(game_id__in=game_ids, archived_at__isnull=True).order_by("game_id", "key"):
        found.setdefault(board.game_id, []).append(board)
    return found


# --- Writes -------------------------------------------------------------------


def create_default_board(*, game: Game) -> Board:
    return Board.objects.create(
        game=game,
        key=DEFAULT_BOARD,
        name="Default",
        score_order=game.score_order,
        min_score=game.min_score,
        max_score=game.max_score,
    )


def follow_game(*, game: Game) -> None:
    """Give the default board its game's score order and bounds again (in the
    game's transaction)."""
    same = {field: getattr(game, field) for field in GAME_FIELDS}
    changed = (
        Board.objects.filter(game=game, key=DEFAULT_BOARD).exclude(**same).update(**same, updated_at=timezone.now())
    )
    if changed:
        _forget_cached(game.pk, DEFAULT_BOARD)


def create_board(*, game: Game, name: str, key: str | None = None, **fields: Any) -> Board:
    """Create a board. Without a key one is made from the name, with -2, -3…
    added until it is free; an explicit key that is taken is a Conflict on
    `key` (archived boards keep theirs)."""
    from games.services import free_slug, refuse_inverted_bounds, slug_base  # games.services never imports scores

    refuse_inverted_bounds(fields.get("min_score"), fields.get("max_score"))
    if key is not None:
        return _insert(Board(game=game, name=name, key=key, **fields), explicit_key=True)
    base = slug_base(name, fallback="board", max_length=BOARD_KEY_MAX)
    for _attempt in range(KEY_ATTEMPTS):
        taken = set(Board.objects.filter(game=game, key__startswith=base).values_list("key", flat=True))
        board = Board(game=game, name=name, key=free_slug(base, taken), **fields)
        try:
            return _insert(board, explicit_key=False)
        except _KeyTaken:
            continue
    raise Conflict.for_field("key", "Could not find a free key for this name; give one explicitly.")


def update_board(*, board: Board, changes: dict[str, Any]) -> Board:
    """Apply a partial update. The score order, operator and subscore order
    cannot change once the board has scores (Conflict on the field); bounds
    apply to new submissions. On the default board the score order and
    bounds are the game's: they change the game too."""
    from games.services import refuse_inverted_bounds, update_game

    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    fixed = [field for field in FIXED_ONCE_SCORED if field in changes and changes[field] != getattr(board, field)]
    if fixed and Score.objects.filter(board=board).exists():
        field = FIXED_ONCE_SCORED[fixed[0]]
        raise Conflict.for_field(field, f"{field} cannot change once the board has scores.")
    refuse_inverted_bounds(changes.get("min_score", board.min_score), changes.get("max_score", board.max_score))
    with transaction.atomic():
        if board.is_default and GAME_FIELDS & set(changes):
            update_game(game=board.game, changes={field: changes.pop(field) for field in GAME_FIELDS & set(changes)})
            board.refresh_from_db(fields=GAME_FIELDS)
        for field, value in changes.items():
            setattr(board, field, value)
        board.save(update_fields=[*changes, "updated_at"])
        _forget_cached(board.game_id, board.key)
    return board


def archive_board(*, board: Board) -> Board:
    """Hide a board and everything under it (its scores are kept). The
    default board goes only with its game."""
    if board.is_default:
        raise Conflict("The default board cannot be deleted; archive the game instead.")
    if board.archived_at is None:
        board.archived_at = timezone.now()
        with transaction.atomic():
            board.save(update_fields=["archived_at", "updated_at"])
            _forget_cached(board.game_id, board.key)
    return board


class _KeyTaken(Exception):
    pass


def _insert(board: Board, *, explicit_key: bool) -> Board:
    try:
        with transaction.atomic():
            board.save()
    except IntegrityError:
        if not Board.objects.filter(game=board.game, key=board.key).exists():
            raise
        if explicit_key:
            raise Conflict.for_field("key", "This key is already taken in this game.") from None
        raise _KeyTaken from None
    _forget_cached(board.game_id, board.key)  # a cached "no such board" is no more
    return board


def _forget_cached(game_id: int, key: str) -> None:
    _boards.changed(f"{game_id}:{key}")
    transaction.on_commit(lambda: page_cache.bump(game_id), robust=True)
