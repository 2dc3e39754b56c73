"""Query-string parsing shared by every list: page, limit, sort and booleans.

Each parser refuses a bad value with a 400 naming the parameter; none of
them guesses. Kept free of DRF so that selectors reading from Redis can use
the same rules as querysets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from config.errors import ValidationFailed

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Pages past any real list, yet small enough that every offset stays a
# 64-bit integer for the database and Redis.
MAX_PAGE = 10**12 - 1
_DIGITS = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class PageRequest:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def meta(self, total: int) -> dict[str, int | bool]:
        """The contract's `meta` object for this page of a list of `total` items."""
        pages = math.ceil(total / self.limit) if total else 0
        return {
            "page": self.page,
            "limit": self.limit,
            "total": total,
            "pages": pages,
            "hasNext": self.page < pages,
            "hasPrev": self.page > 1,
        }


@dataclass(frozen=True)
class SortOrder:
    field: str
    descending: bool

    @property
    def wire(self) -> str:
        return f"-{self.field}" if self.descending else self.field


def _positive_int(params: Mapping[str, str], name: str, default: int, maximum: int | None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    bound = f" between 1 and {maximum}" if maximum else " of at least 1"
    if not _DIGITS.fullmatch(raw) or int(raw) < 1 or (maximum and int(raw) > maximum):
        raise ValidationFailed.for_field(name, f"{name} must be an integer{bound}.")
    return int(raw)


def parse_page_request(params: Mapping[str, str]) -> PageRequest:
    """`?page` (1 to MAX_PAGE, default 1) and `?limit` (1 to 100, default 20)."""
    return PageRequest(
        page=_positive_int(params, "page", 1, MAX_PAGE),
        limit=_positive_int(params, "limit", DEFAULT_LIMIT, MAX_LIMIT),
    )


def parse_sort(params: Mapping[str, str], *, allowed: set[str] | frozenset[str], default: str) -> SortOrder:
    """`?sort=field` or `?sort=-field`, `field` one of `allowed` (wire names)."""
    raw = params.get("sort", default)
    descending = raw.startswith("-")
    field = raw[1:] if descending else raw
    if field not in allowed:
        choices = ", ".join(sorted(allowed))
        raise ValidationFailed.for_field("sort", f"sort must be one of {choices}, with - for descending.")
    return SortOrder(field=field, descending=descending)


def parse_bool(params: Mapping[str, str], name: str) -> bool | None:
    """A boolean filter: `true`, `false`, or absent (None)."""
    raw = params.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise ValidationFailed.for_field(name, f"{name} must be true or false.")
    return raw == "true"


def parse_int_in_range(params: Mapping[str, str], name: str, *, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise ValidationFailed.for_field(name, f"{name} must be an integer between {low} and {high}.")
    return int(raw)
