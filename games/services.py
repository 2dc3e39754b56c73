"""Writes of games: creation, changes, activation and archiving."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from config.errors import Conflict, FieldError, ValidationFailed
from games.models import Game
from games.selectors import forget_game
from games.signals import game_changed

SLUG_MAX = 64
SLUG_ATTEMPTS = 50
_SUFFIXED = re.compile(r"^(?P<base>.+)-(?P<n>\d+)$")

EDITABLE_FIELDS = {"name", "description", "score_order", "min_score", "max_score", "metadata", "is_active"}
# Operators (admin) may also hand a game to another owner.
OPERATOR_FIELDS = EDITABLE_FIELDS | {"owner"}


def create_game(*, owner: User, name: str, slug: str | None = None, **fields: Any) -> Game:
    """Create a game owned by `owner`.

    Without a slug one is made from the name, with -2, -3… added until it is
    free; a slug given explicitly that is taken is a Conflict on `slug`."""
    refuse_inverted_bounds(fields.get("min_score"), fields.get("max_score"))
    if slug is not None:
        return _insert(Game(owner=owner, name=name, slug=slug, **fields), explicit_slug=True)
    base = slug_base(name, fallback="game", max_length=SLUG_MAX)
    # Each lost race means another request just took a slug: with k
    # requests for one name at once, the last one succeeds within k tries.
    for _attempt in range(SLUG_ATTEMPTS):
        taken = set(Game.objects.filter(slug__startswith=base).values_list("slug", flat=True))
        game = Game(owner=owner, name=name, slug=free_slug(base, taken), **fields)
        try:
            return _insert(game, explicit_slug=False)
        except _SlugTaken:
            continue
    raise Conflict.for_field("slug", "Could not find a free slug for this name; give one explicitly.")


def check_game_changes(*, game: Game, changes: dict[str, Any]) -> None:
    """Raise the AppError a partial update would meet, without applying it.

    The score order cannot change once the game has scores (every ranking
    would change meaning); bounds apply to new scores only."""
    unknown = set(changes) - OPERATOR_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if (
        "score_order" in changes
        and changes["score_order"] != game.score_order
        and game.scores.filter(board__key="default").exists()
    ):
        # The game's order is its default board's: fixed once that board has scores.
        raise Conflict.for_field("scoreOrder", "The score order cannot change once the game has scores.")
    refuse_inverted_bounds(changes.get("min_score", game.min_score), changes.get("max_score", game.max_score))


def update_game(*, game: Game, changes: dict[str, Any]) -> Game:
    """Apply a partial update (see check_game_changes for what is refused)."""
    check_game_changes(game=game, changes=changes)
    for field, value in changes.items():
        setattr(game, field, value)
    with transaction.atomic():
        game.save(update_fields=[*changes, "updated_at"])
        _forget_cached(game)
    return game


def archive_game(*, game: Game) -> Game:
    """Hide a game everywhere (its scores are kept; `restore_game` undoes it)."""
    if game.archived_at is None:
        game.archived_at = timezone.now()
        _save(game, ["archived_at"])
    return game


def restore_game(*, game: Game) -> Game:
    if game.archived_at is not None:
        game.archived_at = None
        _save(game, ["archived_at"])
    return game


def set_game_active(*, game: Game, active: bool) -> Game:
    """An inactive game is listed and readable but refuses new scores."""
    if game.is_active != active:
        game.is_active = active
        _save(game, ["is_active"])
    return game


class _SlugTaken(Exception):
    pass


def _insert(game: Game, *, explicit_slug: bool) -> Game:
    try:
        with transaction.atomic():
            game.save()
    except IntegrityError:
        if not Game.objects.filter(slug=game.slug).exists():
            raise
        if explicit_slug:
            raise Conflict.for_field("slug", "This slug is already taken.") from None
        raise _SlugTaken from None
    return game


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug_base(name: str, *, fallback: str, max_length: int) -> str:
    """A slug made from a name (lowercase letters and digits joined by single
    hyphens: Django's slugify keeps underscores, which the slug rule does
    not), short enough for a `-N` suffix; `fallback` when nothing is left."""
    words = _NOT_SLUG.sub("-", slugify(name)).strip("-")
    return words[: max_length - 6].strip("-") or fallback


def free_slug(base: str, taken: set[str]) -> str:
    """`base`, or `base-N` with the smallest N ≥ 2 not in `taken` (archived
    games and boards keep theirs)."""
    if base not in taken:
        return base
    suffixes = {int(m["n"]) for slug in taken if (m := _SUFFIXED.match(slug)) and m["base"] == base}
    n = 2
    while n in suffixes:
        n += 1
    return f"{base}-{n}"


def refuse_inverted_bounds(min_score: int | None, max_score: int | None) -> None:
    if min_score is not None and max_score is not None and min_score > max_score:
        message = "minScore must not be greater than maxScore."
        raise ValidationFailed(message, details=[FieldError("minScore", message), FieldError("maxScore", message)])


def _save(game: Game, fields: list[str]) -> None:
    with transaction.atomic():
        game.save(update_fields=[*fields, "updated_at"])
        _forget_cached(game)


def _forget_cached(game: Game) -> None:
    forget_game(game)
    transaction.on_commit(lambda: game_changed.send(sender=Game, game=game), robust=True)
