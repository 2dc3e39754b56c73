"""How a submission is written to the database, in one transaction: the
score row, the player's entries in the board's four current periods (one
upsert that applies the board's operator), and, with an `Idempotency-Key`,
the key's claim.

On PostgreSQL that is one round trip: the player's advisory lock and one
statement (data-modifying CTEs: the all-time entry before, the score, the
upserts, the claim, and a refusal that takes them all back) sent together as
one simple query, which PostgreSQL runs as one implicit transaction and
commits durably before it answers. SQLite, the embedded default, writes the
same rows in steps.

A submission is timed by the request (`now`), before it waits for the lock,
so a player's concurrent submissions may reach the database out of their
time order. Every operator is written to give the same entry in any order,
as recomputing it from the scores would: `best` keeps the better (value,
subscore) and, between equal ones, the earlier time; `latest` keeps the
newest by time; `sum` adds, its time is the latest and its subscore the
latest one's.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

from django.db import DatabaseError, IntegrityError, connection, transaction

from accounts.models import User
from config import prepared
from config.api.fields import MAX_SAFE_INTEGER
from config.errors import ValidationFailed
from scores.models import Best, Board, IdempotencyRecord, Operator, Period, Score
from scores.periods import BoardPeriod, periods_at
from scores.ranking import StoredEntry

# podium_refuse() raises it (migration 0006): the statement's writes are undone.
_REFUSED = "PD001"
_UNIQUE_VIOLATION = "23505"


class KeyTaken(Exception):
    """The Idempotency-Key was claimed before (or just now, concurrently):
    nothing was written."""


@dataclass(frozen=True)
class Submission:
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

    def score(self, pk: int) -> AcceptedScore:
        return AcceptedScore(pk, self.user, self.value, self.subscore, self.metadata, self.now)


class AcceptedScore(NamedTuple):
    """What score_wire reads of a Score, for a score just written (no model
    instance needed to say it)."""

    pk: int
    user: User
    value: int
    subscore: int | None
    metadata: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Written:
    """What a submission stored: its score's id, the player's all-time entry
    before it (value, rank_key, subrank_key) and the entries it changed. The
    claim of an Idempotency-Key keeps the same facts (`facts()`)."""

    score_id: int
    previous: tuple[int, int, int] | None
    changed: dict[BoardPeriod, StoredEntry]

    def facts(self, all_time: BoardPeriod) -> list:
        """[score id, the all-time entry before (value, rank_key,
        subrank_key), the all-time entry it wrote (rank_key, subrank_key)],
        with nulls where there was none: what the statement returns, and
        what a key's claim keeps."""
        entry = self.changed.get(all_time)
        now_all = (entry.rank_key, entry.subrank_key) if entry else (None, None)
        return [self.score_id, *(self.previous or (None, None, None)), *now_all]


def facts_answer(facts: list) -> tuple[int, int | None, bool]:
    """(score id, previous best, personal best) of a submission's facts: a
    personal best when the all-time entry changed to a better (value,
    subscore) by the board's order, or was the first."""
    score_id, previous_value, previous_rank_key, previous_subrank_key, rank_key, subrank_key = facts
    improved = rank_key is not None and (
        previous_rank_key is None or (rank_key, subrank_key) < (previous_rank_key, previous_subrank_key)
    )
    return score_id, previous_value, improved


def write(submission: Submission, claim: tuple[str, str] | None) -> Written:
    """Store the submission (and claim `claim` = (key, fingerprint)). Raises
    ValidationFailed for a total beyond the safe range and KeyTaken for a
    claimed key; either way nothing is stored."""
    if connection.vendor == "postgresql":
        return _write_in_one_statement(submission, claim)
    return _write_in_steps(submission, claim)


def _too_large() -> ValidationFailed:
    return ValidationFailed.for_field(
        "value", f"This would take the total beyond ±{MAX_SAFE_INTEGER}; nothing was stored."
    )


