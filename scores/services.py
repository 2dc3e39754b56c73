"""Writes of scores: submission and moderation, the only code that changes them.

A submission is one transaction: the score row, the player's bests on the
four current boards (an upsert that only ever improves them) and, with an
`Idempotency-Key`, the stored response. Redis and the caches follow after
the commit, so a rollback leaves nothing behind in them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from config.errors import AppError, Conflict, ValidationFailed
from games.models import Game
from realtime import broadcast
from scores import page_cache, ranking, selectors
from scores.models import Best, IdempotencyRecord, Period, Score
from scores.periods import Board, boards_at, period_end
from scores.rebuild import mark_stale
from scores.serializers import submission_wire

logger = logging.getLogger(__name__)

IDEMPOTENCY_WINDOW = timedelta(hours=24)
TOP_TEN = 10


@dataclass(frozen=True)
class SubmissionResult:
    """The 201 of a submission, or the stored first response to a repeated key."""

    status: int
    body: dict[str, Any]
    replayed: bool


def submit_score(
    *, game: Game, user: User, value: int, metadata: dict[str, Any], idempotency_key: str | None = None
) -> SubmissionResult:
    """Accept a score and report the player's all-time rank and personal best.

    Raises ValidationFailed for a value outside the game's bounds, Conflict
    for an inactive game or a key reused with a different body. Safe when one
    player submits from several processes at once: their submissions for a
    game are serialised by a lock, so `previousBest` is exact."""
    fingerprint = _fingerprint(game, value, metadata)
    for _attempt in range(2):
        try:
            return _submit_once(game, user, value, metadata, idempotency_key, fingerprint)
        except _KeyTaken:
            # The key was used before (a retry) or just now by a concurrent
            # request, which won; this submission was rolled back.
            replay = _stored_response(user, idempotency_key, fingerprint)
            if replay is not None:
                return replay
            # The record had outlived its 24 hours and is gone: go again.
    raise Conflict("This Idempotency-Key is in use; retry.")


@transaction.atomic
def _submit_once(game, user, value, metadata, idempotency_key, fingerprint) -> SubmissionResult:
    _lock_player(game, user)
    _refuse_unacceptable(game, value, replay=(user, idempotency_key, fingerprint))
    result, improved = _record_submission(game, user, value, metadata)
    if idempotency_key:
        _claim_key(user, idempotency_key, fingerprint, result)
    transaction.on_commit(lambda: _publish(game, result, improved), robust=True)
    return result


def delete_score(*, score: Score) -> None:
    """Moderation: remove a score and recompute its player's bests on the
    boards it counted on, in PostgreSQL and then in Redis."""
    game, user_id = score.game, score.user_id
    with transaction.atomic():
        _lock_player(game, score.user)
        boards = boards_at(game.pk, score.created_at)
        score.delete()
        recomputed = {board: _recompute_best(game, user_id, board) for board in boards}
        transaction.on_commit(lambda: _publish_moderation(game, user_id, recomputed), robust=True)


def purge_idempotency_records(*, older_than: timedelta = IDEMPOTENCY_WINDOW) -> int:
    """Delete stored responses past their window; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


# --- Submission steps --------------------------------------------------------------


def _refuse_unacceptable(game: Game, value: int, *, replay: tuple[User, str | None, str]) -> None:
    """Raise for an inactive game or a value out of bounds, unless the request
    repeats an earlier key: a repeat gets its first answer even if the game
    has since closed or narrowed its bounds."""
    try:
        _refuse(game, value)
    except AppError:
        user, key, fingerprint = replay
        if key and _stored_response(user, key, fingerprint) is not None:
            raise _KeyTaken from None
        raise


def _refuse(game: Game, value: int) -> None:
    if not game.is_active:
        raise Conflict("This game is not accepting scores.")
    if game.min_score is not None and value < game.min_score:
        raise ValidationFailed.for_field("value", f"value must be at least {game.min_score}.")
    if game.max_score is not None and value > game.max_score:
        raise ValidationFailed.for_field("value", f"value must be at most {game.max_score}.")


