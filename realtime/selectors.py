"""Reads the realtime side needs: what a snapshot shows. Synchronous (ORM);
consumers call them through database_sync_to_async."""

from __future__ import annotations

from config.api.query import PageRequest
from config.api.rendering import to_camel_case
from games.selectors import listed_games
from scores.models import Board, Period
from scores.selectors import leaderboard_page
from scores.serializers import EntrySerializer

TOP = PageRequest(page=1, limit=10)


def top_ten(board: Board) -> list[dict]:
    """A board's all-time top 10 as the wire shows entries (camelCase)."""
    entries = leaderboard_page(board=board, period=Period.ALL, page=TOP).entries
    return to_camel_case(EntrySerializer(entries, many=True).data)


def lobby_games() -> list[tuple[int, str]]:
    """(id, slug) of every listed game, newest first."""
    return list(listed_games().order_by("-created_at", "-pk").values_list("pk", "slug"))
