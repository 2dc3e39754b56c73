from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from accounts.selectors import user_by_login


class UsernameOrEmailBackend(ModelBackend):
    """Signs in with a username or an email, either in any case.

    An unknown login still pays for one password hash, so that its answer
    takes as long as a wrong password's and tells nothing about who exists.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = user_by_login(username)
        if user is None:
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
