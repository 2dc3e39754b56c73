"""Who is watching each game: live player and connection counts.

Filled by the realtime consumers; until a socket connects every count is 0.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlayerCount:
    players: int = 0
    connections: int = 0


def player_counts(game_ids: list[int]) -> dict[int, PlayerCount]:
    """Current counts for each game (0 for games nobody watches)."""
    return {game_id: PlayerCount() for game_id in game_ids}
