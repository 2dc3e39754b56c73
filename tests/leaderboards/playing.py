"""What players and readers do in these tests, over HTTP, and the ranking
CONTRACT §6 promises, recomputed in plain Python from what was submitted."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import hypothesis
from django.utils import timezone
from hypothesis import HealthCheck

from accounts.services import issue_tokens
from scores.boards import default_board
from scores.periods import period_containing
from scores.ranking import board_key
from tests.conftest import CommittingAPIClient

_client: CommittingAPIClient | None = None


def _shared_client() -> CommittingAPIClient:
    """One client for every request of these tests: a client loads Django's
    middleware (WhiteNoise scans every static file) on its first request,
    which would dwarf the request itself. Each request carries its own
    credentials and no cookie survives it."""
    global _client
    if _client is None:
        _client = CommittingAPIClient()
    _client.cookies.clear()
    return _client


def _credentials(user) -> dict[str, str]:
    """A bearer token issued now (at the possibly travelled time)."""
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_tokens(user=user).access}"} if user is not None else {}


def redis_key(game, period: str = "all", at: datetime | None = None) -> str:
    """The Redis sorted set holding the game's default board for `period`."""
    return board_key(period_containing(default_board(game).pk, period, at or timezone.now()))


def scores_url(game) -> str:
    return f"/api/v1/games/{game.slug}/scores/"


def leaderboard_url(game, tail: str = "") -> str:
    return f"/api/v1/games/{game.slug}/leaderboard/{tail}"


def me_url(game) -> str:
    return leaderboard_url(game, "me/")


def player_url(game, username: str) -> str:
    return leaderboard_url(game, f"users/{username}/")


def post_score(game, user, value: int):
    """POST `value` to the game's scores as `user`; the response."""
    return _shared_client().post(scores_url(game), {"value": value}, format="json", **_credentials(user))


def submit(game, user, value: int) -> dict:
    """Submit `value` as `user`; the 201's `data`."""
    response = post_score(game, user, value)
    assert response.status_code == 201, response.content
    return response.json()["data"]


def read(url: str, as_user=None, **params):
    """GET `url` with query `params`, anonymously or signed in `as_user`."""
    return _shared_client().get(url, params, **_credentials(as_user))


def delete(url: str, as_user):
    return _shared_client().delete(url, **_credentials(as_user))


def board_page(game, **params) -> dict:
    """The whole 200 body of a leaderboard page."""
    response = read(leaderboard_url(game), **params)
    assert response.status_code == 200, response.content
    return response.json()


def board(game, **params) -> list[dict]:
    """The entries of one leaderboard page (all of a small board by default)."""
    return board_page(game, **{"limit": 100, **params})["data"]


PAGE_META = ("page", "limit", "total", "pages", "hasNext", "hasPrev")
# What a list's `meta` says of the all-time period (CONTRACT §9).
ALL_TIME_META = {"period": "all", "periodStart": None, "periodEnd": None, "nextResetAt": None}


def page_meta(meta: dict) -> dict:
    """The page part of a leaderboard list's `meta`."""
    return {key: meta[key] for key in PAGE_META}


def standings(entries: list[dict]) -> list[tuple[int, str, int]]:
    """(rank, username, value) of each entry."""
    return [(entry["rank"], entry["user"]["username"], entry["value"]) for entry in entries]


def moment(text: str) -> datetime:
    """A timestamp of the wire, which must be UTC written with `Z`."""
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class Accepted:
    """One accepted submission, as its 201 told it."""

    user_id: int
    username: str
    value: int
    at: datetime
    subscore: int | None = None

    @classmethod
    def from_201(cls, data: dict) -> Accepted:
        score = data["score"]
        return cls(
            score["user"]["id"],
            score["user"]["username"],
            score["value"],
            moment(score["createdAt"]),
            score.get("subscore"),
        )


def calendar_period(period: str, moment: datetime) -> date | None:
    """The first day of the UTC calendar period holding `moment` (None: all time)."""
    day = moment.date()
    return {
        "all": None,
        "day": day,
        "week": day - timedelta(days=day.isoweekday() - 1),
        "month": day.replace(day=1),
    }[period]


def expected_entries(
    accepted: list[Accepted], *, order: str, period: str = "all", now: datetime | None = None
) -> list[tuple[int, int, str, int, datetime]]:
    """(rank, user id, username, value, achievedAt) of the board these
    submissions make in the `period` holding `now`: each player's best by
    `order`, reached at the first submission of it; ties to whoever reached
    the value first."""
    return [entry[:5] for entry in expected_board(accepted, order=order, period=period, now=now)]


def expected_board(
    accepted: list[Accepted],
    *,
    order: str,
    operator: str = "best",
    subscore_order: str | None = None,
    period: str = "all",
    now: datetime | None = None,
) -> list[tuple[int, int, str, int, datetime, int | None]]:
    """(rank, user id, username, value, achievedAt, subscore) of the board
    these submissions make in the `period` holding `now`, recomputed in
    plain Python from CONTRACT §9: `best` keeps the better (value, subscore)
    pair, reached at its first submission; `latest` the newest submission;
    `sum` the total, with the latest subscore and the time of the last
    submission. Ranked by value, then subscore, then time, then user id."""

    def key(value: int, subscore: int | None) -> tuple[int, int]:
        turned = -value if order == "desc" else value
        if subscore_order is None:
            return turned, 0
        return turned, -subscore if subscore_order == "desc" else subscore

    current = calendar_period(period, now) if now is not None else None
    entries: dict[int, Accepted] = {}
    for submission in sorted(accepted, key=lambda item: item.at):
        if calendar_period(period, submission.at) != current:
            continue
        held = entries.get(submission.user_id)
        if held is None or operator == "latest":
            entries[submission.user_id] = submission
        elif operator == "sum":
            entries[submission.user_id] = replace(submission, value=held.value + submission.value)
        elif key(submission.value, submission.subscore) < key(held.value, held.subscore):
            entries[submission.user_id] = submission
    ranked = sorted(entries.values(), key=lambda item: (*key(item.value, item.subscore), item.at, item.user_id))
    return [
        (rank, item.user_id, item.username, item.value, item.at, item.subscore)
        for rank, item in enumerate(ranked, start=1)
    ]


def as_read(entries: list[dict]) -> list[tuple[int, int, str, int, datetime]]:
    """Entries read over HTTP in the shape of `expected_entries`."""
    return [
        (entry["rank"], entry["user"]["id"], entry["user"]["username"], entry["value"], moment(entry["achievedAt"]))
        for entry in entries
    ]


def refused_field(response, status: int = 400) -> str:
    """The one field a refused request names."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "VALIDATION_ERROR"
    return body["error"]["details"][0]["field"]


# --- For the property tests (hypothesis) -----------------------------------------

PROPERTY_EXAMPLES = hypothesis.settings(
    max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
