"""Writes of scores: submission and moderation, the only code that changes them.

A submission is one transaction: the score row, the player's entries in the
board's four current periods (one upsert that applies the board's operator:
keep the better, take the newest, or add) and, with an `Idempotency-Key`,
the stored response. Redis and the caches follow after the commit, so a
rollback leaves nothing behind in them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from accounts.models import User
from config.api.fields import MAX_SAFE_INTEGER
from config.errors import AppError, Conflict, ValidationFailed
from games.models import ScoreOrder
from realtime import broadcast
from scores import page_cache, ranking, selectors
from scores.models import Best, Board, IdempotencyRecord, Operator, Period, Score
from scores.periods import BoardPeriod, period_start, periods_at
from scores.ranking import StoredEntry
from scores.rebuild import mark_stale
from scores.serializers import submission_wire

logger = logging.getLogger(__name__)

IDEMPOTENCY_WINDOW = timedelta(hours=24)
TOP_TEN = 10


@dataclass(frozen=True)
class SubmissionResult:
    """An accepted submission in wire form (submission_wire), or the stored
    first one of a repeated key (`replayed`)."""

    body: dict[str, Any]
    replayed: bool


def submit_score(
    *,
    board: Board,
    user: User,
    value: int,
    subscore: int | None = None,
    metadata: dict[str, Any],
    idempotency_key: str | None = None,
) -> SubmissionResult:
    """Accept a score on `board` and report the player's all-time rank and
    whether their entry improved.

    Raises ValidationFailed for a value outside the board's bounds, a missing
    or unwanted subscore, or a total beyond ±(2**53 - 1); Conflict for an
    inactive game or a key reused with a different body. Safe when one
    player submits from several processes at once: their submissions to a
    board are serialised by a lock, so `previousBest` is exact and no
    addition to a sum is lost."""
    fingerprint = _fingerprint(board, value, subscore, metadata)
    for _attempt in range(2):
        try:
            return _submit_once(board, user, value, subscore, metadata, idempotency_key, fingerprint)
        except _KeyTaken:
            # The key was used before (a retry) or just now by a concurrent
            # request, which won; this submission was rolled back.
            replay = _stored_response(user, idempotency_key, fingerprint)
            if replay is not None:
                return replay
            # The record had outlived its 24 hours and is gone: go again.
    raise Conflict("This Idempotency-Key is in use; retry.")


@transaction.atomic
def _submit_once(board, user, value, subscore, metadata, idempotency_key, fingerprint) -> SubmissionResult:
    _lock_player(board, user)
    _refuse_unacceptable(board, value, subscore, replay=(user, idempotency_key, fingerprint))
    result, changed = _record_submission(board, user, value, subscore, metadata)
    if idempotency_key:
        _claim_key(user, idempotency_key, fingerprint, result)
    transaction.on_commit(lambda: _publish(board, result, changed), robust=True)
    return result


def delete_score(*, score: Score) -> None:
    """Moderation: remove a score and recompute its player's entries in the
    periods it counted in, in PostgreSQL and then in Redis."""
    board, user_id = score.board, score.user_id
    with transaction.atomic():
        _lock_player(board, score.user)
        periods = periods_at(board.pk, score.created_at)
        score.delete()
        recomputed = {period: _recompute_entry(board, user_id, period) for period in periods}
        transaction.on_commit(lambda: _publish_moderation(board, user_id, recomputed), robust=True)


def purge_idempotency_records(*, older_than: timedelta = IDEMPOTENCY_WINDOW) -> int:
    """Delete stored responses past their window; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


PURGE_BATCH = 5_000


