"""What the admin's pages need from games beyond its ModelAdmin: a count with
thousands separators, and the index page's "players now" module."""

from django import template

from games.selectors import listed_games
from realtime.presence import player_counts

register = template.Library()

INDEX_GAMES = 20


@register.filter(name="count")
def count(value) -> str:
    return f"{int(value):,}"


@register.inclusion_tag("admin/games/players_now.html", takes_context=True)
def players_now(context) -> dict:
    """The newest listed games with their live players, for an operator who
    may view games: one query and one presence read, however many games."""
    user = context["request"].user
    if not (user.has_perm("games.view_game") or user.has_perm("games.change_game")):
        return {"visible": False}
    games = list(listed_games().order_by("-created_at", "-id")[: INDEX_GAMES + 1])
    shown = games[:INDEX_GAMES]
    counts = player_counts([game.pk for game in shown])
    return {
        "visible": True,
        "rows": [{"game": game, "count": counts[game.pk]} for game in shown],
        "more": len(games) > INDEX_GAMES,
    }
