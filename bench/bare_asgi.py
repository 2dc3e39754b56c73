"""The Python ceiling: the least an ASGI server can do per request.

A bare ASGI callable (no framework) answering every HTTP request with the
same ~2 KB JSON body, about the size of a top-20 leaderboard page. The bench
serves it with uvicorn, one worker:

    .venv/bin/uvicorn --app-dir bench bare_asgi:app --port 8400 --no-access-log
"""

import json

_ENTRIES = [
    {"rank": rank, "user": {"id": rank, "username": f"player-{rank:04d}"}, "value": 1_000_000 - rank}
    for rank in range(1, 31)
]
BODY = json.dumps({"success": True, "data": _ENTRIES}, separators=(",", ":")).encode()
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
]


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
