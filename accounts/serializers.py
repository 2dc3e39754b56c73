from rest_framework import serializers

from accounts.models import USERNAME_RULE, User
from config.api.fields import EmailAddressField


class UserRefSerializer(serializers.ModelSerializer):
    """A user as other resources mention them: `{id, username}`."""

    class Meta:
        model = User
        fields = ["id", "username"]


class UserSerializer(serializers.ModelSerializer):
    """`{id, username, email, createdAt}`; `email` only to the user and staff."""

    created_at = serializers.DateTimeField(source="date_joined", read_only=True)
    email = EmailAddressField(required=False)

    class Meta:
        model = User
        fields = ["id", "username", "email", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        viewer = self.context.get("viewer")
        if viewer is None or not (viewer.pk == instance.pk or viewer.is_staff):
            data.pop("email", None)
        return data


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


class LoginInput(serializers.Serializer):
    username = serializers.CharField(max_length=254, trim_whitespace=False, help_text="Username or email.")
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=128)


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField(
        required=False, max_length=2048, help_text="Omit to use the refresh cookie (then send X-CSRFToken)."
    )


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginOutput(TokenPairOutput):
    user = UserSerializer()


class CsrfOutput(serializers.Serializer):
    csrf_token = serializers.CharField()
