"""How a game shows its scores: by the unit its metadata names.

`{"unit": "ms"}` names the default board's unit, `{"units": {"time-trial":
"ms"}}` another board's. `ms` (or `s`) shows values as a time (`68772` → `1:08.772`);
any other unit follows the number (`1,250 points`); no unit, the number
alone, with thousands separators. The live page's script has the same rules
(realtime/static/realtime/live.js, `formatScore`); a test holds them equal.
"""

from __future__ import annotations

from typing import Any

# Milliseconds in one of each time unit.
TIME_UNITS = {"ms": 1, "s": 1000}
UNIT_MAX_LENGTH = 20


def score_unit(metadata: Any, board_key: str = "default") -> str | None:
    """The unit a game's metadata names for one of its boards, or None."""
    if not isinstance(metadata, dict):
        return None
    units = metadata.get("units")
    unit = units.get(board_key) if isinstance(units, dict) else None
    if unit is None and board_key == "default":
        unit = metadata.get("unit")
    if not isinstance(unit, str) or not unit.strip():
        return None
    return unit.strip()[:UNIT_MAX_LENGTH]


def format_score(value: int, unit: str | None) -> str:
    if unit in TIME_UNITS:
        return _clock(value * TIME_UNITS[unit], milliseconds=unit == "ms")
    number = f"{value:,}"
    return f"{number} {unit}" if unit else number


def _clock(total_ms: int, *, milliseconds: bool) -> str:
    """`h:mm:ss.mmm`, hours only when there are any; `.mmm` for milliseconds."""
    sign = "-" if total_ms < 0 else ""
    seconds, ms = divmod(abs(total_ms), 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    clock = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
    return f"{sign}{clock}.{ms:03d}" if milliseconds else f"{sign}{clock}"
