"""What a server process says when it starts: the development-key warning
(once per server process, not once per management command), and under
`make run` (PODIUM_WELCOME) one plain block with everything a newcomer needs."""

from __future__ import annotations

import logging

from django.conf import settings

logger = logging.getLogger("podium.settings")


def warn_if_development_key() -> None:
    if settings.USING_DEV_SECRET_KEY:
        logger.warning("SECRET_KEY is not set: using the development key. Never do this in production.")


def welcome_text(base: str) -> str:
    """The block `make run` prints once the server starts."""
    from accounts.models import User
    from games.management.commands.seed_demo import DEMO_PASSWORD, PLAYERS, STUDIO_OWNER

    demo = set(User.objects.filter(username__in=[STUDIO_OWNER, *PLAYERS]).values_list("username", flat=True))
    lines = [
        "",
        "Podium is running.",
        "",
        f"  Front page    {base}/",
        f"  Games         {base}/games/",
        f"  API           {base}/api/v1/   (docs: {base}/api/docs/)",
        f"  Admin         {base}/admin/",
        f"  Health        {base}/healthz   {base}/readyz",
        "",
    ]
    if demo:
        players = ", ".join(name for name in PLAYERS if name in demo)
        lines += [
            f"  Demo accounts (password {DEMO_PASSWORD}):",
            f"    {STUDIO_OWNER}   owns the demo games and may create more",
            f"    {players}",
            "",
        ]
    lines += [
        "  An operator account for the admin:  make superuser",
        "  Stop with Ctrl-C. This runs with a development key and SQLite/in-process",
        "  defaults unless DATABASE_URL/REDIS_URL are set; see README (Production).",
        "",
    ]
    return "\n".join(lines)