def purge_past_periods(*, days: int, today: date | None = None) -> int:
    """Delete the entries of every day, week and month that ended more than
    `days` days ago, in batches (short transactions, no long lock); returns
    how many. Scores are kept, and nothing cached is affected: only current
    periods are cached or kept in Redis."""
    cutoff = datetime.combine((today or timezone.now().date()) - timedelta(days=days), time(), tzinfo=UTC)
    deleted = 0
    for period in (Period.DAY, Period.WEEK, Period.MONTH):
        # A period is over `days` days when it ended by the cutoff, which is
        # exactly when it started before the period containing the cutoff.
        old = Best.objects.filter(period=period, period_start__lt=period_start(period, cutoff))
        while batch := list(old.values_list("pk", flat=True)[:PURGE_BATCH]):
            deleted += Best.objects.filter(pk__in=batch).delete()[0]
    return deleted


# --- Submission steps --------------------------------------------------------------


def _refuse_unacceptable(
    board: Board, value: int, subscore: int | None, *, replay: tuple[User, str | None, str]
) -> None:
    """Raise for an inactive game, a value out of bounds or a subscore the
    board wants and did not get (or the other way round), unless the request
    repeats an earlier key: a repeat gets its first answer even if the game
    has since closed or the board narrowed its bounds."""
    try:
        _refuse(board, value, subscore)
    except AppError:
        user, key, fingerprint = replay
        if key and _stored_response(user, key, fingerprint) is not None:
            raise _KeyTaken from None
        raise


def _refuse(board: Board, value: int, subscore: int | None) -> None:
    if not board.game.is_active:
        raise Conflict("This game is not accepting scores.")
    if board.min_score is not None and value < board.min_score:
        raise ValidationFailed.for_field("value", f"value must be at least {board.min_score}.")
    if board.max_score is not None and value > board.max_score:
        raise ValidationFailed.for_field("value", f"value must be at most {board.max_score}.")
    if board.has_subscore and subscore is None:
        raise ValidationFailed.for_field("subscore", "This board ranks ties by a subscore: send an integer subscore.")
    if not board.has_subscore and subscore is not None:
        raise ValidationFailed.for_field("subscore", "This board has no subscore; leave it out.")


