"""What games tells the rest of Podium about a game."""

from django.dispatch import Signal

# Sent once a change to a game has committed (archive, restore, activation, any
# edited field), with `game=`: whoever caches something a public read of the
# game can answer from forgets it (scores.signals: the leaderboard pages).
game_changed = Signal()
