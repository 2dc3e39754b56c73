"""Shutting the hub down never waits forever on a loop that ignores its
cancellation (a library call that swallows it), and says which one."""

import asyncio
import logging

from realtime import hub as hub_module


async def test_a_loop_that_ignores_cancellation_does_not_hold_up_the_shutdown(monkeypatch, caplog):
    monkeypatch.setattr(hub_module, "STOP_TIMEOUT_SECONDS", 0.05)
    released = asyncio.Event()

    async def stubborn_loop():
        while not released.is_set():
            try:
                await released.wait()
            except asyncio.CancelledError:
                continue  # swallowed

    async def obedient_loop():
        await asyncio.Event().wait()

    stubborn, obedient = asyncio.create_task(stubborn_loop()), asyncio.create_task(obedient_loop())
    hub = hub_module.Hub()
    hub.tasks = [stubborn, obedient]
    await asyncio.sleep(0)  # both are running

    with caplog.at_level(logging.WARNING, logger="realtime.hub"):
        await hub.stop()

    assert hub.tasks == []
    assert obedient.cancelled()
    assert not stubborn.done()
    assert [record.getMessage() for record in caplog.records] == ["realtime loop did not stop when cancelled"]
    assert "stubborn_loop" in caplog.records[0].stack
    released.set()
    await stubborn