def _fingerprint(board: Board, value: int, subscore: int | None, metadata: dict[str, Any]) -> str:
    if board.is_default and subscore is None:
        # As before boards: a retry sent across the upgrade still replays.
        body = {"game": board.game_id, "value": value, "metadata": metadata}
    else:
        body = {"board": board.pk, "value": value, "subscore": subscore, "metadata": metadata}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _lock_player(board: Board, user: User) -> None:
    """Serialise one player's writes to one board across processes (PostgreSQL
    advisory lock, released at commit). SQLite already serialises every write
    transaction (BEGIN IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_int4(board.pk), _int4(user.pk)])


def _int4(number: int) -> int:
    return (number + 2**31) % 2**32 - 2**31


def _record_submission(
    board: Board, user: User, value: int, subscore: int | None, metadata: dict[str, Any]
) -> tuple[SubmissionResult, dict[BoardPeriod, StoredEntry]]:
    """Store the score and the entries it changes; returns the 201 and, for
    each changed period, the entry Redis must learn after commit."""
    now = timezone.now()
    periods = periods_at(board.pk, now)
    all_time = periods[0]
    previous = (
        Best.objects.filter(board=board, user=user, period=Period.ALL, period_start=all_time.start)
        .values_list("value", "rank_key", "subrank_key")
        .first()
    )
    score = Score.objects.create(
        game_id=board.game_id, board=board, user=user, value=value, subscore=subscore, metadata=metadata, created_at=now
    )
    changed = _upsert_entries(board, user, periods, value=value, subscore=subscore, achieved_at=now)
    if board.operator == Operator.SUM and len(changed) < len(periods):
        # Rolls back the score too: nothing is stored.
        raise ValidationFailed.for_field(
            "value", f"This would take the total beyond ±{MAX_SAFE_INTEGER}; nothing was stored."
        )
    entry = changed.get(all_time)
    if entry is not None:
        rank = selectors.rank_of_new_entry(period=all_time, user_id=user.pk, best=entry)
        improved = previous is None or (entry.rank_key, entry.subrank_key) < previous[1:]
    else:
        rank = selectors.rank_of_existing_entry(period=all_time, user_id=user.pk)
        improved = False
    body = submission_wire(
        score=score,
        board=board,
        rank=rank,
        personal_best=improved,
        previous_best=previous[0] if previous else None,
    )
    return SubmissionResult(body=body, replayed=False), changed


# How each operator changes an existing entry (`scores_best`) with a new
# submission (EXCLUDED), and when: `best` only when the pair (value,
# subscore) is better, `latest` always, `sum` while the total stays a safe
# integer. The version counts every change.
_OPERATOR_UPDATES = {
    Operator.BEST: (
        "value = EXCLUDED.value, subscore = EXCLUDED.subscore, rank_key = EXCLUDED.rank_key, "
        "subrank_key = EXCLUDED.subrank_key, achieved_at = EXCLUDED.achieved_at",
        "(EXCLUDED.rank_key, EXCLUDED.subrank_key) < ({table}.rank_key, {table}.subrank_key)",
    ),
    Operator.LATEST: (
        "value = EXCLUDED.value, subscore = EXCLUDED.subscore, rank_key = EXCLUDED.rank_key, "
        "subrank_key = EXCLUDED.subrank_key, achieved_at = EXCLUDED.achieved_at",
        None,
    ),
    Operator.SUM: (
        "value = {table}.value + EXCLUDED.value, subscore = EXCLUDED.subscore, "
        "rank_key = {table}.rank_key + EXCLUDED.rank_key, subrank_key = EXCLUDED.subrank_key, "
        "achieved_at = EXCLUDED.achieved_at",
        f"ABS({{table}}.value + EXCLUDED.value) <= {MAX_SAFE_INTEGER}",
    ),
}


def _upsert_entries(
    board: Board,
    user: User,
    periods: list[BoardPeriod],
    *,
    value: int,
    subscore: int | None,
    achieved_at: datetime,
) -> dict[BoardPeriod, StoredEntry]:
    """Insert or change the player's entry in each period by the board's
    operator, in one statement; returns the entries it wrote."""
    ops = connection.ops
    table = Best._meta.db_table
    rank_key, subrank_key = board.rank_key(value), board.subrank_key(subscore)
    rows, params = [], []
    for period in periods:
        rows.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1)")
        params += [
            board.game_id,
            board.pk,
            user.pk,
            period.period,
            ops.adapt_datefield_value(period.start),
            value,
            subscore,
            rank_key,
            subrank_key,
            ops.adapt_datetimefield_value(achieved_at),
        ]
    update, condition = _OPERATOR_UPDATES[board.operator]
    sql = (
        f"INSERT INTO {table} (game_id, board_id, user_id, period, period_start, value, subscore, "  # noqa: S608 - our table; values are parameters
        f"rank_key, subrank_key, achieved_at, version) VALUES {', '.join(rows)} "
        f"ON CONFLICT (board_id, period, period_start, user_id) DO UPDATE SET {update.format(table=table)}, "
        f"version = {table}.version + 1 "
        + (f"WHERE {condition.format(table=table)} " if condition else "")
        + "RETURNING period, rank_key, subrank_key, achieved_at, version"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = {row[0]: row[1:] for row in cursor.fetchall()}
    return {
        period: StoredEntry(rank_key=keys[0], subrank_key=keys[1], achieved_at=achieved_at, version=keys[3])
        for period in periods
        if (keys := written.get(period.period)) is not None
    }


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
    return SubmissionResult(body=record.response_body, replayed=True)


def _claim_key(user: User, key: str, fingerprint: str, result: SubmissionResult) -> None:
    """Store the response under the key, or raise _KeyTaken when the key
    already has one (one INSERT … ON CONFLICT DO NOTHING: no savepoint, and a
    concurrent request with the same key waits on it until the first commits)."""
    table = IdempotencyRecord._meta.db_table
    body = IdempotencyRecord._meta.get_field("response_body").get_db_prep_save(result.body, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, key, fingerprint, response_body, created_at) "  # noqa: S608 - our table; values are parameters
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
            [user.pk, key, fingerprint, body, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        if cursor.fetchone() is None:
            raise _KeyTaken


# --- Moderation --------------------------------------------------------------------


def _recompute_entry(board: Board, user_id: int, period: BoardPeriod) -> StoredEntry | None:
    """Set the player's entry in `period` from their remaining scores by the
    board's operator; returns it, or None when no score is left there."""
    scores = Score.objects.filter(board=board, user_id=user_id)
    if period.period != Period.ALL:
        start, end = (datetime.combine(day, time(), tzinfo=UTC) for day in (period.start, period.end))
        scores = scores.filter(created_at__gte=start, created_at__lt=end)
    if board.operator == Operator.BEST:
        by_value = "-value" if board.score_order == ScoreOrder.DESC else "value"
        by_subscore = "-subscore" if board.subscore_order == ScoreOrder.DESC else "subscore"
        kept = scores.order_by(by_value, by_subscore, "created_at").values_list("value", "subscore", "created_at")
        found = kept.first()
    else:
        newest = scores.order_by("-created_at", "-id").values_list("value", "subscore", "created_at").first()
        found = newest
        if newest is not None and board.operator == Operator.SUM:
            totals = scores.aggregate(total=Sum("value"), last=Max("created_at"))
            found = (totals["total"], newest[1], totals["last"])
    rows = Best.objects.filter(board=board, user_id=user_id, period=period.period, period_start=period.start)
    if found is None:
        rows.delete()
        return None
    value, subscore, achieved_at = found
    fields = {
        "value": value,
        "subscore": subscore,
        "rank_key": board.rank_key(value),
        "subrank_key": board.subrank_key(subscore),
        "achieved_at": achieved_at,
    }
    row, created = rows.get_or_create(defaults={"game_id": board.game_id, **fields})
    if not created:
        for field, new in fields.items():
            setattr(row, field, new)
        row.version += 1
        row.save(update_fields=[*fields, "version"])
    return StoredEntry(row.rank_key, row.subrank_key, row.achieved_at, row.version)


