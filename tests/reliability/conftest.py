"""Fault injection: each test causes a fault for real (a Redis server killed
or paused, PostgreSQL cut off behind a proxy, a server process SIGKILLed,
retries racing) and records what clients saw. `make test-reliability`
prints the table of those records at the end and writes it to
test-artifacts/reliability.json."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from tests.e2e.live_servers import Servers

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FaultRecord:
    fault: str
    requests: int = 0
    server_errors: int = 0
    scores_lost: int = 0
    recovery_seconds: float | None = None
    notes: list[str] = field(default_factory=list)


RECORDS: list[FaultRecord] = []


@pytest.fixture
def servers(transactional_db, tmp_path, monkeypatch):
    """Podium server processes for the test (see tests.e2e.live_servers),
    with submissions unlimited."""
    monkeypatch.setenv("SCORE_RATE", "100000/m")
    fleet = Servers(log_dir=tmp_path)
    yield fleet
    fleet.stop_all()


@pytest.fixture
def record(request):
    """A row of the reliability table for this test's fault."""
    row = FaultRecord(fault=request.node.get_closest_marker("fault").args[0])
    RECORDS.append(row)
    return row


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.reliability)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RECORDS:
        return
    header = ("fault", "requests sent", "5xx seen", "scores lost", "time to recover")
    rows = [
        (
            row.fault,
            str(row.requests),
            str(row.server_errors),
            str(row.scores_lost),
            "-" if row.recovery_seconds is None else f"{row.recovery_seconds:.2f} s",
        )
        for row in RECORDS
    ]
    widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(len(header))]
    write = terminalreporter.write_line
    write("")
    write("Reliability under faults")
    for cells in [header, tuple("-" * width for width in widths), *rows]:
        write("| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |")
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "reliability.json").write_text(json.dumps([asdict(row) for row in RECORDS], indent=2))
