"""Requests these tests make on a game's boards (CONTRACT §9)."""

from tests.leaderboards.playing import _credentials, _shared_client


def board_url(game, key: str, tail: str = "") -> str:
    return f"/api/v1/games/{game.slug}/boards/{key}/{tail}"


def make_board(game, **fields) -> str:
    """Create a board as the game's owner; its key."""
    response = _shared_client().post(
        f"/api/v1/games/{game.slug}/boards/", fields, format="json", **_credentials(game.owner)
    )
    assert response.status_code == 201, response.content
    return response.json()["data"]["key"]


def post_to(game, key: str, user, value: int, subscore: int | None = None):
    body = {"value": value} if subscore is None else {"value": value, "subscore": subscore}
    return _shared_client().post(board_url(game, key, "scores/"), body, format="json", **_credentials(user))


def submit_to(game, key: str, user, value: int, subscore: int | None = None) -> dict:
    response = post_to(game, key, user, value, subscore)
    assert response.status_code == 201, response.content
    return response.json()["data"]


def entries_of(game, key: str, as_user=None, **params) -> list[tuple[int, str, int, int | None]]:
    """(rank, username, value, subscore) of a board's first page."""
    response = _shared_client().get(
        board_url(game, key, "leaderboard/"), {"limit": 100, **params}, **_credentials(as_user)
    )
    assert response.status_code == 200, response.content
    return [
        (entry["rank"], entry["user"]["username"], entry["value"], entry["subscore"])
        for entry in response.json()["data"]
    ]
