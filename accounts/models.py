from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

USERNAME_RULE = r"^[A-Za-z0-9_-]{3,30}\Z"

username_validator = RegexValidator(
    regex=USERNAME_RULE,
    message="Usernames are 3 to 30 letters, digits, underscores or hyphens.",
)


class UserManager(DjangoUserManager):
    def get_by_natural_key(self, username: str) -> "User":
        # Case-insensitive, through the LOWER() unique index.
        return self.annotate(username_lower=Lower("username")).get(username_lower=username.lower())


class User(AbstractUser):
    """A player, studio member or operator.

    Usernames and emails are unique whatever their case (functional unique
    indexes on LOWER()), and lookups go through those same expressions.
    """

    username = models.CharField(
        max_length=30,
        unique=True,
        validators=[username_validator],
        help_text="3 to 30 letters, digits, underscores or hyphens.",
    )
    email = models.EmailField(max_length=254)

    REQUIRED_FIELDS = ["email"]

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username
