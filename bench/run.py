"""Podium's benchmark suite: `make bench` runs this (see bench/README.md).

One run, on this machine, against PostgreSQL on 127.0.0.1 and a private
redis-server that the bench starts (so that the Redis-down scenario can stop
it for real):

1. database `podium_bench` (created when missing), migrated and seeded with
   seed_bench, or reused when it already holds the expected data set;
2. the selectors' own time for rank lookups and deep pages, and the admin's
   dashboard of the 1,000,000-score game (in-process);
3. the ceilings: a bare ASGI app under uvicorn and /healthz (the minimal
   Django view) through the production layout, deploy/serve;
4. the scenarios through deploy/serve with wrk, the websocket scenarios
   with bench/ws_broadcast.py, the reads again with Redis stopped, and one
   REST worker against two;
5. one table per scenario, the targets, bench/results/latest.json and
   bench/results/latest.png (`--quick`: quick.json and quick.png in the
   run's scratch folder, so that a smoke run never replaces a full one).

Everything it starts it stops, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import report
import scenarios
from loadgen import Load, Request, http_request, run_wrk, status_sample
from open_loop import run_open_loop
from processes import (
    BenchFailure,
    CpuMeter,
    Process,
    Processes,
    free_port,
    raise_open_files,
    run_checked,
    wait_for_http,
    wait_for_port,
)
from scenarios import READ_GAME, SUBMIT_GAME, SUBSCORE_BOARD, SUM_BOARD, TOKEN_USERS, Players, Scenario

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
BIN = Path(PYTHON).parent

FULL = {"scores": 1_000_000, "players": 100_000, "games": 10, "scale": [10_000, 100_000, 1_000_000]}
QUICK = {"scores": 20_000, "players": 2_000, "games": 10, "scale": [1_000, 10_000, 20_000]}
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
BENCH_PASSWORD = "bench-Podium-password-1"  # set on a few bench players only, in the bench database
# What --only may name (healthz always runs: every ratio needs it).
STEPS = (
    "rank_timing",
    "dashboard",
    "bare",
    "top100",
    "depth",
    "user_rank",
    "me",
    "me_open",
    "game_detail",
    "submit",
    "submit_open",
    "submit_sum",
    "submit_subscore",
    "websocket",
    "redis_down",
    "workers",
)
IN_PROCESS = "import runpy; runpy.run_path('bench/in_process.py', run_name='__main__')"


def say(text: str = "") -> None:
    print(text, flush=True)


# --- Configuration --------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Podium's benchmark suite (see bench/README.md).")
    parser.add_argument("--quick", action="store_true", help="small data set and short runs: a smoke test")
    parser.add_argument("--reseed", action="store_true", help="load the data set again even if it is there")
    parser.add_argument("--database", help="database name (default podium_bench, podium_bench_quick with --quick)")
    parser.add_argument("--postgres", default=PG_SERVER, help=f"PostgreSQL server URL without a database ({PG_SERVER})")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--seconds", type=int, help="seconds per measured wrk run (default 10; 3 with --quick)")
    parser.add_argument("--warmup", type=int, help="seconds of unmeasured load before each run (default 2; 1 quick)")
    parser.add_argument("--sockets", type=int, help="websocket scenarios: sockets (default 1000; 200 quick)")
    parser.add_argument("--rounds", type=int, help="websocket broadcast rounds (default 20; 5 quick)")
    parser.add_argument("--rank-samples", type=int, default=200, help="random users per board for server time")
    parser.add_argument("--dashboard-samples", type=int, default=50, help="admin dashboard requests (default 50)")
    parser.add_argument("--skip-ws", action="store_true", help="leave out the websocket scenarios")
    parser.add_argument(
        "--only",
        help=(
            "comma-separated steps to run besides /healthz (e.g. top100,me,submit_open): "
            f"{', '.join(STEPS)}; the results go to the run's scratch folder"
        ),
    )
    parser.add_argument(
        "--quiet-cores",
        type=float,
        default=0.25,
        help="before each measurement, wait while other processes use more than this many cores (default 0.25)",
    )
    parser.add_argument(
        "--wait-quiet", type=int, help="seconds to wait for a quiet machine before each measurement (120; 10 quick)"
    )
    parser.add_argument(
        "--output",
        help="results file stem (default bench/results/latest; with --quick, quick in the run's scratch folder)",
    )
    args = parser.parse_args(argv)
    args.only = set(args.only.split(",")) if args.only else None
    if args.only and args.only - set(STEPS):
        parser.error(f"unknown steps in --only: {', '.join(sorted(args.only - set(STEPS)))}")
    args.data = QUICK if args.quick else FULL
    args.database = args.database or ("podium_bench_quick" if args.quick else "podium_bench")
    args.seconds = args.seconds or (3 if args.quick else 10)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    args.sockets = args.sockets or (200 if args.quick else 1000)
    args.rounds = args.rounds or (5 if args.quick else 20)
    args.wait_quiet = args.wait_quiet if args.wait_quiet is not None else (10 if args.quick else 120)
    return args


def ensure_database(server: str, name: str) -> bool:
    """Create the database when it is missing; True when it was created."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return not exists


