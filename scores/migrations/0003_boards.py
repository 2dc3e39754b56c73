"""Boards: many leaderboards per game.

Adds the `Board` table and nullable `board` columns to scores and bests
(no table rewrite: new columns without defaults, or with constant ones,
are catalogue changes on PostgreSQL). 0004 gives every game its `default`
board and fills the columns in batches; 0005 makes them required and
indexes them without locking writes."""

import django.db.models.deletion
from django.db import migrations, models


def forget_stale_marks(apps, schema_editor):
    # Marks name a game's board by game; Redis keys are per board from now
    # on and every board is rebuilt on its first read, so the marks are moot.
    apps.get_model("scores", "StaleBoard").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("games", "0002_studio_group"),
        ("scores", "0002_stale_boards"),
    ]

    operations = [
        # Every stored answer was a 201; the service no longer deals in HTTP statuses.
        migrations.RemoveField(model_name="idempotencyrecord", name="status_code"),
        migrations.CreateModel(
            name="Board",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.SlugField(max_length=64)),
                ("name", models.CharField(max_length=100)),
                (
                    "score_order",
                    models.CharField(
                        choices=[("desc", "Higher is better"), ("asc", "Lower is better")], default="desc", max_length=4
                    ),
                ),
                (
                    "operator",
                    models.CharField(
                        choices=[
                            ("best", "Best (keep the better one)"),
                            ("latest", "Latest (the newest replaces it)"),
                            ("sum", "Sum (values add up)"),
                        ],
                        default="best",
                        max_length=6,
                    ),
                ),
                (
                    "subscore_order",
                    models.CharField(
                        blank=True,
                        choices=[("desc", "Higher is better"), ("asc", "Lower is better")],
                        max_length=4,
                        null=True,
                    ),
                ),
                ("min_score", models.BigIntegerField(blank=True, null=True)),
                ("max_score", models.BigIntegerField(blank=True, null=True)),
                ("authoritative", models.BooleanField(default=False)),
                (
                    "review",
                    models.CharField(
                        choices=[("off", "Off"), ("flag", "Flag suspect scores"), ("hold", "Hold suspect scores")],
                        default="off",
                        max_length=4,
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("board", "Board"), ("tournament", "Tournament")], default="board", max_length=10
                    ),
                ),
                ("starts_at", models.DateTimeField(blank=True, null=True)),
                ("ends_at", models.DateTimeField(blank=True, null=True)),
                ("max_entrants", models.PositiveIntegerField(blank=True, null=True)),
                ("max_attempts", models.PositiveIntegerField(blank=True, null=True)),
                ("join_required", models.BooleanField(default=False)),
                ("archived_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "game",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="boards",
                        to="games.game",
                    ),
                ),
            ],
            options={
                "ordering": ["key"],
                "constraints": [
                    models.UniqueConstraint(fields=("game", "key"), name="scores_board_one_key_per_game"),
                    models.CheckConstraint(
                        condition=models.Q(("min_score__isnull", True), ("max_score__isnull", True), _connector="OR")
                        | models.Q(("min_score__lte", models.F("max_score"))),
                        name="scores_board_min_score_not_above_max",
                    ),
                ],
            },
        ),
        # Nullable and without a constraint until 0005: no rewrite, no scan.
        migrations.AddField(
            model_name="score",
            name="board",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="scores",
                to="scores.board",
            ),
        ),
        migrations.AddField(model_name="score", name="subscore", field=models.BigIntegerField(blank=True, null=True)),
        migrations.AddField(
            model_name="best",
            name="board",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="scores.board",
            ),
        ),
        migrations.AddField(model_name="best", name="subscore", field=models.BigIntegerField(blank=True, null=True)),
        # Constant defaults: PostgreSQL stores them in the catalogue, no rewrite.
        migrations.AddField(model_name="best", name="subrank_key", field=models.BigIntegerField(db_default=0)),
        migrations.AddField(model_name="best", name="version", field=models.BigIntegerField(db_default=1)),
        # Stale marks move from games to boards (a small table).
        migrations.RunPython(forget_stale_marks, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="staleboard", name="scores_staleboard_one_per_board"),
        migrations.RemoveField(model_name="staleboard", name="game"),
        migrations.AddField(
            model_name="staleboard",
            name="board",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="scores.board",
                default=None,
            ),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="staleboard",
            constraint=models.UniqueConstraint(
                fields=("board", "period", "period_start"), name="scores_staleboard_one_per_board_period"
            ),
        ),
    ]
