"""Keep the leaderboards' caches in step with what they show: a game that is
archived, restored or changed, and a player's account that is deleted."""

from django.db import transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from accounts.models import User
from games.signals import game_changed
from scores import page_cache, ranking
from scores.models import Best
from scores.periods import Board
from scores.rebuild import mark_stale


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
    boards = [
        Board(game_id, period, start)
        for game_id, period, start in Best.objects.filter(user=instance).values_list(
            "game_id", "period", "period_start"
        )
    ]
    user_id = instance.pk

    def forget() -> None:
        for board in boards if ranking.enabled() else ():
            try:
                ranking.replace_entry(board, user_id=user_id, best=None)
            except ranking.RankingUnavailable:
                mark_stale(board)
        for game_id in {board.game_id for board in boards}:
            page_cache.bump(game_id)

    if boards:
        transaction.on_commit(forget, robust=True)
