"""Websocket routes; the live game channel is added by the realtime feature."""

websocket_urlpatterns: list = []
