"""Statements PostgreSQL plans once per connection rather than on every run.

Django's psycopg cursor binds values client-side (a ClientCursor), which
never prepares: each statement is planned again every time it runs. For
the few hot statements whose planning costs as much as running them (a
submission's write; the leaderboard reads that answer while Redis is away,
whose plans cost 1-2 ms against a run of 0.5), `PREPARE name AS …` is sent
once on each connection and `EXECUTE name(…)` after it, still through
Django's cursor (its transactions, its query log, its error wrapping).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from django.db import DatabaseError

_NAMED = re.compile(r"%\((\w+)\)s")
_NO_SUCH_PREPARED = "26000"


@dataclass(frozen=True)
class Prepared:
    """One statement, its values named `%(name)s` in the text it came from."""

    name: str
    prepare: str  # PREPARE name AS …, with $1, $2… for the values
    order: tuple[str, ...]  # which value each $n is

    @property
    def call(self) -> str:
        """`EXECUTE name(%s, …)`, for a cursor to bind the values into."""
        return f"EXECUTE {self.name}({', '.join(['%s'] * len(self.order))})" if self.order else f"EXECUTE {self.name}"

    def values(self, named: dict) -> list:
        return [named[name] for name in self.order]


@lru_cache(maxsize=256)
def prepared(statement: str) -> Prepared:
    """`statement` (values as `%(name)s`) made a prepared statement, named
    by its text: the same text is the same statement on every connection."""
    order: list[str] = []

    def positional(match) -> str:
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    body = _NAMED.sub(positional, statement).replace("%%", "%")
    name = f"podium_{hashlib.sha256(body.encode()).hexdigest()[:20]}"
    return Prepared(name=name, prepare=f"PREPARE {name} AS {body}", order=tuple(order))


def prepare_once(cursor, statement: Prepared) -> None:
    """Prepare `statement` on the cursor's connection unless it already is."""
    names = _prepared_on(cursor.connection)  # the psycopg connection: its session
    if statement.name not in names:
        cursor.execute(statement.prepare)
        names.add(statement.name)


def forget_if_lost(exc: DatabaseError, statement: Prepared, pg_connection) -> bool:
    """Whether `exc` says the session of `pg_connection` (psycopg's) lost
    the statement (DISCARD ALL, a reset by a pooler); if so, it is prepared
    again on its next run."""
    if getattr(exc.__cause__, "sqlstate", None) != _NO_SUCH_PREPARED:
        return False
    _prepared_on(pg_connection).discard(statement.name)
    return True


def execute(cursor, statement: Prepared, named: dict) -> None:
    """Run `statement` with its values, preparing it first where needed,
    and once again if the session had lost it."""
    try:
        prepare_once(cursor, statement)
        cursor.execute(statement.call, statement.values(named))
    except DatabaseError as exc:
        if not forget_if_lost(exc, statement, cursor.connection):
            raise
        prepare_once(cursor, statement)
        cursor.execute(statement.call, statement.values(named))


def _prepared_on(pg_connection) -> set[str]:
    """The statements prepared on one psycopg connection (its session)."""
    names = getattr(pg_connection, "_podium_prepared", None)
    if names is None:
        names = pg_connection._podium_prepared = set()
    return names
