"""Processes the bench starts, and the guarantee that it stops every one.

Each server runs in its own session (process group), so stopping it stops
its children too (deploy/serve's nginx, granian and uvicorn workers), and
nothing is ever stopped by name. `Processes` is a context manager: leaving
it, normally or through an exception or a signal, stops whatever is still
running, newest first.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path


class BenchFailure(Exception):
    """The bench cannot go on; the message says why."""


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(*, also_offsets: tuple[int, ...] = (), start: int = 18000) -> int:
    """A port P on 127.0.0.1 such that P and P + each offset are all free."""
    for port in range(start, 60000, 7):
        if all(port_is_free(port + offset) for offset in (0, *also_offsets)):
            return port
    raise BenchFailure("no free port on 127.0.0.1")


def raise_open_files() -> int:
    """Lift the soft open-file limit to the hard limit; every server the bench
    starts inherits it (a websocket costs a descriptor at each end)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Process:
    """One started command in its own process group, with its output in a log file."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], cwd: Path, log: Path):
        self.name = name
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = log.open("ab")
        self.popen = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # setsid: its own process group
        )
        self.watcher: GroupWatcher | None = None

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def watch(self) -> GroupWatcher:
        """Start noting which member of the group exits first (and when)."""
        self.watcher = GroupWatcher(self.popen.pid)
        self.watcher.start()
        return self.watcher

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the whole group, SIGKILL to the group if it lingers."""
        if self.watcher is not None:
            self.watcher.stop()
        pgid = self.popen.pid  # start_new_session: the group id is the leader's pid
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
                self.popen.wait(5)
        # Children that outlived their leader (e.g. a worker) go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, 0)
            time.sleep(0.5)
            os.killpg(pgid, signal.SIGKILL)
        self._log_file.close()


def _proc_stat(pid: str) -> tuple[int, str, int, int] | None:
    """(process group, command name, CPU ticks so far, parent pid) of a live process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            raw = stat.read()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[2]), name, int(fields[11]) + int(fields[12]), int(fields[1])


def processes_now() -> dict[int, tuple[int, str, int, int]]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _proc_stat(entry)) is not None:
            found[int(entry)] = stat
    return found


def _command_line(pid: int) -> str:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        return cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()[:200]
    return "?"


class GroupWatcher(threading.Thread):
    """Polls a process group and records every member that disappears, in
    order: when a server stack falls over, the first to go is the culprit."""

    def __init__(self, pgid: int, interval: float = 0.2):
        super().__init__(daemon=True, name=f"watch-{pgid}")
        self.pgid, self.interval = pgid, interval
        self.members: dict[int, str] = {}
        self.vanished: list[dict] = []
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self.interval):
            alive = {pid for pid, (pgid, *_rest) in processes_now().items() if pgid == self.pgid}
            for pid in alive - self.members.keys():
                self.members[pid] = _command_line(pid)
            for pid in [pid for pid in self.members if pid not in alive]:
                self.vanished.append({"at": time.strftime("%H:%M:%S"), "pid": pid, "command": self.members.pop(pid)})

    def stop(self) -> None:
        self._stopping.set()


class CpuMeter:
    """CPU seconds spent during a measurement, by who spent them: the
    servers under test, PostgreSQL, the bench's own children (wrk, clients)
    and everything else on the machine (which should be about nothing)."""

    def __init__(self, groups: dict[str, int]):
        self.groups = groups  # label -> process group id
        self.tick = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> CpuMeter:
        self.before = processes_now()
        self.children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.started = time.monotonic()
        self.result: dict[str, float] = {}
        return self

    def __exit__(self, *exc_info) -> None:
        after = processes_now()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        labels = {pgid: label for label, pgid in self.groups.items()}
        me = os.getpid()
        spent: dict[str, float] = {"wall": round(time.monotonic() - self.started, 2)}
        busiest: dict[str, float] = {}
        for pid, (_pgid, name, ticks, _ppid) in after.items():
            if pid == me:
                continue
            used = (ticks - self.before.get(pid, (0, "", 0, 0))[2]) / self.tick
            if used <= 0:
                continue
            label = _label(pid, after, labels) or ("postgresql" if name.startswith("postgres") else "others")
            spent[label] = spent.get(label, 0.0) + used
            if label == "others":
                busiest[f"{name}[{pid}]"] = busiest.get(f"{name}[{pid}]", 0.0) + used
        spent["client"] = (children.ru_utime + children.ru_stime) - (
            self.children_before.ru_utime + self.children_before.ru_stime
        )
        self.result = {key: round(value, 2) for key, value in spent.items()}
        if busiest:
            top = sorted(busiest.items(), key=lambda item: -item[1])[:3]
            self.result["othersTop"] = {key: round(value, 2) for key, value in top}


def _label(pid: int, processes: dict[int, tuple[int, str, int, int]], labels: dict[int, str]) -> str | None:
    """The label of the measured group a process belongs to, through its
    ancestors: deploy/serve starts each server with setsid, in a group (and
    session) of its own, under the bench's process group for deploy/serve."""
    for _depth in range(32):
        found = processes.get(pid)
        if found is None:
            return None
        pgid, _name, _ticks, parent = found
        if pgid in labels:
            return labels[pgid]
        pid = parent
    return None


class Processes(contextlib.AbstractContextManager):
    """Every process the bench started, stopped on the way out whatever happens."""

    def __init__(self, *, env: dict[str, str], cwd: Path, log_dir: Path):
        self.env, self.cwd, self.log_dir = env, cwd, log_dir
        self._running: list[Process] = []

    def start(self, name: str, command: list[str], *, env: dict[str, str] | None = None) -> Process:
        log = self.log_dir / f"{name}.log"
        process = Process(name, command, env={**self.env, **(env or {})}, cwd=self.cwd, log=log)
        self._running.append(process)
        return process

    def stop(self, process: Process) -> None:
        process.stop()
        if process in self._running:
            self._running.remove(process)

    def __enter__(self) -> Processes:
        # A SIGTERM/SIGHUP to the bench unwinds like Ctrl-C, through __exit__.
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _raise_interrupt)
        return self

    def __exit__(self, *exc_info) -> None:
        while self._running:
            process = self._running.pop()
            with contextlib.suppress(Exception):
                process.stop()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def wait_for_http(url: str, *, process: Process, timeout: float = 60.0, expect: int = 200) -> None:
    """Until `url` answers `expect`; fails early when the process has died."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not process.running:
            raise BenchFailure(f"{process.name} exited with {process.popen.returncode}; see {process.log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own server
                if response.status == expect:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise BenchFailure(f"{url} did not answer {expect} within {timeout:.0f} s ({last}); see {process.log}")


def wait_for_port(port: int, *, process: Process, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.running:
            raise BenchFailure(f"{process.name} exited with {process.popen.returncode}; see {process.log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise BenchFailure(f"{process.name} is not listening on {port} after {timeout:.0f} s; see {process.log}")


def run_checked(command: list[str], *, env: dict[str, str], cwd: Path, what: str, timeout: float = 3600) -> str:
    """Run a command to completion; its stdout, or a failure with its output."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
        raise BenchFailure(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done.stdout