def lock_player(board: Board, user: User) -> None:
    """Serialise one player's writes to one board across processes (PostgreSQL
    advisory lock, released at commit). SQLite already serialises every write
    transaction (BEGIN IMMEDIATE)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(*_lock(board, user))


def _lock(board: Board, user: User) -> tuple[str, list]:
    return "SELECT pg_advisory_xact_lock(%s, %s)", [_int4(board.pk), _int4(user.pk)]


def _int4(number: int) -> int:
    return (number + 2**31) % 2**32 - 2**31


# --- PostgreSQL: one round trip ----------------------------------------------------------


def _write_in_one_statement(submission: Submission, claim: tuple[str, str] | None) -> Written:
    """The player's lock and the prepared statement as one simple query:
    one implicit transaction (or the caller's, in tests), one round trip.
    psycopg binds every value client-side (Django's cursor is a
    ClientCursor), which is what lets two statements share one message."""
    statement = _prepared(submission.board.operator, claim is not None)
    values = _values(submission) | ({"key": claim[0], "fingerprint": claim[1]} if claim else {})
    params = [_int4(submission.board.pk), _int4(submission.user.pk), *statement.values(values)]
    # Inside a caller's transaction (tests, scripts) a savepoint takes back
    # a refused statement; otherwise PostgreSQL's implicit transaction does.
    attempts = 0
    while True:
        attempts += 1
        within = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
        try:
            with within, connection.cursor() as cursor:
                prepared.prepare_once(cursor, statement)
                cursor.execute(f"SELECT pg_advisory_xact_lock(%s, %s); {statement.call}", params)
                cursor.nextset()
                return _written(submission, cursor.fetchall())
        except DatabaseError as exc:
            state = getattr(exc.__cause__, "sqlstate", None)
            if state == _REFUSED:
                raise _too_large() from None
            if state == _UNIQUE_VIOLATION and claim:
                raise KeyTaken from None
            lost = prepared.forget_if_lost(exc, statement, connection.connection)  # prepared again next time
            if not lost and (state != _DEADLOCK or attempts == _ATTEMPTS):
                raise


# A statement that lost a deadlock (a rank-histogram bucket against a bulk
# delete, say) was rolled back whole, so it is safe to run again; the
# player's own writes never deadlock each other (the advisory lock).
_ATTEMPTS = 3
_DEADLOCK = "40P01"


@lru_cache(maxsize=16)
def _prepared(operator: str, claimed: bool) -> prepared.Prepared:
    """The statement of one kind of submission (the board's operator, with
    or without a claim), prepared once per connection: PostgreSQL would
    otherwise plan it for every submission, which costs it as much as
    running it."""
    return prepared.prepared(_statement(operator, claimed))


def _statement(operator: str, claimed: bool) -> str:
    """The statement that stores a submission to a board with `operator`,
    values named, returning in each row the score's id, the all-time entry
    before (value, rank_key, subrank_key) and one entry it wrote (period,
    rank_key, subrank_key, version)."""
    refusal, claim_cte = "", ""
    if operator == Operator.SUM:  # a total beyond the safe range writes fewer entries
        refusal = (
            f"WHERE CASE WHEN (SELECT COUNT(*) FROM entries) = {len(Period.values)} THEN TRUE "  # noqa: S608 - a count
            "ELSE podium_refuse('total beyond the safe integer range') END"
        )
    if claimed:
        # A second claim of the key is a unique violation, raised once the
        # first commits (it waits on the row): the whole statement is undone.
        claim_cte = (
            f", claim AS (INSERT INTO {IdempotencyRecord._meta.db_table} "  # noqa: S608 - our table; values are parameters
            "(user_id, key, fingerprint, created_at, written) "
            "SELECT %(user)s::bigint, %(key)s::varchar, %(fingerprint)s::varchar, %(now)s::timestamptz, "
            "jsonb_build_array(score.id, previous.value, previous.rank_key, previous.subrank_key, now_all.rank_key, "
            "now_all.subrank_key) FROM score LEFT JOIN previous ON TRUE "
            "LEFT JOIN (SELECT rank_key, subrank_key FROM entries WHERE period = %(p0)s) now_all ON TRUE)"
        )
    return (
        f"WITH previous AS (SELECT value, rank_key, subrank_key FROM {Best._meta.db_table} "  # noqa: S608 - our tables; values are parameters
        "WHERE board_id = %(board)s AND period = %(p0)s AND period_start = %(s0)s AND user_id = %(user)s), "
        f"score AS (INSERT INTO {Score._meta.db_table} (game_id, board_id, user_id, value, subscore, metadata, "
        "created_at) VALUES (%(game)s, %(board)s, %(user)s, %(value)s, %(subscore)s, %(metadata)s::jsonb, %(now)s) "
        f"RETURNING id), entries AS ({_upsert(operator)}){claim_cte} "
        "SELECT score.id, previous.value, previous.rank_key, previous.subrank_key, "
        "entries.period, entries.rank_key, entries.subrank_key, entries.version "
        f"FROM score LEFT JOIN previous ON TRUE LEFT JOIN entries ON TRUE {refusal}"
    )


def _written(submission: Submission, rows) -> Written:
    first = rows[0]
    return Written(
        score_id=first[0],
        previous=tuple(first[1:4]) if first[1] is not None else None,
        changed=_changed(submission, [row[4:] for row in rows if row[4] is not None]),
    )


def _changed(submission: Submission, entries) -> dict[BoardPeriod, StoredEntry]:
    """The entries the upsert returned, (period, rank_key, subrank_key, version) each."""
    by_name = {period.period: period for period in submission.periods}
    return {
        by_name[name]: StoredEntry(rank_key, subrank_key, submission.now, version)
        for name, rank_key, subrank_key, version in entries
    }


# --- SQLite: the same rows, in steps -------------------------------------------------------


@transaction.atomic
def _write_in_steps(submission: Submission, claim: tuple[str, str] | None) -> Written:
    """SQLite serialises write transactions itself (BEGIN IMMEDIATE)."""
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
    with connection.cursor() as cursor:
        cursor.execute(_upsert(board.operator), _values(submission))
        rows = cursor.fetchall()
    if board.operator == Operator.SUM and len(rows) < len(periods):
        raise _too_large()  # rolls back the score too: nothing is stored
    written = Written(score_id=score.pk, previous=previous, changed=_changed(submission, rows))
    if claim:
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    user=user,
                    key=claim[0],
                    fingerprint=claim[1],
                    created_at=submission.now,
                    written=written.facts(all_time),
                )
        except IntegrityError:
            raise KeyTaken from None
    return written


# How each operator changes an existing entry (`scores_best`) with a new
# submission (EXCLUDED), and when, so that the entry is the same whatever
# order a player's submissions reach the database in (see the module's
# docstring). The version counts every change.
_NEWER = "EXCLUDED.achieved_at >= {table}.achieved_at"
_OPERATOR_UPDATES = {
    Operator.BEST: (
        "value = EXCLUDED.value, subscore = EXCLUDED.subscore, rank_key = EXCLUDED.rank_key, "
        "subrank_key = EXCLUDED.subrank_key, achieved_at = EXCLUDED.achieved_at",
        "(EXCLUDED.rank_key, EXCLUDED.subrank_key, EXCLUDED.achieved_at) "
        "< ({table}.rank_key, {table}.subrank_key, {table}.achieved_at)",
    ),
    Operator.LATEST: (
        "value = EXCLUDED.value, subscore = EXCLUDED.subscore, rank_key = EXCLUDED.rank_key, "
        "subrank_key = EXCLUDED.subrank_key, achieved_at = EXCLUDED.achieved_at",
        _NEWER,
    ),
    Operator.SUM: (
        "value = {table}.value + EXCLUDED.value, rank_key = {table}.rank_key + EXCLUDED.rank_key, "
        f"subscore = CASE WHEN {_NEWER} THEN EXCLUDED.subscore ELSE {{table}}.subscore END, "
        f"subrank_key = CASE WHEN {_NEWER} THEN EXCLUDED.subrank_key ELSE {{table}}.subrank_key END, "
        f"achieved_at = CASE WHEN {_NEWER} THEN EXCLUDED.achieved_at ELSE {{table}}.achieved_at END",
        f"ABS({{table}}.value + EXCLUDED.value) <= {MAX_SAFE_INTEGER}",
    ),
}


def _values(submission: Submission) -> dict[str, Any]:
    """The values of a submission's statements, by name."""
    ops = connection.ops
    board = submission.board
    values = {
        "game": board.game_id,
        "board": board.pk,
        "user": submission.user.pk,
        "value": submission.value,
        "subscore": submission.subscore,
        "rank_key": board.rank_key(submission.value),
        "subrank_key": board.subrank_key(submission.subscore),
        "now": ops.adapt_datetimefield_value(submission.now),
        "metadata": json.dumps(submission.metadata),
    }
    for index, period in enumerate(submission.periods):
        values |= {f"p{index}": period.period, f"s{index}": ops.adapt_datefield_value(period.start)}
    return values


@lru_cache(maxsize=8)
def _upsert(operator: str) -> str:
    """The statement that inserts or changes a player's entry in each period
    by the board's operator, returning (period, rank_key, subrank_key,
    version) of each entry it wrote; values named as _values names them."""
    table = Best._meta.db_table
    rows = [
        f"(%(game)s, %(board)s, %(user)s, %(p{index})s, %(s{index})s, %(value)s, %(subscore)s, "
        "%(rank_key)s, %(subrank_key)s, %(now)s, 1)"
        for index in range(len(Period.values))
    ]
    update, condition = _OPERATOR_UPDATES[operator]
    return (
        f"INSERT INTO {table} (game_id, board_id, user_id, period, period_start, value, subscore, "  # noqa: S608 - our table; values are parameters
        f"rank_key, subrank_key, achieved_at, version) VALUES {', '.join(rows)} "
        f"ON CONFLICT (board_id, period, period_start, user_id) DO UPDATE SET {update.format(table=table)}, "
        f"version = {table}.version + 1 "
        + (f"WHERE {condition.format(table=table)} " if condition else "")
        + "RETURNING period, rank_key, subrank_key, version"
    )
