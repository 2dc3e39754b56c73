"""Real Podium server processes for end-to-end tests, and what a client does
with them: HTTP requests and websockets, each with a deadline.

A server is `deploy/serve-single` (the one uvicorn process `make run`
serves) and a production layout is `deploy/serve` (nginx, granian, uvicorn),
each in its own process group, pointed at the database and Redis prefix of
the running test, so it sees the rows a `django_db(transaction=True)` test
commits. Tests that use one carry the `postgres` and `redis` markers:
separate processes share nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connection
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN_SECONDS = 30.0
STOP_WITHIN_SECONDS = 10.0
REQUEST_TIMEOUT_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_of_this_test() -> str:
    """DATABASE_URL of the database this test runs on (pytest-django's test database)."""
    if connection.vendor != "postgresql":
        raise RuntimeError(f"server processes need PostgreSQL, not {connection.vendor}")
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    credentials = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}{db['HOST'] or ''}{port}/{quote(db['NAME'], safe='')}"


class LiveServer:
    """One Podium server process on 127.0.0.1."""

    def __init__(
        self, *, log_dir: Path, presence_ttl_seconds: float = 60, port: int | None = None, env: dict | None = None
    ):
        self.port = port or free_port()
        self.presence_ttl_seconds = presence_ttl_seconds
        self.extra_env = env or {}
        self.log_path = log_dir / f"server-{self.port}-{time.monotonic_ns()}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, path: str, *, token: str | None = None) -> str:
        query = f"?{urlencode({'token': token})}" if token else ""
        return f"ws://127.0.0.1:{self.port}{path}{query}"

    def environment(self) -> dict[str, str]:
        return {
            **server_environment(),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "PRESENCE_TTL_SECONDS": str(self.presence_ttl_seconds),
            **self.extra_env,
        }

    def spawn(self) -> None:
        """Start the process; `wait_until_ready()` waits for it to serve."""
        command = [str(ROOT / "deploy" / "serve-single")]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
                command,
                cwd=ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C on the test run is the runner's, not the server's
            )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_WITHIN_SECONDS
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"server on port {self.port} exited while starting:\n{self.log_tail()}")
            if self.healthy():
                return
            time.sleep(0.05)  # polling for the server to listen
        raise RuntimeError(f"server on port {self.port} not ready within {READY_WITHIN_SECONDS} s:\n{self.log_tail()}")

    def healthy(self) -> bool:
        return answers(f"{self.url}/healthz")

    def stop(self) -> int:
        """SIGTERM, as an orchestrator stops a server, and wait for it to exit."""
        process, self.process = self.process, None
        if process is None:
            return 0
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=STOP_WITHIN_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_WITHIN_SECONDS)
            raise RuntimeError(
                f"server on port {self.port} ignored SIGTERM for {STOP_WITHIN_SECONDS} s:\n{self.log_tail()}"
            ) from None

    def kill(self) -> None:
        """SIGKILL: the process dies without cleaning anything up."""
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait(timeout=STOP_WITHIN_SECONDS)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


class Servers:
    """The server processes of one test; `stop_all()` ends whatever is left."""

    def __init__(self, *, log_dir: Path):
        self.log_dir = log_dir
        self.started: list[LiveServer] = []

    def start(
        self, count: int = 1, *, presence_ttl_seconds: float = 60, port: int | None = None, env: dict | None = None
    ) -> list[LiveServer]:
        """Start `count` servers side by side and return them once all serve;
        `env` adds or overrides environment variables."""
        if port is not None and count != 1:
            raise ValueError("a fixed port fits one server")
        servers = [
            LiveServer(log_dir=self.log_dir, presence_ttl_seconds=presence_ttl_seconds, port=port, env=env)
            for _ in range(count)
        ]
        for server in servers:
            self.started.append(server)
            server.spawn()
        for server in servers:
            server.wait_until_ready()
        return servers

    def stop_all(self) -> None:
        problems = []
        for server in self.started:
            try:
                server.stop()
            except RuntimeError as error:
                problems.append(str(error))
        if problems:
            raise RuntimeError("\n".join(problems))