def _fingerprint(game: Game, value: int, metadata: dict[str, Any]) -> str:
    canonical = json.dumps({"game": game.pk, "value": value, "metadata": metadata}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_player(game: Game, user: User) -> None:
    """Serialise one player's writes to one game across processes (PostgreSQL
    advisory lock, released at commit). SQLite already serialises every write
    transaction (BEGIN IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_int4(game.pk), _int4(user.pk)])


def _int4(number: int) -> int:
    return (number + 2**31) % 2**32 - 2**31


def _record_submission(
    game: Game, user: User, value: int, metadata: dict[str, Any]
) -> tuple[SubmissionResult, dict[Board, tuple[int, datetime]]]:
    """Store the score and the bests it improves; returns the 201 and, for each
    improved board, the (rank_key, achieved_at) Redis must learn after commit."""
    now = timezone.now()
    boards = boards_at(game.pk, now)
    all_time = boards[0]
    previous = (
        Best.objects.filter(game=game, user=user, period=Period.ALL, period_start=all_time.start)
        .values_list("value", flat=True)
        .first()
    )
    score = Score.objects.create(game=game, user=user, value=value, metadata=metadata, created_at=now)
    rank_key = -value if game.higher_is_better else value
    improved = _upsert_bests(game, user, boards, value=value, rank_key=rank_key, achieved_at=now)
    if all_time in improved:
        rank = selectors.rank_of_new_best(
            game=game, board=all_time, user_id=user.pk, rank_key=rank_key, achieved_at=now
        )
    else:
        rank = selectors.rank_of_existing_best(game=game, board=all_time, user_id=user.pk)
    body = submission_wire(score=score, rank=rank, personal_best=all_time in improved, previous_best=previous)
    return SubmissionResult(status=201, body=body, replayed=False), dict.fromkeys(improved, (rank_key, now))


def _upsert_bests(
    game: Game, user: User, boards: list[Board], *, value: int, rank_key: int, achieved_at: datetime
) -> set[Board]:
    """Insert or improve the player's best on each board, in one statement
    that never makes a best worse; returns the boards it improved."""
    ops = connection.ops
    table = Best._meta.db_table
    rows, params = [], []
    for board in boards:
        rows.append("(%s, %s, %s, %s, %s, %s, %s)")
        params += [
            game.pk,
            user.pk,
            board.period,
            ops.adapt_datefield_value(board.start),
            value,
            rank_key,
            ops.adapt_datetimefield_value(achieved_at),
        ]
    sql = (
        f"INSERT INTO {table} (game_id, user_id, period, period_start, value, rank_key, achieved_at) "  # noqa: S608 - our table; values are parameters
        f"VALUES {', '.join(rows)} "
        "ON CONFLICT (game_id, period, period_start, user_id) DO UPDATE SET "
        "value = EXCLUDED.value, rank_key = EXCLUDED.rank_key, achieved_at = EXCLUDED.achieved_at "
        f"WHERE EXCLUDED.rank_key < {table}.rank_key "
        "RETURNING period"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        improved_periods = {row[0] for row in cursor.fetchall()}
    return {board for board in boards if board.period in improved_periods}


# --- Idempotency -----------------------------------------------------------------


class _KeyTaken(Exception):
    pass


def _stored_response(user: User, key: str, fingerprint: str) -> SubmissionResult | None:
    """The first response to this key, or None (no record, or an expired one,
    which is deleted). Raises Conflict for the key with another body."""
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is None:
        return None
    if record.created_at < timezone.now() - IDEMPOTENCY_WINDOW:
        record.delete()
        return None
    if record.fingerprint != fingerprint:
        raise Conflict.for_field("Idempotency-Key", "This Idempotency-Key was already used with a different body.")
    return SubmissionResult(status=record.status_code, body=record.response_body, replayed=True)


def _claim_key(user: User, key: str, fingerprint: str, result: SubmissionResult) -> None:
    """Store the response under the key, or raise _KeyTaken when the key
    already has one (one INSERT … ON CONFLICT DO NOTHING: no savepoint, and a
    concurrent request with the same key waits on it until the first commits)."""
    table = IdempotencyRecord._meta.db_table
    body = IdempotencyRecord._meta.get_field("response_body").get_db_prep_save(result.body, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, key, fingerprint, status_code, response_body, created_at) "  # noqa: S608 - our table; values are parameters
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
            [user.pk, key, fingerprint, result.status, body, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        if cursor.fetchone() is None:
            raise _KeyTaken


# --- Moderation --------------------------------------------------------------------


def _recompute_best(game: Game, user_id: int, board: Board) -> tuple[int, datetime] | None:
    """Set the player's best on `board` from their remaining scores; returns
    (rank_key, achieved_at) or None when no score is left there."""
    scores = Score.objects.filter(game=game, user_id=user_id)
    if board.period != Period.ALL:
        start, end = (
            datetime.combine(day, time(), tzinfo=UTC) for day in (board.start, period_end(board.period, board.start))
        )
        scores = scores.filter(created_at__gte=start, created_at__lt=end)
    order = "-value" if game.higher_is_better else "value"
    best = scores.order_by(order, "created_at").values_list("value", "created_at").first()
    rows = Best.objects.filter(game=game, user_id=user_id, period=board.period, period_start=board.start)
    if best is None:
        rows.delete()
        return None
    value, achieved_at = best
    rank_key = -value if game.higher_is_better else value
    updated = rows.update(value=value, rank_key=rank_key, achieved_at=achieved_at)
    if not updated:
        Best.objects.create(
            game=game,
            user_id=user_id,
            period=board.period,
            period_start=board.start,
            value=value,
            rank_key=rank_key,
            achieved_at=achieved_at,
        )
    return rank_key, achieved_at


# --- After the commit -----------------------------------------------------------------


def _publish(game: Game, result: SubmissionResult, improved: dict[Board, tuple[int, datetime]]) -> None:
    if improved and ranking.enabled():
        try:
            ranking.record_bests(improved, user_id=result.body["score"]["user"]["id"])
        except ranking.RankingUnavailable as exc:
            logger.warning("leaderboards not updated in Redis", extra={"game_id": game.pk, "error": str(exc)})
            for board in improved:
                mark_stale(board)
    page_cache.bump(game.pk)
    body = result.body
    broadcast.score_accepted(
        game=game,
        score=body["score"],
        rank=body["rank"],
        personal_best=body["personalBest"],
        previous_best=body["previousBest"],
        # A better all-time best at rank 10 or above reshapes the top 10.
        top_ten_changed=body["personalBest"] and body["rank"] <= TOP_TEN,
    )


def _publish_moderation(game: Game, user_id: int, recomputed: dict[Board, tuple[int, datetime] | None]) -> None:
    for board, best in recomputed.items() if ranking.enabled() else ():
        try:
            ranking.replace_entry(board, user_id=user_id, best=best)
        except ranking.RankingUnavailable as exc:
            logger.warning("leaderboard not updated in Redis", extra={"board": str(board), "error": str(exc)})
            mark_stale(board)
    page_cache.bump(game.pk)
    broadcast.leaderboard_changed(game=game)
