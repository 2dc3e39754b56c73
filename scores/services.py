"""Writes of scores: submission and moderation, the only code that changes them.

A submission is written in one transaction (scores.writes: on PostgreSQL
one round trip, the player's lock and one statement, committed durably
before anything else happens), then Redis learns of it in one round trip
(scores.committed: the entries, the rank, the pages to forget, the first
answer of an Idempotency-Key, the broadcast). Nothing reaches Redis or the
sockets before the commit, so a rollback leaves nothing behind there.
When Redis cannot tell the rank (down, or the board stale or rebuilding),
PostgreSQL does, and the broadcast goes the ordinary way.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from accounts.models import User
from config.errors import AppError, Conflict, ValidationFailed
from games.models import ScoreOrder
from realtime import broadcast
from scores import committed, idempotency, page_cache, ranking, selectors
from scores.models import Best, Board, Operator, Period, RankBucket, Score
from scores.periods import BoardPeriod, period_start, periods_at
from scores.ranking import StoredEntry
from scores.rebuild import mark_stale, stale_boards
from scores.serializers import score_wire, submission_halves
from scores.writes import KeyTaken, Submission, Written, facts_answer, lock_player, write

logger = logging.getLogger(__name__)

TOP_TEN = 10


@dataclass(frozen=True)
class SubmissionResult:
    """An accepted submission's 201 body (the envelope, encoded), or the
    stored first one of a repeated key (`replayed`)."""

    body: bytes
    replayed: bool

    @property
    def data(self) -> dict:
        return json.loads(self.body)["data"]


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
    fingerprint = idempotency.fingerprint(board, value, subscore, metadata)
    repeat = {
        "board": board,
        "user": user,
        "key": idempotency_key,
        "fingerprint": fingerprint,
        "submitted": (value, subscore, metadata),
    }
    for _attempt in range(2):
        try:
            _refuse_unacceptable(board, value, subscore, repeat=repeat)
            submission = Submission(board, user, value, subscore, metadata, now=timezone.now())
            claim = (idempotency_key, fingerprint) if idempotency_key else None
            written = write(submission, claim)
            return _after_commit(submission, written, idempotency_key)
        except KeyTaken:
            # The key was used before (a retry) or just now by a concurrent
            # request, which won; nothing of this submission was stored.
            replay = idempotency.first_answer(**repeat)
            if replay is not None:
                return SubmissionResult(body=replay, replayed=True)
            # The claim had outlived its 24 hours and is gone: go again.
    raise Conflict("This Idempotency-Key is in use; retry.")


def delete_score(*, score: Score) -> None:
    """Moderation: remove a score and recompute its player's entries in the
    periods it counted in, in PostgreSQL and then in Redis."""
    board, user_id = score.board, score.user_id
    with transaction.atomic():
        lock_player(board, score.user)
        periods = periods_at(board.pk, score.created_at)
        score.delete()
        recomputed = {period: _recompute_entry(board, user_id, period) for period in periods}
        transaction.on_commit(lambda: _publish_moderation(board, user_id, recomputed), robust=True)


def purge_idempotency_records(*, older_than: timedelta = idempotency.WINDOW) -> int:
    """Delete claims of Idempotency-Keys past their window; returns how many."""
    return idempotency.purge(older_than=older_than)


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
        # Their rank-histogram buckets, now all counting none.
        RankBucket.objects.filter(period=period, period_start__lt=period_start(period, cutoff)).delete()
    return deleted


# --- Before the write -----------------------------------------------------------------


def _refuse_unacceptable(board: Board, value: int, subscore: int | None, *, repeat: dict) -> None:
    """Raise for an inactive game, a value out of bounds or a subscore the
    board wants and did not get (or the other way round), unless the request
    repeats an earlier key: a repeat gets its first answer even if the game
    has since closed or the board narrowed its bounds."""
    try:
        _refuse(board, value, subscore)
    except AppError:
        if repeat["key"] and idempotency.first_answer(**repeat) is not None:
            raise KeyTaken from None
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


# --- After the commit -----------------------------------------------------------------


def _after_commit(submission: Submission, written: Written, key: str | None) -> SubmissionResult:
    """Redis learns of the submission, tells the player's rank and, with it,
    stores the key's first answer and publishes the broadcast, in one round
    trip; when it cannot tell the rank, PostgreSQL does and the rest follows
    the ordinary way. The page version is bumped either way."""
    board, user, all_time = submission.board, submission.user, submission.periods[0]
    _score_id, previous_best, personal_best = facts_answer(written.facts(all_time))
    score = submission.score(written.score_id)
    head, tail = submission_halves(score=score, board=board, personal_best=personal_best, previous_best=previous_best)
    wire = score_wire(score, board)
    rank = None
    if ranking.enabled():
        answer = None
        if key:
            answer = committed.Answer(
                key=idempotency.answer_key(user.pk, key),
                seconds=int(idempotency.WINDOW.total_seconds()),
                head=head,
                tail=tail,
            )
        publication = broadcast.score_publication(
            board=board, score=wire, personal_best=personal_best, previous_best=previous_best
        )
        try:
            rank = committed.tell_redis(
                game_id=board.game_id,
                user=user,
                changed=written.changed,
                all_time=all_time,
                rank_wanted=all_time not in stale_boards(),
                answer=answer,
                publication=publication,
            )
            told = rank is not None
        except ranking.RankingUnavailable as exc:
            logger.warning("leaderboards not updated in Redis", extra={"board_id": board.pk, "error": str(exc)})
            for period in written.changed:
                mark_stale(period)
            page_cache.bump(board.game_id)
            told = False
    else:
        page_cache.bump(board.game_id)
        told = False
    if not told:
        # Not from Redis (down, stale, rebuilding): PostgreSQL, after the commit.
        rank = _rank_from_the_stores(written, all_time, user.pk)
        if key:
            idempotency.keep_first_answer(user, key, f"{head}{rank}{tail}")
        broadcast.score_accepted(
            board=board,
            score=wire,
            rank=rank,
            personal_best=personal_best,
            previous_best=previous_best,
            top_ten_changed=False,
        )
    if _top_ten_changed(board, written, all_time, rank=rank, personal_best=personal_best):
        broadcast.leaderboard_changed(board=board)
    return SubmissionResult(body=f"{head}{rank}{tail}".encode(), replayed=False)


def _rank_from_the_stores(written: Written, all_time: BoardPeriod, user_id: int) -> int:
    """The player's all-time rank, asked of Redis or PostgreSQL apart from the write."""
    entry = written.changed.get(all_time)
    if entry is not None:
        return selectors.rank_of_new_entry(period=all_time, user_id=user_id, best=entry)
    return selectors.rank_of_existing_entry(period=all_time, user_id=user_id)


def _top_ten_changed(board: Board, written: Written, all_time: BoardPeriod, *, rank: int, personal_best: bool) -> bool:
    """Whether the entry's move may have reshaped the board's top 10: it is
    in it now, or (a latest value or a total that got worse, which `best`
    never does) it may have left it."""
    if all_time not in written.changed:
        return False
    return rank <= TOP_TEN or (board.operator != Operator.BEST and not personal_best)


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


# --- After moderation ---------------------------------------------------------------


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
