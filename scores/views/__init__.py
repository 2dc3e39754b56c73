"""Scores, boards and leaderboards over HTTP, nested under a game. The DRF
viewsets define the API (its schema, and the less frequent requests); the
hottest reads and the submissions are answered by plain views beside them,
which share their code but skip DRF's dispatch."""

from scores.views.boards import BoardViewSet
from scores.views.leaderboards import LeaderboardViewSet, leaderboard, leaderboard_me, leaderboard_user
from scores.views.scores import GameScoreViewSet, scores

__all__ = [
    "BoardViewSet",
    "GameScoreViewSet",
    "LeaderboardViewSet",
    "leaderboard",
    "leaderboard_me",
    "leaderboard_user",
    "scores",
]
