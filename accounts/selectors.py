"""Reads of accounts: case-insensitive lookups through the LOWER() indexes."""

from django.db.models.functions import Lower

from accounts.models import User


def user_by_login(login: str) -> User | None:
    """The active or inactive user whose username or email is `login`, any case."""
    field = "email" if "@" in login else "username"
    return User.objects.annotate(login_lower=Lower(field)).filter(login_lower=login.lower()).first()


def taken_identity_fields(*, email: str, username: str) -> list[str]:
    """Which of `email` and `username` another account already holds, any case."""
    taken = []
    if User.objects.annotate(email_lower=Lower("email")).filter(email_lower=email.lower()).exists():
        taken.append("email")
    if User.objects.annotate(name_lower=Lower("username")).filter(name_lower=username.lower()).exists():
        taken.append("username")
    return taken
