from django.urls import re_path

from realtime.consumers import GameConsumer, LobbyConsumer, NoSuchPathConsumer

websocket_urlpatterns = [
    re_path(r"^ws/games/(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)/$", GameConsumer.as_asgi()),
    re_path(r"^ws/lobby/$", LobbyConsumer.as_asgi()),
    # Anything else: accepted and closed with 4404, like an unknown game.
    re_path(r"", NoSuchPathConsumer.as_asgi()),
]
