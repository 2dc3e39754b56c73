"""Every game gets its `default` board, and every score and best is put on
it, in batches of ids each committed on its own: no long transaction, no
lock held on a populated table while the rest waits."""

from django.db import migrations

BATCH = 10_000


def default_boards(apps, schema_editor):
    connection = schema_editor.connection
    board = schema_editor.quote_name("scores_board")
    tables = [schema_editor.quote_name(table) for table in ("scores_score", "scores_best")]
    # Games made and scores written while this runs are caught by the next pass.
    while True:
        _create_default_boards(apps)
        if not any([_backfill(connection, table, board) for table in tables]):
            return


def _create_default_boards(apps):
    Game = apps.get_model("games", "Game")
    Board = apps.get_model("scores", "Board")
    have = set(Board.objects.filter(key="default").values_list("game_id", flat=True))
    Board.objects.bulk_create(
        [
            Board(
                game_id=game.pk,
                key="default",
                name="Default",
                score_order=game.score_order,
                min_score=game.min_score,
                max_score=game.max_score,
            )
            for game in Game.objects.exclude(pk__in=have).only("pk", "score_order", "min_score", "max_score")
        ]
    )


def _backfill(connection, table, board) -> bool:
    """Fill `table`'s missing board ids; False when none was missing."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {table} WHERE board_id IS NULL")  # noqa: S608 - our tables
        low, high = cursor.fetchone()
        if low is None:
            return False
        for start in range(low, high + 1, BATCH):
            cursor.execute(
                f"UPDATE {table} SET board_id = ("  # noqa: S608 - our tables; values are parameters
                f"SELECT b.id FROM {board} b WHERE b.game_id = {table}.game_id AND b.key = 'default') "
                "WHERE board_id IS NULL AND id >= %s AND id < %s",
                [start, start + BATCH],
            )
    return True


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own

    dependencies = [("scores", "0003_boards")]

    operations = [migrations.RunPython(default_boards, migrations.RunPython.noop, elidable=False)]
