"""Boards are required on scores and bests, and indexed, without locking
writes on PostgreSQL: NOT NULL through a CHECK validated first (which
PostgreSQL then trusts instead of scanning), foreign keys added NOT VALID
and validated afterwards, indexes built CONCURRENTLY and the new unique
constraint adopted from its index."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

from config.migration_operations import AddIndexWithoutLocking, OnPostgresSQL


def _required_board(table: str) -> list[str]:
    check, fk = f"{table}_board_id_not_null", f"{table}_board_id_fk_scores_board_id"
    return [
        f"ALTER TABLE {table} ADD CONSTRAINT {check} CHECK (board_id IS NOT NULL) NOT VALID",
        f"ALTER TABLE {table} VALIDATE CONSTRAINT {check}",
        f"ALTER TABLE {table} ALTER COLUMN board_id SET NOT NULL",
        f"ALTER TABLE {table} DROP CONSTRAINT {check}",
        f"ALTER TABLE {table} ADD CONSTRAINT {fk} FOREIGN KEY (board_id) REFERENCES scores_board (id) "
        "DEFERRABLE INITIALLY DEFERRED NOT VALID",
        f"ALTER TABLE {table} VALIDATE CONSTRAINT {fk}",
    ]


def default_boards_again(apps, schema_editor):
    # Scores and games that processes still running the previous release
    # wrote after 0004 finished get their board now, before the columns
    # become required.
    importlib.import_module("scores.migrations.0004_default_boards").default_boards(apps, schema_editor)


# A failed CREATE INDEX CONCURRENTLY leaves an invalid index behind, which
# IF NOT EXISTS would then keep: drop it first, so that a retry builds it.
_DROP_INVALID_UNIQUE_INDEX = """
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE c.relname = 'scores_best_one_per_player_and_period' AND NOT i.indisvalid) THEN
    DROP INDEX scores_best_one_per_player_and_period;
  END IF;
END $$
"""


def _board_field(related_name: str):
    return models.ForeignKey(
        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name=related_name, to="scores.board"
    )


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run in a transaction

    dependencies = [("scores", "0004_default_boards")]

    operations = [
        migrations.RunPython(default_boards_again, migrations.RunPython.noop, elidable=False),
        OnPostgresSQL(
            [
                migrations.AlterField(model_name="score", name="board", field=_board_field("scores")),
                migrations.AlterField(model_name="best", name="board", field=_board_field("+")),
            ],
            [*_required_board("scores_score"), *_required_board("scores_best")],
        ),
        AddIndexWithoutLocking(
            model_name="score",
            index=models.Index(fields=["board", "-created_at", "-id"], name="scores_by_board_created"),
        ),
        AddIndexWithoutLocking(
            model_name="score", index=models.Index(fields=["board", "value", "id"], name="scores_by_board_value")
        ),
        AddIndexWithoutLocking(
            model_name="score",
            index=models.Index(fields=["board", "user", "-created_at"], name="scores_by_board_user"),
        ),
        AddIndexWithoutLocking(
            model_name="best",
            index=models.Index(
                fields=["board", "period", "period_start", "rank_key", "subrank_key", "achieved_at", "user"],
                name="scores_best_board_ranking",
            ),
        ),
        OnPostgresSQL(
            [
                migrations.AddConstraint(
                    model_name="best",
                    constraint=models.UniqueConstraint(
                        fields=("board", "period", "period_start", "user"), name="scores_best_one_per_player_and_period"
                    ),
                ),
            ],
            [
                _DROP_INVALID_UNIQUE_INDEX,
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS scores_best_one_per_player_and_period "
                "ON scores_best (board_id, period, period_start, user_id)",
                "ALTER TABLE scores_best ADD CONSTRAINT scores_best_one_per_player_and_period "
                "UNIQUE USING INDEX scores_best_one_per_player_and_period",
            ],
        ),
        OnPostgresSQL(
            [
                migrations.RemoveConstraint(model_name="best", name="scores_best_one_per_player_and_board"),
                migrations.RemoveIndex(model_name="best", name="scores_best_ranking"),
                migrations.RemoveIndex(model_name="score", name="scores_by_game_value"),
                migrations.RemoveIndex(model_name="score", name="scores_by_game_user"),
            ],
            [
                "ALTER TABLE scores_best DROP CONSTRAINT scores_best_one_per_player_and_board",
                "DROP INDEX CONCURRENTLY IF EXISTS scores_best_ranking",
                "DROP INDEX CONCURRENTLY IF EXISTS scores_by_game_value",
                "DROP INDEX CONCURRENTLY IF EXISTS scores_by_game_user",
            ],
        ),
    ]