# --- After the commit -----------------------------------------------------------------


def _publish(board: Board, result: SubmissionResult, changed: dict[BoardPeriod, StoredEntry]) -> None:
    if changed and ranking.enabled():
        try:
            ranking.record_entries(changed, user_id=result.body["score"]["user"]["id"])
        except ranking.RankingUnavailable as exc:
            logger.warning("leaderboards not updated in Redis", extra={"board_id": board.pk, "error": str(exc)})
            for period in changed:
                mark_stale(period)
    page_cache.bump(board.game_id)
    body = result.body
    broadcast.score_accepted(
        board=board,
        score=body["score"],
        rank=body["rank"],
        personal_best=body["personalBest"],
        previous_best=body["previousBest"],
        # A better best at rank 10 or above reshapes the top 10; a latest
        # value or a total may also have left it.
        top_ten_changed=board.operator != Operator.BEST or (body["personalBest"] and body["rank"] <= TOP_TEN),
    )


def _publish_moderation(board: Board, user_id: int, recomputed: dict[BoardPeriod, StoredEntry | None]) -> None:
    for period, entry in recomputed.items() if ranking.enabled() else ():
        try:
            if entry is None:
                ranking.remove_entry(period, user_id=user_id)
            else:
                ranking.record_entry(period, user_id=user_id, entry=entry)
        except ranking.RankingUnavailable as exc:
            logger.warning("leaderboard not updated in Redis", extra={"board": str(period), "error": str(exc)})
            mark_stale(period)
    page_cache.bump(board.game_id)
    broadcast.leaderboard_changed(board=board)
