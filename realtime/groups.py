"""Channel-layer group names, built here and nowhere else.

Groups hold server *processes* (their hub's channel), not sockets: a
broadcast crosses Redis once per process and is fanned out locally."""

LOBBY_GROUP = "podium.lobby"


def game_group(game_id: int) -> str:
    return f"podium.game.{game_id}"
