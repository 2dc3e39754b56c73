"""Model instances from rows of raw SQL, for the few lookups whose ORM
query costs more to compile than to run (a millisecond against a quarter):
the statement is written once from the model's columns, and each row
becomes the model as the ORM would make it. PostgreSQL only: elsewhere the
backend's own converters (SQLite's dates) would be needed too."""

from __future__ import annotations

from django.db import connection


def columns(model, alias: str) -> str:
    """Every column of `model`, in field order, qualified by `alias`."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def from_row(model, values):
    """`model` from all its columns' values, in field order, converted as
    the ORM would (JSON fields come from psycopg as text)."""
    fields = model._meta.concrete_fields
    return model.from_db(
        connection.alias,
        [field.attname for field in fields],
        [
            field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
            for field, value in zip(fields, values, strict=True)
        ],
    )
