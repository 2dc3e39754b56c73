"""Page-number pagination in the envelope's `meta`, and whitelisted sorting."""

from __future__ import annotations

from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from config.api.query import MAX_LIMIT, MAX_PAGE, PageRequest, parse_page_request, parse_sort
from config.api.rendering import success_envelope

META_SCHEMA = {
    "type": "object",
    "required": ["page", "limit", "total", "pages", "hasNext", "hasPrev"],
    "properties": {
        "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        "total": {"type": "integer", "minimum": 0},
        "pages": {"type": "integer", "minimum": 0},
        "hasNext": {"type": "boolean"},
        "hasPrev": {"type": "boolean"},
    },
}

PAGE_PARAMETERS = [
    {
        "name": "page",
        "in": "query",
        "required": False,
        "description": f"Page number, 1 to {MAX_PAGE}. A page past the end is an empty list.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"Items per page, 1 to {MAX_LIMIT}.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 20},
    },
]


def paginated_envelope_schema(items_schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["success", "data", "meta"],
        "properties": {
            "success": {"type": "boolean", "description": "Always true."},
            "data": items_schema,
            "meta": META_SCHEMA,
        },
    }


class EnvelopePagination(BasePagination):
    """Slices a queryset by `?page` and `?limit`; the total goes in `meta`."""

    page_request: PageRequest
    total: int

    def paginate_queryset(self, queryset, request, view=None):
        """Works on a queryset or, for orders the database cannot give, a list."""
        self.page_request = parse_page_request(request.query_params)
        self.total = len(queryset) if isinstance(queryset, list) else queryset.count()
        start = self.page_request.offset
        if start >= self.total:
            return []
        return list(queryset[start : start + self.page_request.limit])

    def get_paginated_response(self, data):
        return Response(success_envelope(data, self.page_request.meta(self.total)))

    def get_paginated_response_schema(self, schema):
        return paginated_envelope_schema(schema)

    def get_schema_operation_parameters(self, view):
        return PAGE_PARAMETERS


class SortFilter(BaseFilterBackend):
    """`?sort=` against the view's whitelist.

    A view declares `sort_fields` (wire name → model field) and
    `default_sort`; the primary key breaks ties so that a page never shifts
    under a reader. A field mapped to None is not in the database (a live
    count): the queryset is left as is and the view sorts by `view.sort_order`.
    """

    def filter_queryset(self, request, queryset, view):
        fields: dict[str, str | None] = view.sort_fields
        order = parse_sort(request.query_params, allowed=frozenset(fields), default=view.default_sort)
        view.sort_order = order
        if fields[order.field] is None:
            return queryset
        prefix = "-" if order.descending else ""
        return queryset.order_by(f"{prefix}{fields[order.field]}", f"{prefix}pk")

    def get_schema_operation_parameters(self, view):
        choices = sorted(view.sort_fields)
        return [
            {
                "name": "sort",
                "in": "query",
                "required": False,
                "description": f"Sort field, `-` prefix for descending. Default `{view.default_sort}`.",
                "schema": {"type": "string", "enum": [*choices, *(f"-{c}" for c in choices)]},
            }
        ]
