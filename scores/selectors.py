"""Reads of scores and leaderboards.

Leaderboard reads come from Redis when it answers and holds the board, and
from PostgreSQL otherwise, with the same entries either way; callers never
know which answered. A board missing from Redis is rebuilt on the spot by
the first reader (the others read PostgreSQL meanwhile).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone

from accounts.selectors import (
    user_caching,
    user_ids_by_usernames,
    user_ref_for_username,
    username_key_prefix,
    username_ref_key,
    usernames_by_id,
)
from config.api.query import PageRequest
from config.api.rendering import wire_json
from scores import ranking, ranking_json, ranking_sql
from scores.models import Best, Board, Score
from scores.periods import BoardPeriod, period_containing, period_on
from scores.rebuild import rebuild_board, stale_boards
from scores.serializers import entry_wire

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    rank: int
    user_id: int
    username: str
    value: int
    subscore: int | None
    achieved_at: datetime


@dataclass(frozen=True)
class EntryPage:
    entries: list[Entry]
    total: int


# --- Scores --------------------------------------------------------------------


def board_scores(*, board: Board, user_id: int | None = None) -> QuerySet[Score]:
    scores = Score.objects.filter(board=board).select_related("user")
    if user_id is not None:
        scores = scores.filter(user_id=user_id)
    return scores


# --- Leaderboards ----------------------------------------------------------------


def leaderboard_window(
    *, board_id: int, period: str, at: date | None = None, now: datetime | None = None
) -> BoardPeriod:
    """The board's period a read names: the current one, or the one that
    contains the UTC date `at` (which may be over)."""
    if at is None:
        return period_containing(board_id, period, now or timezone.now())
    return period_on(board_id, period, at)


def leaderboard_page(
    *, board: Board, period: str, page: PageRequest, at: date | None = None, now: datetime | None = None
) -> EntryPage:
    """One page of a board's period, ranked 1..N without gaps."""
    window = leaderboard_window(board_id=board.pk, period=period, at=at, now=now)
    found = _from_redis(
        board, window, lambda: ranking.page(window, offset=page.offset, limit=page.limit, names=_names()), now
    )
    if found is not None:
        return EntryPage(entries=_entries(board, found.entries), total=found.total)
    return _page_from_database(board, window, page)


def leaderboard_entry(
    *,
    board: Board,
    period: str,
    user_id: int,
    username: str | None = None,
    at: date | None = None,
    now: datetime | None = None,
) -> Entry | None:
    """A user's entry on a board, or None when they have none. A caller that
    knows the username saves looking it up."""
    known = {user_id: username} if username else None
    own, _around = leaderboard_around(
        board=board, period=period, user_id=user_id, radius=0, at=at, now=now, known=known
    )
    return own


def leaderboard_around(
    *,
    board: Board,
    period: str,
    user_id: int,
    radius: int,
    at: date | None = None,
    now: datetime | None = None,
    known=None,
) -> tuple[Entry | None, list[Entry]]:
    """A user's entry and the entries from their rank - radius to rank + radius."""
    window = leaderboard_window(board_id=board.pk, period=period, at=at, now=now)
    found = _from_redis(
        board, window, lambda: ranking.around(window, user_id=user_id, radius=radius, names=_names()), now
    )
    if found is not None:
        own, around = found
        if own is None:
            return None, []
        entries = _entries(board, around, known=known)
        return next(entry for entry in entries if entry.user_id == user_id), entries
    return _around_from_database(board, window, user_id, radius)


def leaderboard_friends(
    *, board: Board, period: str, usernames: list[str], at: date | None = None, now: datetime | None = None
) -> list[Entry]:
    """The entries of the named players (any case), each with its rank on the
    whole board, best first; names that are unknown or have no entry are
    left out. One SQL query and one Redis round trip, or one SQL query
    without Redis."""
    window = leaderboard_window(board_id=board.pk, period=period, at=at, now=now)
    if ranking.enabled() and not window.is_over(now or timezone.now()):
        players = user_ids_by_usernames(usernames)
        found = _from_redis(board, window, lambda: ranking.ranks_of(window, user_ids=list(players)), now)
        if found is not None:
            return _entries(board, found, known=players)
    return _friends_from_database(board, window, usernames)


