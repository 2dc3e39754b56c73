"""The server messages of CONTRACT §7, each encoded to JSON text once."""

from __future__ import annotations

import json
from typing import Any

from realtime.presence import PlayerCount


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def snapshot(slug: str, count: PlayerCount, leaderboard: list[dict]) -> str:
    return encode(
        {
            "type": "snapshot",
            "game": slug,
            "players": count.players,
            "connections": count.connections,
            "leaderboard": leaderboard,
        }
    )


def player_count(slug: str, count: PlayerCount) -> str:
    return encode({"type": "player_count", "game": slug, "players": count.players, "connections": count.connections})


def score(slug: str, score_object: dict, rank: int, *, personal_best: bool, previous_best: int | None) -> str:
    """§7's `score`, with the 201's `personalBest` and `previousBest` too: what
    happened to the player's best, which a page needs to say it right."""
    return encode(
        {
            "type": "score",
            "game": slug,
            "board": score_object["board"],
            "score": score_object,
            "rank": rank,
            "personalBest": personal_best,
            "previousBest": previous_best,
        }
    )


def leaderboard(slug: str, board: str, entries: list[dict]) -> str:
    return encode({"type": "leaderboard", "game": slug, "board": board, "leaderboard": entries})


def lobby_snapshot(counts: list[tuple[str, PlayerCount]]) -> str:
    return encode(
        {
            "type": "lobby",
            "games": [
                {"game": slug, "players": count.players, "connections": count.connections} for slug, count in counts
            ],
        }
    )


def error(code: str, message: str) -> str:
    return encode({"type": "error", "code": code, "message": message})


PONG = encode({"type": "pong"})
