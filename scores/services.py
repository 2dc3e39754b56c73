"""Writes of scores: submission and moderation, the only code that changes them.

A submission is one transaction: the score row, the player's entries in the
board's four current periods (one upsert that applies the board's operator:
keep the better, take the newest, or add) and, with an `Idempotency-Key`,
the stored response. Redis and the caches follow after the commit, so a
rollback leaves nothing behind in them.

On PostgreSQL the transaction is one SQL statement (data-modifying CTEs:
the entry before, the score, the upserts, and a refusal that takes them all
back), sent with COMMIT in one round trip after BEGIN and the player's lock
in another (psycopg's pipeline mode; the submission is timed once the lock
is held); then one Redis round trip records the entries, reads the
player's rank and bumps the page version. With an Idempotency-Key the rank
is read before the commit, since the stored response carries it. SQLite,
the embedded default, writes the same rows in steps.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
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
from scores.rebuild import mark_stale, stale_boards
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


def _submit_once(board, user, value, subscore, metadata, idempotency_key, fingerprint) -> SubmissionResult:
    _refuse_unacceptable(board, value, subscore, replay=(user, idempotency_key, fingerprint))

    def start() -> _Submission:  # timed when called: once the player's writes are serialised
        return _Submission(board, user, value, subscore, metadata, now=timezone.now())

    claim = (idempotency_key, fingerprint) if idempotency_key else None
    if connection.vendor == "postgresql":
        return _submit_in_one_statement(board, user, start, claim)
    return _submit_in_steps(start, claim)


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


@dataclass(frozen=True)
class _Submission:
    board: Board
    user: User
    value: int
    subscore: int | None
    metadata: dict[str, Any]
    now: datetime

    @cached_property
    def periods(self) -> list[BoardPeriod]:
        """all, day, week, month: `periods[0]` is all time."""
        return periods_at(self.board.pk, self.now)

    def score(self, pk: int) -> Score:
        return Score(
            pk=pk,
            game_id=self.board.game_id,
            board=self.board,
            user=self.user,
            value=self.value,
            subscore=self.subscore,
            metadata=self.metadata,
            created_at=self.now,
        )


@dataclass(frozen=True)
class _Written:
    """What a submission stored: the score, the player's all-time entry
    before it (value, rank_key, subrank_key) and the entries it changed."""

    score: Score
    previous: tuple[int, int, int] | None
    changed: dict[BoardPeriod, StoredEntry]

    def result(self, board: Board, all_time: BoardPeriod, *, rank: int) -> SubmissionResult:
        entry = self.changed.get(all_time)
        improved = entry is not None and (
            self.previous is None or (entry.rank_key, entry.subrank_key) < self.previous[1:]
        )
        body = submission_wire(
            score=self.score,
            board=board,
            rank=rank,
            personal_best=improved,
            previous_best=self.previous[0] if self.previous else None,
        )
        return SubmissionResult(body=body, replayed=False)

    def rank_from_the_stores(self, all_time: BoardPeriod, user_id: int) -> int:
        """The player's all-time rank, asked of Redis or PostgreSQL apart from the write."""
        entry = self.changed.get(all_time)
        if entry is not None:
            return selectors.rank_of_new_entry(period=all_time, user_id=user_id, best=entry)
        return selectors.rank_of_existing_entry(period=all_time, user_id=user_id)


def _too_large() -> ValidationFailed:
    return ValidationFailed.for_field(
        "value", f"This would take the total beyond ±{MAX_SAFE_INTEGER}; nothing was stored."
    )


# --- PostgreSQL: one statement ------------------------------------------------------

# podium_refuse() raises it (migration 0006): the statement's writes are undone.
_REFUSED = "PD001"
_UNIQUE_VIOLATION = "23505"


