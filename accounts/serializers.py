from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.models import USERNAME_RULE, User
from config.api.fields import EmailAddressField


@extend_schema_serializer(
    component_name="UserRef", description="A player, as games, scores and leaderboard entries name them."
)
class UserRefSerializer(serializers.ModelSerializer):
    """A user as other resources mention them: `{id, username}`."""

    class Meta:
        model = User
        fields = ["id", "username"]


@extend_schema_serializer(
    description="An account. `email` is shown only to the account's owner and to staff.",
)
class UserSerializer(serializers.ModelSerializer):
    """`{id, username, email, createdAt}`; `email` only to the user and staff."""

    created_at = serializers.DateTimeField(source="date_joined", read_only=True, help_text="When the account was made.")
    email = EmailAddressField(required=False, help_text="Only in your own account, and to staff.")

    class Meta:
        model = User
        fields = ["id", "username", "email", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        viewer = self.context.get("viewer")
        if viewer is None or not (viewer.pk == instance.pk or viewer.is_staff):
            data.pop("email", None)
        return data


@extend_schema_serializer(
    component_name="Register",
    description="A new account. Email and username must be unused, whatever their case.",
)
class RegisterInput(serializers.Serializer):
    email = EmailAddressField(max_length=254)
    username = serializers.RegexField(
        USERNAME_RULE,
        trim_whitespace=False,
        error_messages={"invalid": "Usernames are 3 to 30 letters, digits, underscores or hyphens."},
    )
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        max_length=128,
        help_text=(
            "Checked by the password validators: at least 8 characters, not a common password, "
            "not only digits, not too like the username or email."
        ),
    )


@extend_schema_serializer(component_name="Login", description="Credentials to sign in with.")
class LoginInput(serializers.Serializer):
    username = serializers.CharField(max_length=254, trim_whitespace=False, help_text="Username or email.")
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)


@extend_schema_serializer(component_name="Refresh", description="The refresh token, unless it is sent in its cookie.")
class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField(
        required=False, max_length=2048, help_text="Omit to use the refresh cookie (then send X-CSRFToken)."
    )


@extend_schema_serializer(
    component_name="TokenPair",
    description="A new access token and refresh token; both are also set as HttpOnly cookies.",
)
class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField(help_text="Send as `Authorization: Bearer <access>`; short-lived.")
    refresh = serializers.CharField(help_text="Exchange for a new pair at refresh/; used once.")


@extend_schema_serializer(component_name="SignIn", description="The tokens of a new sign-in, and the account.")
class LoginOutput(TokenPairOutput):
    user = UserSerializer()


@extend_schema_serializer(
    component_name="Csrf",
    description=(
        "The CSRF token, also set as the csrftoken cookie: send it as X-CSRFToken with cookie-authenticated writes."
    ),
)
class CsrfOutput(serializers.Serializer):
    csrf_token = serializers.CharField()
