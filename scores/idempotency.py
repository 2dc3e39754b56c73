"""Idempotency-Keys of score submissions (CONTRACT §5): the same user
repeating a key within 24 hours gets the first response again and makes no
second score; the same key with another body is a 409.

A key is claimed in PostgreSQL in the submission's own transaction
(scores.writes): the unique index makes a second claim wait for the first
and then fail, so a key never makes two scores, and the claim keeps the
facts of the submission (its score's id, the all-time entry before and
after). The first response, which carries the rank Redis tells after the
commit, is kept in Redis for the window, written by the same round trip
that tells the rank (scores.committed). A repeat answers from Redis. If
Redis lost it (a restart without persistence) or the first request is
still between its commit and that round trip, the repeat waits for it a
moment, then rebuilds the response from the claim's facts and the body
(which the fingerprint says is the same), with the player's rank as it is
now, and keeps that.
"""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import suppress
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.models import User
from config.errors import Conflict
from scores import selectors
from scores.models import Board, IdempotencyRecord
from scores.periods import period_containing
from scores.serializers import submission_envelope
from scores.writes import AcceptedScore, facts_answer

WINDOW = timedelta(hours=24)
# How long a repeat waits for the first request's answer to reach Redis
# before it rebuilds one; only a first request that is still finishing
# (or died since its commit) leaves it waiting.
FIRST_ANSWER_WAIT_SECONDS = 1.0
FIRST_ANSWER_POLL_SECONDS = 0.01


def fingerprint(board: Board, value: int, subscore: int | None, metadata: dict[str, Any]) -> str:
    if board.is_default and subscore is None:
        # As before boards: a retry sent across the upgrade still replays.
        body = {"game": board.game_id, "value": value, "metadata": metadata}
    else:
        body = {"board": board.pk, "value": value, "subscore": subscore, "metadata": metadata}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def answer_key(user_id: int, key: str) -> str:
    """Where the first answer to `key` is kept in Redis (the key hashed: it
    may hold any printable character)."""
    return f"{settings.REDIS_KEY_PREFIX}:idem:{user_id}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def first_answer(
    *, board: Board, user: User, key: str, fingerprint: str, submitted: tuple[int, int | None, dict]
) -> bytes | None:
    """The first response to `key` as response bytes, or None when the key
    was never claimed (or its claim expired, which is then deleted). Raises
    Conflict for the key with another body. `submitted` is this request's
    (value, subscore, metadata), the same as the first's."""
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is None:
        return None
    if record.created_at < timezone.now() - WINDOW:
        record.delete()
        return None
    if record.fingerprint != fingerprint:
        raise Conflict.for_field("Idempotency-Key", "This Idempotency-Key was already used with a different body.")
    if record.response_body is not None:  # kept by the previous release
        return json.dumps({"success": True, "data": record.response_body}, separators=(",", ":")).encode()
    kept = _kept_answer(user.pk, key, wait=timezone.now() - record.created_at < timedelta(seconds=5))
    if kept is not None:
        return kept
    return _rebuilt(board, user, key, record, submitted)


def _kept_answer(user_id: int, key: str, *, wait: bool) -> bytes | None:
    if not settings.REDIS_URL:
        return None
    from django_redis import get_redis_connection

    deadline = time.monotonic() + (FIRST_ANSWER_WAIT_SECONDS if wait else 0)
    try:
        client = get_redis_connection("default")
        while True:
            answer = client.get(answer_key(user_id, key))
            if answer is not None or time.monotonic() >= deadline:
                return answer
            time.sleep(FIRST_ANSWER_POLL_SECONDS)
    except (RedisError, OSError):
        return None


def keep_first_answer(user: User, key: str, body: str) -> None:
    """Keep the key's first answer where the submission's Redis round trip
    could not (Redis down, the board stale): in Redis if it answers now, in
    the claim itself without Redis at all (the embedded default)."""
    if settings.REDIS_URL:
        from django_redis import get_redis_connection

        with suppress(RedisError, OSError):
            get_redis_connection("default").set(answer_key(user.pk, key), body, ex=int(WINDOW.total_seconds()))
    else:
        IdempotencyRecord.objects.filter(user=user, key=key).update(response_body=json.loads(body)["data"])


def _rebuilt(board: Board, user: User, key: str, record: IdempotencyRecord, submitted) -> bytes:
    """The first response from the claim's facts, with the rank as it is now
    (the first one's is lost); kept, so that later repeats agree."""
    score_id, previous_best, personal_best = facts_answer(record.written)
    value, subscore, metadata = submitted
    score = AcceptedScore(score_id, user, value, subscore, metadata, record.created_at)
    all_time = period_containing(board.pk, "all", record.created_at)
    rank = selectors.rank_of_existing_entry(period=all_time, user_id=user.pk)
    body = submission_envelope(
        score=score, board=board, rank=rank, personal_best=personal_best, previous_best=previous_best
    )
    if settings.REDIS_URL:
        from django_redis import get_redis_connection

        with suppress(RedisError, OSError):
            get_redis_connection("default").set(answer_key(user.pk, key), body, ex=int(WINDOW.total_seconds()), nx=True)
    return body


def purge(*, older_than: timedelta = WINDOW) -> int:
    """Delete claims past their window; returns how many. (Their answers in
    Redis expire by themselves.)"""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
