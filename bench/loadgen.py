"""Load: wrk runs (figures parsed from bench/wrk/report.lua's JSON line) and
plain single HTTP requests for probes, sign-ins and status samples."""

from __future__ import annotations

import http.client
import json
import os
import shlex
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from processes import BenchFailure

WRK_DIR = Path(__file__).resolve().parent / "wrk"


@dataclass(frozen=True)
class Load:
    threads: int = 1
    connections: int = 32
    seconds: int = 10
    warmup_seconds: int = 2


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class Answer:
    status: int
    data: Any
    ms: float
    headers: dict[str, str]


def http_request(port: int, request: Request, *, timeout: float = 30.0) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Accept": "application/json", **request.headers}
    body = None
    if request.body is not None:
        body = json.dumps(request.body).encode()
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    try:
        connection.request(request.method, request.path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        connection.close()
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = raw[:200].decode(errors="replace")
    return Answer(response.status, data, elapsed, {k.lower(): v for k, v in response.getheaders()})


def status_sample(port: int, requests: list[Request]) -> dict[str, int]:
    """How a handful of requests like the scenario's are answered, by status."""
    seen: Counter[str] = Counter()
    for request in requests:
        try:
            seen[str(http_request(port, request, timeout=15).status)] += 1
        except OSError as exc:
            seen[type(exc).__name__] += 1
    return dict(seen)


def run_wrk(
    url: str,
    load: Load,
    *,
    script: str = "report.lua",
    args: list[str] = (),
    seconds: int | None = None,
    count_statuses: bool = True,
) -> dict:
    """One wrk run: req/s, latency percentiles (ms), socket errors and answers by status."""
    duration = seconds if seconds is not None else load.seconds
    command = [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        script,
        url,
    ]
    if args:
        command += ["--", *args]
    env = {**os.environ, "BENCH_WRK_PLAIN": "0" if count_statuses else "1"}
    done = subprocess.run(
        command, cwd=WRK_DIR, env=env, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchFailure(f"wrk failed (exit {done.returncode}): {done.stdout[-800:]} {done.stderr[-800:]}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    seconds_taken = raw["duration_us"] / 1e6
    latency = raw["latency_us"]
    socket_errors = {k: v for k, v in raw["errors"].items() if k != "status"}
    statuses = raw.get("statuses") or {}
    # wrk itself counts only statuses > 399; with the per-status counts, 1xx and 3xx count too.
    non2xx = sum(n for status, n in statuses.items() if not status.startswith("2")) if statuses else None
    if non2xx is None:
        non2xx = raw["errors"]["status"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds_taken, 3),
        "rps": raw["requests"] / seconds_taken if seconds_taken else 0.0,
        "p50Ms": latency["p50"] / 1000,
        "p75Ms": latency["p75"] / 1000,
        "p90Ms": latency["p90"] / 1000,
        "p99Ms": latency["p99"] / 1000,
        "p999Ms": latency["p999"] / 1000,
        "maxMs": latency["max"] / 1000,
        "meanMs": latency["mean"] / 1000,
        "non2xx": non2xx,
        "statuses": statuses,
        "socketErrors": socket_errors,
        "errors": non2xx + sum(socket_errors.values()),
        "bytes": raw["bytes"],
        "command": shlex.join(command),
    }