def machine() -> dict:
    def version(command: list[str]) -> str:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
            lines = (done.stdout or done.stderr).strip().splitlines()
            return lines[0] if lines else ""
        return "?"

    commit = version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = version(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": version(["wrk", "--version"]),
        "nginx": version(["nginx", "-v"]) if shutil.which("nginx") else version(["/usr/sbin/nginx", "-v"]),
        "redis": version(["redis-server", "--version"]),
        "postgresql": version(["psql", "--version"]) if shutil.which("psql") else "?",
        "gitCommit": commit,
        "workTreeModified": dirty not in ("", "?"),
    }


# --- The bench -------------------------------------------------------------------------


class ServerLog:
    """Lines the servers wrote since the last look: counts by level, a few samples."""

    def __init__(self, path: Path):
        self.path, self.offset = path, 0

    def skip(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since_last(self) -> dict:
        if not self.path.exists():
            return {}
        with self.path.open("rb") as log:
            log.seek(self.offset)
            chunk = log.read()
            self.offset = log.tell()
        counts: Counter[str] = Counter()
        samples: list[str] = []
        for line in chunk.decode(errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                level = str(json.loads(line).get("level", "?"))
            except (ValueError, AttributeError):
                level = "unstructured"
            counts[level] += 1
            if len(samples) < 5 and level not in ("INFO", "DEBUG"):
                samples.append(line[:300])
        return {"counts": dict(counts), "samples": samples} if counts else {}


class Bench:
    def __init__(self, args: argparse.Namespace, processes: Processes, env: dict[str, str], workdir: Path):
        self.args, self.processes, self.env, self.workdir = args, processes, env, workdir
        self.load = Load(args.threads, args.connections, args.seconds, args.warmup)
        self.redis: Process | None = None
        self.redis_port = 0
        self.serve: Process | None = None
        self.port = 0
        self.rest_workers = 2
        self.log: ServerLog | None = None
        self.players = Players(token_file=workdir / "tokens.txt", run_id=secrets.token_hex(4))
        data = args.data
        self.big = max(data["scale"])
        self.big_slug = f"bench-scale-{self.big}"
        self.results: dict = {
            "startedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "complete": False,
            "config": {
                "mode": "quick" if args.quick else "full",
                "database": args.database,
                "dataSet": data,
                "load": {
                    "threads": args.threads,
                    "connections": args.connections,
                    "seconds": args.seconds,
                    "warmupSeconds": args.warmup,
                },
                "websocket": {"sockets": args.sockets, "rounds": args.rounds},
                "restWorkers": 2,
                "liveWorkers": 1,
                "only": sorted(args.only) if args.only else None,
            },
            "machine": machine(),
            "setup": {},
            "ceilings": {},
            "http": {},
            "openLoop": {},
            "serverDeaths": [],
        }

    # --- services ---

    def manage(self, *arguments: str, timeout: float = 3600, env: dict | None = None) -> str:
        return run_checked(
            [PYTHON, "manage.py", *arguments],
            env={**self.env, **(env or {})},
            cwd=ROOT,
            what=f"manage.py {' '.join(arguments)}",
            timeout=timeout,
        )

    def in_process(self, task: str, **arguments) -> dict:
        output = self.manage(
            "shell", "--no-imports", "-c", IN_PROCESS, env={"BENCH_TASK": json.dumps({"task": task, **arguments})}
        )
        line = next((ln for ln in output.splitlines() if ln.startswith("BENCH_JSON ")), None)
        if line is None:
            raise BenchFailure(f"in-process task {task} printed no result:\n{output[-2000:]}")
        return json.loads(line.removeprefix("BENCH_JSON "))

    def start_redis(self, name: str = "redis") -> None:
        import redis

        if not shutil.which("redis-server"):
            raise BenchFailure("redis-server is not installed (Debian package redis-server; `make bench` installs it)")
        self.redis_port = self.redis_port or free_port(start=16400)
        self.redis = self.processes.start(
            name,
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        wait_for_port(self.redis_port, process=self.redis)
        client = redis.Redis(port=self.redis_port, socket_timeout=5)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.BusyLoadingError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.env["REDIS_URL"] = f"redis://127.0.0.1:{self.redis_port}/0"

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.processes.stop(self.redis)
            self.redis = None

    def start_serve(self, *, rest_workers: int = 2) -> None:
        self.rest_workers = rest_workers
        self.port = free_port(also_offsets=(101, 102), start=18100)
        name = f"serve-{rest_workers}w-{self.port}"
        self.serve = self.processes.start(
            name,
            [str(ROOT / "deploy" / "serve")],
            env={
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "REST_WORKERS": str(rest_workers),
                "LIVE_WORKERS": "1",
                "BIN": str(BIN),
            },
        )
        self.serve.watch()
        self.log = ServerLog(self.serve.log)
        wait_for_http(f"http://127.0.0.1:{self.port}/healthz", process=self.serve, timeout=90)
        wait_for_port(self.port + 102, process=self.serve, timeout=60)
        say(
            f"deploy/serve up on 127.0.0.1:{self.port} ({rest_workers} REST workers, 1 live worker); "
            f"log {self.serve.log}"
        )

    def stop_serve(self) -> None:
        if self.serve is not None:
            self.processes.stop(self.serve)
            self.serve = None

    def serve_died(self, where: str) -> bool:
        """When deploy/serve has ended by itself: record how, and start it again."""
        if self.serve is None or self.serve.running:
            return False
        lines = self.serve.log.read_text(errors="replace").splitlines()
        noise = ('"logger": "podium.cache"', "connect() failed")
        event = {
            "where": where,
            "exitCode": self.serve.popen.returncode,
            "firstToExit": self.serve.watcher.vanished[:6] if self.serve.watcher else [],
            "logTail": [line[:300] for line in lines if not any(n in line for n in noise)][-12:],
            "log": str(self.serve.log),
        }
        self.results["serverDeaths"].append(event)
        say(f"\n!! deploy/serve exited by itself ({where}), exit {event['exitCode']}; first to go:")
        for gone in event["firstToExit"]:
            say(f"!!   {gone['at']} pid {gone['pid']}: {gone['command']}")
        say("!! last log lines:\n" + "\n".join(f"!!   {line}" for line in event["logTail"]))
        self.stop_serve()
        self.start_serve(rest_workers=self.rest_workers)
        self.sign_in()
        return True

    def groups(self, server: Process | None = None) -> dict[str, int]:
        """Process groups that are part of the measurement (for the CPU accounts)."""
        groups = {}
        if server or self.serve:
            groups["server"] = (server or self.serve).popen.pid
        if self.redis is not None:
            groups["redis"] = self.redis.popen.pid
        return groups

    def wait_for_quiet(self, server: Process | None = None) -> dict:
        """Until other processes (other people's tests, say) leave the CPUs
        alone, for at most --wait-quiet seconds; what was seen goes on record."""
        waited = 0
        while True:
            with CpuMeter(self.groups(server)) as cpu:
                time.sleep(1.0)
            busy = (cpu.result.get("others", 0.0) + cpu.result.get("postgresql", 0.0)) / cpu.result["wall"]
            quiet = busy <= self.args.quiet_cores
            if quiet or waited >= self.args.wait_quiet:
                if not quiet:
                    say(f"  still busy after {waited} s ({busy:.2f} cores): measuring anyway")
                elif waited:
                    say(f"  quiet after {waited} s")
                return {"foreignCores": round(busy, 2), "waitedSeconds": waited, "quiet": quiet}
            if waited == 0:
                say(
                    f"  machine busy: PostgreSQL {cpu.result.get('postgresql', 0.0):.2f} CPU-s, other processes "
                    f"{cpu.result.get('others', 0.0):.2f} CPU-s in the last second "
                    f"(busiest others: {cpu.result.get('othersTop', {})}); "
                    f"waiting up to {self.args.wait_quiet} s for a quiet machine..."
                )
            time.sleep(2.0)
            waited += 3

    # --- steps ---

    def prepare_data(self) -> None:
        args, data = self.args, self.args.data
        created = ensure_database(args.postgres, args.database)
        say(f"database {args.database}: {'created' if created else 'exists'}; private Redis on {self.redis_port}")
        started = time.perf_counter()
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput", "--verbosity", "0")
        status = self.in_process(
            "status", scores=data["scores"], players=data["players"], games=data["games"], scale_boards=data["scale"]
        )
        setup = self.results["setup"]
        setup["datasetBefore"] = status
        if args.reseed or not status["ready"]:
            reason = "--reseed" if args.reseed else f"not the expected data set ({status})"
            say(f"seeding ({reason}); this takes a few minutes for the full data set...")
            seeded = time.perf_counter()
            output = self.manage(
                "seed_bench",
                "--scores",
                str(data["scores"]),
                "--players",
                str(data["players"]),
                "--games",
                str(data["games"]),
                "--scale-boards",
                ",".join(str(size) for size in data["scale"]),
                "--no-progress",
            )
            say("  " + (output.strip().splitlines() or ["(no output)"])[-1])
            setup["seedSeconds"] = round(time.perf_counter() - seeded, 1)
            setup["seeded"] = True
        else:
            say("data set already loaded: reusing it; rebuilding the private Redis from PostgreSQL...")
            rebuilt = time.perf_counter()
            self.manage("rebuild_leaderboards")
            setup["rebuildSeconds"] = round(time.perf_counter() - rebuilt, 1)
            setup["seeded"] = False
            say(f"  rebuilt in {setup['rebuildSeconds']} s")
        setup["passwords"] = self.in_process("passwords", count=TOKEN_USERS, password=BENCH_PASSWORD)
        setup["wsGame"] = self.in_process("ws_game")
        setup["subscoreBoard"] = self.in_process("subscore_board", slug=SUBMIT_GAME)
        setup["prepareSeconds"] = round(time.perf_counter() - started, 1)

    def rank_timing(self) -> None:
        say(f"timing selectors in-process ({self.args.rank_samples} random users per scale board)...")
        quiet = self.wait_for_quiet()
        timing = self.in_process(
            "rank_timing", scale_boards=self.args.data["scale"], samples=self.args.rank_samples, warmup=20, seed=7
        )
        timing["machineBefore"] = quiet
        self.results["rankTiming"] = timing
        say(report.rank_timing_table(timing))

    def dashboard_timing(self) -> None:
        samples = self.args.dashboard_samples
        say(f"timing the admin dashboard of {self.big_slug} in-process ({samples} requests, one at a time)...")
        quiet = self.wait_for_quiet()
        timing = self.in_process("dashboard_timing", slug=self.big_slug, samples=samples, warmup=3)
        timing["machineBefore"] = quiet
        self.results["dashboardTiming"] = timing
        say(report.dashboard_table(timing))

    def bare_ceiling(self) -> None:
        port = free_port(start=18700)
        bare = self.processes.start(
            "bare-asgi",
            [
                str(BIN / "uvicorn"),
                "--app-dir",
                str(BENCH),
                "bare_asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/", process=bare)
            scenario = Scenario("ceiling_bare_asgi", "Ceiling: bare ASGI app, uvicorn, 1 worker (~2 KB JSON)", "/")
            result = self.measure(scenario, port=port, server=bare)
        finally:
            self.processes.stop(bare)
        self.results["http"]["bare_asgi"] = result
        self.results["ceilings"]["bare"] = result.get("rps")
        say(report.scenario_table(result, self.results["ceilings"]))

    def sign_in(self) -> None:
        names = self.results["setup"]["passwords"]["usernames"]
        tokens = []
        for name in names:
            answer = http_request(
                self.port, Request("POST", "/api/v1/auth/login/", body={"username": name, "password": BENCH_PASSWORD})
            )
            if answer.status != 200:
                raise BenchFailure(f"login as {name} answered {answer.status}: {answer.data}")
            tokens.append(answer.data["data"]["access"])
        self.players.tokens = tokens
        self.players.token_file.write_text("\n".join(tokens) + "\n")
        say(f"signed in as {len(tokens)} bench players")

    def measure(self, scenario: Scenario, *, port: int | None = None, server: Process | None = None) -> dict:
        """Probe, warm up, run wrk; the figures with what the probes, the CPU
        accounts and the server log saw."""
        port = port or self.port
        server = server or self.serve
        log = self.log if server is self.serve else None
        plain = server is not self.serve  # the bare ceiling: no per-response Lua in wrk
        url = f"http://127.0.0.1:{port}{scenario.url_path}"
        result: dict = {"title": scenario.title, "machineBefore": self.wait_for_quiet(server)}
        groups = self.groups(server)
        try:
            if log:
                log.skip()
            probes = []
            for request in scenario.requests(3):
                answer = http_request(port, request)
                problem = scenario.check(answer) if scenario.check else None
                if problem is None and not 200 <= answer.status < 300:
                    problem = f"{request.method} {request.path} answered {answer.status}: {str(answer.data)[:200]}"
                probes.append(
                    {"path": request.path, "status": answer.status, "ms": round(answer.ms, 2), "problem": problem}
                )
            warmup = None
            if self.load.warmup_seconds:
                warmup = run_wrk(
                    url,
                    self.load,
                    script=scenario.script,
                    args=scenario.wrk_args(),
                    seconds=self.load.warmup_seconds,
                    count_statuses=not plain,
                )
            with CpuMeter(groups) as cpu:
                measured = run_wrk(
                    url, self.load, script=scenario.script, args=scenario.wrk_args(), count_statuses=not plain
                )
            result.update(measured)
            result["cpuSeconds"] = cpu.result
            if cpu.result.get("server") is not None and measured.get("requests"):
                # The most stable figure on a noisy machine (issue #13).
                result["serverCpuMsPerRequest"] = round(cpu.result["server"] * 1000 / measured["requests"], 3)
            result["probes"] = probes
            if warmup:
                result["warmup"] = {k: warmup[k] for k in ("requests", "rps", "p99Ms", "errors", "non2xx", "statuses")}
            if result["errors"] or (warmup and warmup["errors"]):
                result["statusSample"] = status_sample(port, scenario.requests(20))
        except (BenchFailure, OSError, ValueError, KeyError) as exc:
            result["error"] = f"{type(exc).__name__}: {exc}"
        if log:
            result["serverLog"] = log.since_last()
        return result

    def run_http(self, scenario: Scenario, *, key: str | None = None) -> dict:
        key = key or scenario.key
        self.serve_died(f"before {key}")
        result = self.measure(scenario)
        if self.serve_died(f"during {key}"):
            result["serverDied"] = True
        self.results["http"][key] = result
        say()
        say(report.scenario_table(result, self.results["ceilings"]))
        return result

    def websockets(self) -> None:
        out = self.workdir / "ws_broadcast.json"
        command = [
            PYTHON,
            str(BENCH / "ws_broadcast.py"),
            "--sockets",
            str(self.args.sockets),
            "--url",
            f"http://127.0.0.1:{self.port}",
            "--game",
            self.results["setup"]["wsGame"]["slug"],
            "--rounds",
            str(self.args.rounds),
            "--no-rounds-table",
            "--json",
            str(out),
        ]
        say()
        say(f"websockets: {' '.join(command[1:])}")
        self.serve_died("before websockets")
        quiet = self.wait_for_quiet()
        if self.log:
            self.log.skip()
        with CpuMeter(self.groups()) as cpu:
            done = subprocess.run(
                command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=900, check=False
            )
        (self.workdir / "ws_broadcast.log").write_text(done.stdout + done.stderr)
        say("\n".join("  | " + line for line in done.stdout.rstrip().splitlines()))
        if done.stderr.strip():
            say("\n".join("  ! " + line for line in done.stderr.rstrip().splitlines()[-10:]))
        ws: dict = {"exitCode": done.returncode, "command": " ".join(command[1:]), "machineBefore": quiet}
        if out.exists():
            ws.update(json.loads(out.read_text()))
            for round_ in (ws.get("broadcast") or {}).get("rounds", []):
                round_.pop("deliveries", None)  # one figure per socket: kept in the run's work folder only
        else:
            ws["error"] = f"ws_broadcast.py exited {done.returncode}: {done.stderr.strip()[-500:]}"
        ws["cpuSeconds"] = cpu.result
        if self.log:
            ws["serverLog"] = self.log.since_last()
        if self.serve_died("during websockets"):
            ws["serverDied"] = True
        self.results["websocket"] = ws
        say()
        say(report.websocket_table(ws))

    def read_scenarios(self) -> list[Scenario]:
        return scenarios.read_scenarios(big=self.big, slug=self.big_slug, players=self.players)

    def open_loop(self, key: str, closed: dict, make_request) -> None:
        """`key` open-loop at half the rate its closed-loop run reached (issue #13)."""
        if "error" in closed or not closed.get("rps"):
            self.results["openLoop"][key] = {"error": f"no closed-loop rate to halve ({closed.get('error')})"}
            return
        rate = round(closed["rps"] / 2, 1)
        self.serve_died(f"before {key}")
        quiet = self.wait_for_quiet()
        with CpuMeter(self.groups()) as cpu:
            result = run_open_loop(
                self.port, rate=rate, seconds=self.args.seconds, make_request=make_request, connections=64
            )
        result.update({"title": f"{closed['title']}, open loop at half its rate", "machineBefore": quiet})
        result["cpuSeconds"] = cpu.result
        if cpu.result.get("server") is not None and result.get("answered"):
            result["serverCpuMsPerRequest"] = round(cpu.result["server"] * 1000 / result["answered"], 3)
        self.results["openLoop"][key] = result
        say()
        say(report.open_loop_table(key, result))

    def redis_down(self) -> None:
        say()
        say("stopping the private Redis: the same reads from PostgreSQL...")
        self.stop_redis()
        for scenario in self.read_scenarios():
            scenario.title = f"Redis down: {scenario.title}"
            self.run_http(scenario, key=f"redis_down_{scenario.key}")
        say()
        say("starting Redis again and rebuilding the boards from PostgreSQL...")
        self.start_redis("redis-restarted")
        started = time.perf_counter()
        self.manage("rebuild_leaderboards")
        self.results["setup"]["rebuildAfterRedisDownSeconds"] = round(time.perf_counter() - started, 1)
        answer = http_request(self.port, Request("GET", f"/api/v1/games/{READ_GAME}/leaderboard/?limit=100"))
        say(f"  rebuilt in {self.results['setup']['rebuildAfterRedisDownSeconds']} s; top-100 answers {answer.status}")

    def workers(self) -> None:
        read = self.read_scenarios()[0]
        for count in (2, 1):
            self.stop_serve()
            self.start_serve(rest_workers=count)
            for scenario in (scenarios.healthz(), read):
                scenario = Scenario(**{**scenario.__dict__})
                scenario.title = f"{count} REST worker{'s' if count > 1 else ''}: {scenario.title}"
                self.run_http(scenario, key=f"workers_{count}_{scenario.key}")

    def wants(self, step: str) -> bool:
        return self.args.only is None or step in self.args.only

    def run(self) -> None:
        self.start_redis()
        self.prepare_data()
        if self.wants("rank_timing"):
            self.rank_timing()
        if self.wants("dashboard"):
            self.dashboard_timing()
        if self.wants("bare"):
            self.bare_ceiling()
        self.start_serve(rest_workers=2)
        self.sign_in()
        healthz = self.run_http(scenarios.healthz())
        self.results["ceilings"]["healthz"] = healthz.get("rps")
        for scenario in self.read_scenarios():
            if self.wants(scenario.key) or (scenario.key == "me" and self.wants("me_open")):
                self.run_http(scenario)
        if self.wants("me_open"):
            self.open_loop(
                "me_open", self.results["http"]["me"], scenarios.open_loop_me(self.players, slug=self.big_slug)
            )
        if self.wants("submit") or self.wants("submit_open"):
            self.run_http(scenarios.submit_scenario(self.players))
        if self.wants("submit_open"):
            make = scenarios.open_loop_submissions(self.players, nonce=secrets.token_hex(4))
            self.open_loop("submit_open", self.results["http"]["submit"], make)
        if self.wants("submit_sum"):
            self.run_http(scenarios.submit_scenario(self.players, "submit_sum", board=SUM_BOARD, largest=100))
        if self.wants("submit_subscore"):
            self.run_http(
                scenarios.submit_scenario(self.players, "submit_subscore", board=SUBSCORE_BOARD, subscore=True)
            )
        if not self.args.skip_ws and self.wants("websocket"):
            self.websockets()
        if self.wants("redis_down"):
            self.redis_down()
        if self.wants("workers"):
            self.workers()
        self.stop_serve()
        self.results["complete"] = True


def print_report(results: dict) -> None:
    say()
    say("=" * 100)
    say(f"Podium bench {results['startedAt']} ({results['config']['mode']} run) on {results['machine']['cpus']} CPUs")
    ceilings = results["ceilings"]
    say(
        f"ceilings: bare ASGI {report.fmt(ceilings.get('bare'))} req/s, "
        f"minimal Django view (/healthz) {report.fmt(ceilings.get('healthz'))} req/s"
    )
    say(report.summary_table(results))
    for key, result in (results.get("openLoop") or {}).items():
        say(report.open_loop_table(key, result))
    if results.get("rankTiming"):
        say(report.rank_timing_table(results["rankTiming"]))
    if results.get("dashboardTiming"):
        say(report.dashboard_table(results["dashboardTiming"]))
    if results.get("websocket"):
        say(report.websocket_table(results["websocket"]))
    busy = report.busy_runs(results)
    if busy:
        say(f"NOTE: other processes used CPU during these measurements (cores): {busy}")
    say(report.targets_table(results["targets"]))
    for death in results.get("serverDeaths", []):
        first = "; ".join(f"{g['at']} {g['command'][:60]}" for g in death["firstToExit"][:3]) or "?"
        say(f"deploy/serve exited by itself {death['where']} (exit {death['exitCode']}); first to go: {first}")
    met = sum(1 for target in results["targets"].values() if target["met"])
    say(f"{met} of {len(results['targets'])} targets met.")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    open_files = raise_open_files()
    if not shutil.which("wrk"):
        say("wrk is not installed (Debian package wrk; `make bench` installs it)")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="podium-bench-"))
    # A smoke run, or a partial one, leaves bench/results/ to the full runs.
    partial = args.quick or args.only
    scratch = workdir / ("quick" if args.quick else "partial")
    stem = args.output or str(scratch if partial else BENCH / "results" / "latest")
    args.json_path, args.png_path = Path(f"{stem}.json"), Path(f"{stem}.png")
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.postgres}/{args.database}",
        "REDIS_KEY_PREFIX": "podium-bench",
        "PODIUM_DEV_SECRET": "1",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "SCORE_RATE": "10000000/m",
        "LOGIN_RATE": "100000/m",
        "REGISTER_RATE": "100000/m",
        "JWT_ACCESS_MINUTES": "720",
        # Its 1,000 sockets (and a join burst of as many) come from one address.
        "WS_MAX_PER_ADDRESS": "100000",
        "WS_MAX_PER_USER": "100000",
        "PYTHONUNBUFFERED": "1",
    }
    say(
        f"Podium bench ({'quick' if args.quick else 'full'} run), open-file limit {open_files}; "
        f"logs and scratch files in {workdir}"
    )
    started = time.perf_counter()
    status = 0
    with Processes(env=env, cwd=ROOT, log_dir=workdir) as processes:
        bench = Bench(args, processes, env, workdir)
        try:
            bench.run()
        except (Exception, KeyboardInterrupt) as exc:  # report what was measured, whatever stopped it
            say(f"\nbench stopped: {type(exc).__name__}: {exc}")
            traceback.print_exc()
            bench.results["failure"] = f"{type(exc).__name__}: {exc}"
            status = 2
    results = bench.results
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = report.compute_targets(results)
    print_report(results)
    if results["complete"]:
        report.write_json(results, args.json_path)
        report.write_chart(results, args.png_path)
        say(f"\nwrote {args.json_path} and {args.png_path} in {results['seconds']} s")
    else:
        failed = args.json_path.with_name(args.json_path.stem + "-failed.json.tmp")
        report.write_json(results, failed)
        say(f"\nincomplete run: figures so far in {failed}")
    return status


if __name__ == "__main__":
    sys.exit(main())
