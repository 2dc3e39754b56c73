"""Keep the boards and the leaderboards' caches in step with the games and
players they belong to: every game has its default board (made with it,
following its score order and bounds), a game that is archived, restored
or changed invalidates its pages, and a deleted account leaves no entries."""

from django.db import transaction
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from accounts.models import User
from games.models import Game
from games.signals import game_changed
from scores import boards, page_cache, ranking
from scores.models import Best
from scores.periods import BoardPeriod
from scores.rebuild import mark_stale


@receiver(post_save, sender=Game, dispatch_uid="scores.default_board")
def default_board(sender, instance: Game, created: bool, raw: bool, update_fields=None, **kwargs) -> None:
    # However a game is made (the API, the admin, a command), in its own transaction.
    if raw:
        return
    if created:
        boards.create_default_board(game=instance)
    elif update_fields is None or boards.GAME_FIELDS & set(update_fields):
        boards.follow_game(game=instance)


@receiver(game_changed, dispatch_uid="scores.forget_changed_game")
def forget_changed_game(sender, game, **kwargs) -> None:
    # The anonymous fast path answers top pages from the page cache for any
    # game this process has seen: only a bump tells it the game is gone (or
    # back, or changed).
    page_cache.bump(game.pk)


@receiver(pre_delete, sender=User, dispatch_uid="scores.forget_deleted_player")
def forget_deleted_player(sender, instance: User, **kwargs) -> None:
    # The account's bests go with it (CASCADE); their Redis copies must too,
    # or the boards would keep entries nobody can name.
    rows = Best.objects.filter(user=instance).values_list("game_id", "board_id", "period", "period_start")
    periods = [BoardPeriod(board_id, period, start) for _game_id, board_id, period, start in rows]
    game_ids = {game_id for game_id, *_rest in rows}
    user_id = instance.pk

    def forget() -> None:
        for board in periods if ranking.enabled() else ():
            try:
                ranking.remove_entry(board, user_id=user_id)
            except ranking.RankingUnavailable:
                mark_stale(board)
        for game_id in game_ids:
            page_cache.bump(game_id)

    if periods:
        transaction.on_commit(forget, robust=True)
