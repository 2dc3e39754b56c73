"""Lua scripts in Redis pipelines, in one round trip.

redis-py's Script objects ask `SCRIPT EXISTS` before every pipeline that
holds one: a second round trip for each. Podium queues EVALSHA itself, and
only when Redis answers that it lost a script (it restarted) loads them and
sends the pipeline again. Every pipeline that holds a script is safe to
send twice: its writes are versioned or idempotent, the rest are reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from redis.client import Pipeline
from redis.commands.core import Script
from redis.exceptions import NoScriptError


def queue(pipe: Pipeline, script: Script, *, keys: list, args: list) -> None:
    """Add one run of `script` to `pipe`."""
    pipe.evalsha(script.sha, len(keys), *keys, *args)


def execute(client, fill: Callable[[Pipeline], None], scripts: Iterable[Script]) -> list:
    """A pipeline that `fill` builds (with `queue`), sent once, or twice if
    Redis had lost its scripts; the results, in order."""
    for attempt in (1, 2):
        pipe = client.pipeline(transaction=False)
        fill(pipe)
        try:
            return pipe.execute()
        except NoScriptError:
            if attempt == 2:
                raise
            for script in scripts:
                client.script_load(script.script)
    raise AssertionError("unreachable")