# --- The same reads in wire form, for the hot paths ------------------------------------------


def leaderboard_page_json(
    *, board: Board, period: str, page: PageRequest, at: date | None = None, now: datetime | None = None
) -> ranking_json.PageJson:
    """leaderboard_page as JSON text: from one Redis round trip, which writes
    the entries itself (scores.ranking_json), or from PostgreSQL."""
    window = leaderboard_window(board_id=board.pk, period=period, at=at, now=now)
    read = _named(lambda: ranking_json.page(board, window, offset=page.offset, limit=page.limit, names=_names()))
    found = _from_redis(board, window, read, now)
    if found is not None:
        return found
    written = ranking_sql.page_json_and_size(board, window, offset=page.offset, limit=page.limit)
    if written is not None:
        return ranking_json.PageJson(entries=written[0], total=written[1])
    found = _page_from_database(board, window, page)
    return ranking_json.PageJson(entries=wire_json([entry_wire(entry) for entry in found.entries]), total=found.total)


def leaderboard_place_json(
    *, board: Board, period: str, user_id: int, radius: int, at: date | None = None, now: datetime | None = None
) -> ranking_json.PlaceJson:
    """leaderboard_around as JSON text (`me`)."""
    window = leaderboard_window(board_id=board.pk, period=period, at=at, now=now)
    read = _named(lambda: ranking_json.place(board, window, user_id=user_id, radius=radius, names=_names()))
    found = _from_redis(board, window, read, now)
    if found is not None:
        return found
    own, around = _around_from_database(board, window, user_id, radius)
    return ranking_json.PlaceJson(
        entry=wire_json(entry_wire(own)) if own else "null", around=wire_json([entry_wire(entry) for entry in around])
    )


def leaderboard_entry_json(
    *, board: Board, period: str, username: str, at: date | None = None, now: datetime | None = None
) -> str | None:
    """The entry of the player with this username (any case) as JSON text,
    or None when nobody by that name has one: the name, the rank and the
    entry in one Redis round trip when Redis knows the name."""
    window = leaderboard_window(board_id=board.pk, period=period, at=at, now=now)
    ref_key = username_ref_key(username)

    def read() -> tuple[str | None]:
        try:
            return (ranking_json.entry_by_name(board, window, ref_key=ref_key),)
        except ranking_json.UnknownName:
            if user_ref_for_username(username) is None:  # kept for the next read when there is one
                return (None,)
            return (ranking_json.entry_by_name(board, window, ref_key=ref_key),)

    if user_caching():
        found = _from_redis(board, window, read, now)
        if found is not None:
            return found[0]
    # The name, the rank and the entry in one query.
    found = _friends_from_database(board, window, [username])
    return wire_json(entry_wire(found[0])) if found else None


def _named(read):
    """`read()`, again once the usernames it lacked are kept (one query);
    if it still lacks some, PostgreSQL answers."""

    def reading():
        try:
            return read()
        except ranking_json.NamesMissing as missing:
            usernames_by_id(missing.user_ids)
        try:
            return read()
        except ranking_json.NamesMissing as missing:
            raise ranking.RankingUnavailable(f"no username for users {missing.user_ids[:5]}") from None

    return reading


def rank_of_new_entry(*, period: BoardPeriod, user_id: int, best: Best) -> int:
    """The rank an entry just written in the current transaction has.

    Redis knows every committed entry, all of which reached their value
    before this one: those at least as good are ahead (the user's own older
    entry aside). Without Redis, count in PostgreSQL, where the transaction
    sees its own write."""
    if ranking.enabled() and period not in stale_boards():
        try:
            return (
                ranking.count_ahead_of(period, user_id=user_id, rank_key=best.rank_key, subrank_key=best.subrank_key)
                + 1
            )
        except (ranking.RankingUnavailable, ranking.BoardNotBuilt):
            pass
    return ranking_sql.count_ahead(period, best.rank_key, best.subrank_key, best.achieved_at, user_id) + 1


