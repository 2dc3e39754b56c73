"""An open-loop load: requests sent on a fixed schedule, each timed from the
moment it was due, not from when a connection was free to send it.

wrk is closed-loop: each connection sends its next request only after the
previous answer, so a server that stalls for 100 ms simply receives fewer
requests during the stall, and the requests that would have arrived then
are never timed (coordinated omission). Here request i is due at
start + i / rate whatever happened before; if every connection is busy it
waits in the queue, and that wait counts in its latency. A stall therefore
shows in the percentiles as it would to clients arriving independently.

Used by bench/run.py at half of a scenario's measured maximum rate:

    run_open_loop(port, rate=400, seconds=10, connections=64, make_request=...)

`make_request(i)` returns (method, path, headers, body bytes or None) for
request i. Plain HTTP/1.1 with keep-alive on asyncio streams (uvloop when
installed); nothing but the standard library otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

RequestSpec = tuple[str, str, dict[str, str], bytes | None]


@dataclass
class OpenLoopResult:
    rate: float
    seconds: float
    sent: int = 0
    answered: int = 0
    statuses: Counter = field(default_factory=Counter)
    socket_errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    late_start_ms: list[float] = field(default_factory=list)  # how late the client itself sent (its own lag)

    def as_dict(self) -> dict:
        values = sorted(self.latencies_ms)
        lag = sorted(self.late_start_ms)
        non2xx = sum(count for status, count in self.statuses.items() if not 200 <= status < 300)
        return {
            "targetRate": self.rate,
            "achievedRate": self.answered / self.seconds if self.seconds else 0.0,
            "seconds": self.seconds,
            "sent": self.sent,
            "answered": self.answered,
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "non2xx": non2xx,
            "socketErrors": self.socket_errors,
            "errors": non2xx + self.socket_errors + (self.sent - self.answered - self.socket_errors),
            "p50Ms": _percentile(values, 0.50),
            "p90Ms": _percentile(values, 0.90),
            "p99Ms": _percentile(values, 0.99),
            "p999Ms": _percentile(values, 0.999),
            "maxMs": values[-1] if values else None,
            "clientLagP99Ms": _percentile(lag, 0.99),
        }


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(q * len(values) + 0.5) - 1))
    return round(values[index], 3)


class _Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, spec: RequestSpec, timeout: float) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        method, path, headers, body = spec
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: keep-alive"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        return await asyncio.wait_for(self._response(), timeout)

    async def _response(self) -> int:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in header_lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if chunked:
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _run(
    host: str, port: int, rate: float, seconds: float, connections: int, make_request, timeout: float
) -> OpenLoopResult:
    result = OpenLoopResult(rate=rate, seconds=seconds)
    queue: asyncio.Queue = asyncio.Queue()
    total = int(rate * seconds)
    loop = asyncio.get_running_loop()

    async def worker() -> None:
        connection = _Connection(host, port)
        while True:
            item = await queue.get()
            if item is None:
                connection.close()
                return
            due, spec = item
            result.late_start_ms.append((loop.time() - due) * 1000)
            try:
                status = await connection.request(spec, timeout)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                result.socket_errors += 1
                connection.close()
                continue
            result.latencies_ms.append((loop.time() - due) * 1000)
            result.statuses[status] += 1
            result.answered += 1

    workers = [loop.create_task(worker()) for _ in range(connections)]
    start = loop.time() + 0.05
    for index in range(total):
        due = start + index / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((due, make_request(index)))
        result.sent += 1
    for _ in workers:
        queue.put_nowait(None)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.gather(*workers), timeout + 5)
    return result


def run_open_loop(
    port: int,
    *,
    rate: float,
    seconds: float,
    make_request: Callable[[int], RequestSpec],
    connections: int = 64,
    host: str = "127.0.0.1",
    timeout: float = 10.0,
) -> dict:
    """Send `rate` requests a second for `seconds`; the figures as a dict
    (percentiles in ms from each request's due time)."""
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        runner = asyncio.run
    started = time.perf_counter()
    result = runner(_run(host, port, rate, seconds, connections, make_request, timeout))
    figures = result.as_dict()
    figures["wallSeconds"] = round(time.perf_counter() - started, 3)
    return figures