def _submit_in_one_statement(
    board: Board, user: User, start: Callable[[], _Submission], claim: tuple[str, str] | None
) -> SubmissionResult:
    """`start()` is called once the player's lock is held, so that a player's
    submissions to a board are timed in the order they are written (an
    equal best keeps the earlier time)."""
    lock = ("SELECT pg_advisory_xact_lock(%s, %s)", [_int4(board.pk), _int4(user.pk)])

    def write(cursor) -> _Submission:
        submission = start()
        cursor.execute(*_submission_statement(submission))
        return submission

    def before_commit(submission, cursor, rows) -> tuple[_Written, SubmissionResult]:
        written = _written(submission, rows)
        return written, _result_before_commit(submission, written, cursor, claim)

    try:
        if connection.in_atomic_block:  # a caller's transaction (tests, scripts): the same SQL, in steps
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(*lock)
                submission = write(cursor)
                written, result = before_commit(submission, cursor, cursor.fetchall())
            transaction.on_commit(lambda: _publish(board, written, result, all_time=submission.periods[0]), robust=True)
            return result
        connection.ensure_connection()
        pg = connection.connection
        result = None
        with connection.wrap_database_errors, pg.pipeline() as pipeline:
            with pg.transaction():
                pg.execute(*lock)
                pipeline.sync()  # BEGIN and the lock: one round trip
                cursor = pg.cursor()
                submission = write(cursor)
                if claim:  # the stored response needs the rank before the commit
                    written, result = before_commit(submission, pg.cursor(), cursor.fetchall())
            if result is None:  # the statement and COMMIT: one round trip
                written = _written(submission, cursor.fetchall())
        return _publish(board, written, result, all_time=submission.periods[0])
    except DatabaseError as exc:
        state = getattr(exc.__cause__, "sqlstate", None)
        if state == _REFUSED:
            raise _too_large() from None
        if state == _UNIQUE_VIOLATION and claim:
            raise _KeyTaken from None
        raise


def _submission_statement(submission: _Submission) -> tuple[str, list]:
    """The statement that stores a submission and returns, in each row, the
    score's id, the all-time entry before (value, rank_key, subrank_key) and
    one entry it wrote (period, rank_key, subrank_key, version)."""
    board, user, periods = submission.board, submission.user, submission.periods
    upsert, upsert_params = _entries_upsert(submission)
    refusal = ""
    if board.operator == Operator.SUM:  # a total beyond the safe range writes fewer entries
        refusal = (
            f"WHERE CASE WHEN (SELECT COUNT(*) FROM entries) = {len(periods)} THEN TRUE "  # noqa: S608 - a count
            "ELSE podium_refuse('total beyond the safe integer range') END"
        )
    sql = (
        f"WITH previous AS (SELECT value, rank_key, subrank_key FROM {Best._meta.db_table} "  # noqa: S608 - our tables; values are parameters
        "WHERE board_id = %s AND period = %s AND period_start = %s AND user_id = %s), "
        f"score AS (INSERT INTO {Score._meta.db_table} (game_id, board_id, user_id, value, subscore, metadata, "
        "created_at) VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s) RETURNING id), "
        f"entries AS ({upsert}) "
        "SELECT score.id, previous.value, previous.rank_key, previous.subrank_key, "
        "entries.period, entries.rank_key, entries.subrank_key, entries.version "
        f"FROM score LEFT JOIN previous ON TRUE LEFT JOIN entries ON TRUE {refusal}"
    )
    all_time = periods[0]
    params = [board.pk, all_time.period, all_time.start, user.pk]
    params += [board.game_id, board.pk, user.pk, submission.value, submission.subscore]
    params += [json.dumps(submission.metadata), submission.now, *upsert_params]
    return sql, params


def _written(submission: _Submission, rows) -> _Written:
    first = rows[0]
    return _Written(
        score=submission.score(first[0]),
        previous=tuple(first[1:4]) if first[1] is not None else None,
        changed=_changed(submission, [row[4:] for row in rows if row[4] is not None]),
    )


def _changed(submission: _Submission, entries) -> dict[BoardPeriod, StoredEntry]:
    """The entries the upsert returned, (period, rank_key, subrank_key, version) each."""
    by_name = {period.period: period for period in submission.periods}
    return {
        by_name[name]: StoredEntry(rank_key, subrank_key, submission.now, version)
        for name, rank_key, subrank_key, version in entries
    }


def _result_before_commit(submission: _Submission, written: _Written, cursor, claim) -> SubmissionResult:
    """The 201, its rank asked before the commit, stored under the key if there is one."""
    all_time, user = submission.periods[0], submission.user
    result = written.result(submission.board, all_time, rank=written.rank_from_the_stores(all_time, user.pk))
    if claim:
        _claim_key(cursor, user, *claim, result)
    return result


# --- SQLite: the same rows, in steps -------------------------------------------------


@transaction.atomic
def _submit_in_steps(start: Callable[[], _Submission], claim: tuple[str, str] | None) -> SubmissionResult:
    """SQLite serialises write transactions itself (BEGIN IMMEDIATE)."""
    submission = start()
    board, user, periods = submission.board, submission.user, submission.periods
    all_time = periods[0]
    previous = (
        Best.objects.filter(board=board, user=user, period=Period.ALL, period_start=all_time.start)
        .values_list("value", "rank_key", "subrank_key")
        .first()
    )
    score = Score.objects.create(
        game_id=board.game_id,
        board=board,
        user=user,
        value=submission.value,
        subscore=submission.subscore,
        metadata=submission.metadata,
        created_at=submission.now,
    )
    sql, params = _entries_upsert(submission)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if board.operator == Operator.SUM and len(rows) < len(periods):
            raise _too_large()  # rolls back the score too: nothing is stored
        written = _Written(score=score, previous=previous, changed=_changed(submission, rows))
        result = _result_before_commit(submission, written, cursor, claim)
    transaction.on_commit(lambda: _publish(board, written, result, all_time=all_time), robust=True)
    return result


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