def rank_of_existing_entry(*, period: BoardPeriod, user_id: int) -> int | None:
    """The rank of a user's committed entry (None if they have none). Redis
    may lack an entry for a moment while a rebuild catches up: PostgreSQL
    answers then."""
    if ranking.enabled() and period not in stale_boards():
        try:
            own, _ = ranking.around(period, user_id=user_id, radius=0)
            if own is not None:
                return own.rank
        except (ranking.RankingUnavailable, ranking.BoardNotBuilt):
            pass
    best = ranking_sql.entry_keys(period, user_id)
    if best is None:
        return None
    return ranking_sql.count_ahead(period, *best, user_id) + 1


# --- Redis path ----------------------------------------------------------------------


def _from_redis(board: Board, period: BoardPeriod, read, now: datetime | None):
    """`read()` from Redis, rebuilding a missing or stale board first; None
    means read PostgreSQL (as for every period that is over)."""
    if not ranking.enabled() or period.is_over(now or timezone.now()):
        return None
    try:
        if period in stale_boards() and not rebuild_board(period, game_id=board.game_id):
            return None  # another process is rebuilding it
        try:
            return read()
        except ranking.BoardNotBuilt:
            if rebuild_board(period, game_id=board.game_id):
                return read()
            return None  # another process is rebuilding it
    except ranking.RankingUnavailable as exc:
        logger.debug("leaderboard read from PostgreSQL", extra={"reason": str(exc)})
        return None
    except ranking.BoardNotBuilt:
        return None


def _names() -> str:
    """What Redis reads ask for the entries' usernames under (none without a shared cache)."""
    return username_key_prefix() if user_caching() else ""


def _entries(board: Board, ranked: list[ranking.RankedEntry], known: dict[int, str] | None = None) -> list[Entry]:
    """Entries with their usernames: those the read brought, those the
    caller knows, and one lookup for the rest."""
    known = {entry.user_id: entry.username for entry in ranked if entry.username is not None} | (known or {})
    names = {**usernames_by_id([entry.user_id for entry in ranked if entry.user_id not in known]), **known}
    return [
        Entry(
            rank=entry.rank,
            user_id=entry.user_id,
            username=names.get(entry.user_id, ""),
            value=board.value_of(entry.rank_key),
            subscore=board.subscore_of(entry.subrank_key),
            achieved_at=entry.achieved_at,
        )
        for entry in ranked
        if entry.user_id in names
    ]


# --- The database path --------------------------------------------------------------------

# The ranking, as the ranking index orders it (the admin lists entries so too).
RANKING = ranking_sql.RANKING


def _page_from_database(board: Board, period: BoardPeriod, page: PageRequest) -> EntryPage:
    ranked, total = ranking_sql.page_and_size(period, offset=page.offset, limit=page.limit)
    return EntryPage(entries=_entries(board, ranked), total=total)


def _around_from_database(
    board: Board, period: BoardPeriod, user_id: int, radius: int
) -> tuple[Entry | None, list[Entry]]:
    found = ranking_sql.around(period, user_id, radius)
    if found is None:
        return None, []
    _rank, ranked = found
    window = _entries(board, ranked)
    own = next((entry for entry in window if entry.user_id == user_id), None)
    return own, window


def _friends_from_database(board: Board, period: BoardPeriod, usernames: list[str]) -> list[Entry]:
    return [
        Entry(
            rank=row.rank,
            user_id=row.user_id,
            username=row.username,
            value=board.value_of(row.rank_key),
            subscore=board.subscore_of(row.subrank_key),
            achieved_at=row.achieved_at,
        )
        for row in ranking_sql.friends(period, usernames)
    ]
