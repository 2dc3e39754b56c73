"""Migration operations for a schema that runs on PostgreSQL and SQLite.

PostgreSQL is production; SQLite is the embedded default. Index types only
PostgreSQL has (GIN) are created there and skipped on SQLite, and indexes on
tables that may already be large are built CONCURRENTLY, without locking
writes (such migrations must declare `atomic = False`).
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations.operations import AddIndex
from django.db.migrations.operations.base import Operation


class PostgresOnly(Operation):
    """Applies `operation` to PostgreSQL databases only; the model state always
    includes it, so `makemigrations` sees the models and migrations agree."""

    reversible = True

    def __init__(self, operation: Operation):
        self.operation = operation

    def deconstruct(self):
        return ("config.migration_operations.PostgresOnly", [self.operation], {})

    def state_forwards(self, app_label, state):
        self.operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            self.operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            self.operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"{self.operation.describe()} (PostgreSQL only)"


class AddIndexWithoutLocking(AddIndex):
    """AddIndex that is CONCURRENTLY on PostgreSQL and plain elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            concurrent = AddIndexConcurrently(self.model_name, self.index)
            return concurrent.database_forwards(app_label, schema_editor, from_state, to_state)
        return super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            concurrent = AddIndexConcurrently(self.model_name, self.index)
            return concurrent.database_backwards(app_label, schema_editor, from_state, to_state)
        return super().database_backwards(app_label, schema_editor, from_state, to_state)


class OnPostgresSQL(Operation):
    """`operations` as the model state (and as the schema change on SQLite),
    done on PostgreSQL by `sql` instead: statements that keep a large table
    writable (NOT VALID constraints validated afterwards, indexes built
    CONCURRENTLY) where Django's own would lock it for the whole change."""

    reversible = False

    def __init__(self, operations: list[Operation], sql: list[str]):
        self.operations = operations
        self.sql = sql

    def deconstruct(self):
        return ("config.migration_operations.OnPostgresSQL", [self.operations, self.sql], {})

    def state_forwards(self, app_label, state):
        for operation in self.operations:
            operation.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            for statement in self.sql:
                schema_editor.execute(statement)
            return
        # Each operation moves from the state the previous one left.
        for operation in self.operations:
            to = from_state.clone()
            operation.state_forwards(app_label, to)
            operation.database_forwards(app_label, schema_editor, from_state, to)
            from_state = to

    def describe(self):
        return "; ".join(operation.describe() for operation in self.operations) + " (PostgreSQL: by SQL)"