def _entries_upsert(submission: _Submission) -> tuple[str, list]:
    """The statement that inserts or changes the player's entry in each period
    by the board's operator, returning (period, rank_key, subrank_key,
    version) of each entry it wrote."""
    ops = connection.ops
    table = Best._meta.db_table
    board, user, periods = submission.board, submission.user, submission.periods
    value, subscore = submission.value, submission.subscore
    rank_key, subrank_key = board.rank_key(value), board.subrank_key(subscore)
    achieved_at = ops.adapt_datetimefield_value(submission.now)
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
            achieved_at,
        ]
    update, condition = _OPERATOR_UPDATES[board.operator]
    sql = (
        f"INSERT INTO {table} (game_id, board_id, user_id, period, period_start, value, subscore, "  # noqa: S608 - our table; values are parameters
        f"rank_key, subrank_key, achieved_at, version) VALUES {', '.join(rows)} "
        f"ON CONFLICT (board_id, period, period_start, user_id) DO UPDATE SET {update.format(table=table)}, "
        f"version = {table}.version + 1 "
        + (f"WHERE {condition.format(table=table)} " if condition else "")
        + "RETURNING period, rank_key, subrank_key, version"
    )
    return sql, params


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


def _claim_key(cursor, user: User, key: str, fingerprint: str, result: SubmissionResult) -> None:
    """Store the response under the key in the submission's transaction. A
    key that already has one is a unique violation, which takes the
    submission back: _KeyTaken (raised here, or by the caller when the
    violation comes back with the commit). A concurrent request with the same
    key waits on this row until the first commits."""
    table, now = IdempotencyRecord._meta.db_table, timezone.now()
    try:
        cursor.execute(
            f"INSERT INTO {table} (user_id, key, fingerprint, response_body, created_at) "  # noqa: S608 - our table; values are parameters
            "VALUES (%s, %s, %s, %s, %s)",
            [user.pk, key, fingerprint, _response_body(result), connection.ops.adapt_datetimefield_value(now)],
        )
    except IntegrityError:
        raise _KeyTaken from None


def _response_body(result: SubmissionResult):
    return IdempotencyRecord._meta.get_field("response_body").get_db_prep_save(result.body, connection)


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


def _publish(
    board: Board, written: _Written, result: SubmissionResult | None, *, all_time: BoardPeriod
) -> SubmissionResult:
    """After the commit: Redis learns the changed entries and, when there is
    no `result` yet, tells the player's rank, and the game's page version is
    bumped, in one round trip; then the sockets hear of the score."""
    user_id = written.score.user.pk
    rank, bumped = None, False
    if ranking.enabled():
        rank_in = all_time if result is None and all_time not in stale_boards() else None
        try:
            rank = ranking.record_entries(
                written.changed,
                user_id=user_id,
                rank_in=rank_in,
                also=lambda pipe: page_cache.bump_in(pipe, board.game_id),
            )
            bumped = True
        except ranking.RankingUnavailable as exc:
            logger.warning("leaderboards not updated in Redis", extra={"board_id": board.pk, "error": str(exc)})
            for period in written.changed:
                mark_stale(period)
    if not bumped:
        page_cache.bump(board.game_id)
    if result is None:
        # Not from Redis (down, stale, rebuilding): as before a commit, which
        # also holds after it.
        rank = rank or written.rank_from_the_stores(all_time, user_id)
        result = written.result(board, all_time, rank=rank)
    body = result.body
    broadcast.score_accepted(
        board=board,
        score=body["score"],
        rank=body["rank"],
        personal_best=body["personalBest"],
        previous_best=body["previousBest"],
        top_ten_changed=_top_ten_changed(board, written, all_time, body),
    )
    return result


def _top_ten_changed(board: Board, written: _Written, all_time: BoardPeriod, body: dict) -> bool:
    """Whether the entry's move may have reshaped the board's top 10: it is
    in it now, or (a latest value or a total that got worse, which `best`
    never does) it may have left it."""
    if all_time not in written.changed:
        return False
    return body["rank"] <= TOP_TEN or (board.operator != Operator.BEST and not body["personalBest"])


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