def server_environment() -> dict[str, str]:
    """What every server process of a test runs with."""
    return {
        **os.environ,
        "DATABASE_URL": database_url_of_this_test(),
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
        "PODIUM_DEV_SECRET": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # These servers share two cores with Chromium and the suite: at the
        # production 40 ms a scheduling stall can trip the Redis breaker,
        # which is not what these tests are about (tests/reliability and
        # tests/realtime/test_redis_unavailable.py are).
        "REDIS_TIMEOUT": "1",
    }


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class ProductionLayout:
    """deploy/serve, as production runs it: nginx on `url` in front of
    granian's WSGI workers (HTTP) and uvicorn (websockets)."""

    def __init__(self, *, log_dir: Path, env: dict | None = None):
        self.port, self.rest_port, self.live_port = free_port(), free_port(), free_port()
        self.log_path = log_dir / f"serve-{self.port}.log"
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        env = {
            **server_environment(),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "REST_PORT": str(self.rest_port),
            "LIVE_PORT": str(self.live_port),
            "REST_WORKERS": "2",
            **self.extra_env,
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own launcher
                [str(ROOT / "deploy" / "serve")],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # nginx answers as soon as granian does; the websockets' uvicorn may
        # still be starting (nginx would answer 502 for /ws/ until it is up).
        for url in (f"{self.url}/healthz", f"http://127.0.0.1:{self.live_port}/healthz"):
            self._wait_until_ready(url)

    def _wait_until_ready(self, url: str) -> None:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"deploy/serve exited:\n{self.log_text()[-3000:]}")
            if answers(url):
                return
            time.sleep(0.1)  # polling for the servers to listen
        raise RuntimeError(f"deploy/serve not ready:\n{self.log_text()[-3000:]}")

    def stop(self) -> list[int]:
        """SIGTERM to deploy/serve alone, as an orchestrator stops it; returns
        the processes it had started that are still there after it ended
        (there should be none: it stops what it started)."""
        process = self.process
        if process is None:
            return []
        started = self.descendants()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        self.process = None
        left = [pid for pid in started if _alive(pid)]
        for pid in left:  # leave nothing behind for the next test, whatever happened
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return left

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def descendants(self) -> dict[int, tuple[int, str]]:
        """pid: (parent pid, command line) of every process deploy/serve started, at any depth."""
        rows = subprocess.run(
            ["ps", "-eo", "pid=,ppid=,args="],  # noqa: S607 - ps from PATH
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        table = {}
        for row in rows:
            pid, ppid, *args = row.split(None, 2)
            table[int(pid)] = (int(ppid), args[0] if args else "")
        found, frontier = {}, {self.process.pid}
        while frontier:
            frontier = {pid for pid, (ppid, _args) in table.items() if ppid in frontier and pid not in found}
            found.update({pid: table[pid] for pid in frontier})
        return found

    def pids(self, *, server: str) -> tuple[int, list[int]]:
        """(the supervising process, its workers) of `server` ("granian" or
        "uvicorn"). A server that runs one process is its own only worker."""
        found = {
            pid: ppid
            for pid, (ppid, args) in self.descendants().items()
            if f"{os.sep}{server} " in args or args.startswith(f"{server} ")
        }
        (main,) = [pid for pid, ppid in found.items() if ppid not in found]
        workers = [pid for pid, ppid in found.items() if ppid == main]
        return main, workers or [main]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - http to 127.0.0.1
            return response.status == 200
    except OSError:
        return False


# --- HTTP ------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")


def http(method: str, url: str, *, headers: dict | None = None, data: bytes | None = None) -> Answer:
    """One HTTP request, whatever it is answered with."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)  # noqa: S310 - 127.0.0.1
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, error.headers, error.read())


def call(
    method: str, url: str, *, token: str | None = None, body: dict | None = None, headers: dict | None = None
) -> tuple[int, dict]:
    """One JSON request; returns the status and the decoded body."""
    sent = {"Accept": "application/json", **(headers or {})}
    data = None
    if body is not None:
        sent["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    if token:
        sent["Authorization"] = f"Bearer {token}"
    answer = http(method, url, headers=sent, data=data)
    return answer.status, answer.json()


def submit_score(server: LiveServer, slug: str, *, token: str, value: int) -> dict:
    """POST a score and return the 201's `data`."""
    status, body = call("POST", f"{server.url}/api/v1/games/{slug}/scores/", token=token, body={"value": value})
    assert status == 201, (status, body)
    return body["data"]


def game_details(server: LiveServer, slug: str) -> dict:
    status, body = call("GET", f"{server.url}/api/v1/games/{slug}/")
    assert status == 200, (status, body)
    return body["data"]


# --- Websockets --------------------------------------------------------------------


class Inbox:
    """The server messages of one websocket, waited for by type and fields.

    Messages that arrive while waiting for another one are kept, so the order
    in which a test expects messages need not be the order they arrive in."""

    def __init__(self, socket: ClientConnection):
        self.socket = socket
        self.unread: list[dict] = []

    async def expect(self, type_: str, *, within: float, **fields) -> dict:
        """The first message of `type_` whose fields equal `fields`, arriving within `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            for index, message in enumerate(self.unread):
                if message.get("type") == type_ and all(message.get(key) == value for key, value in fields.items()):
                    return self.unread.pop(index)
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no {type_!r} message with {fields} within {within} s; unread: {self.unread}")
            try:
                raw = await asyncio.wait_for(self.socket.recv(), timeout=remaining)
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                raise AssertionError(
                    f"socket closed ({closed.rcvd}) while waiting for {type_!r} with {fields}; unread: {self.unread}"
                ) from None
            self.unread.append(json.loads(raw))

    def forget(self) -> None:
        """Drop the messages received so far: later expectations see only new ones."""
        self.unread.clear()


@contextlib.asynccontextmanager
async def watching(url: str, *, within: float = 10) -> AsyncIterator[Inbox]:
    """An open game socket (no Origin header, as a game client connects)."""
    async with connect(url, open_timeout=within, close_timeout=2) as socket:
        yield Inbox(socket)
