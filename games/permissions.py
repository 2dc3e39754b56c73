from rest_framework.permissions import SAFE_METHODS, BasePermission

# Who may change a game besides its owner: operators granted these in admin.
OBJECT_PERMISSIONS = {"partial_update": "games.change_game", "destroy": "games.delete_game"}
VERBS = {"partial_update": "change", "destroy": "archive"}


class GamePermission(BasePermission):
    """Anyone reads; `games.add_game` creates; the owner, or an operator with
    the model permission, changes and archives. A refusal names the
    permission that is missing, and who grants it."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        if not request.user.is_authenticated:
            return False
        if view.action == "create" and not request.user.has_perm("games.add_game"):
            self.message = (
                "Creating a game needs the games.add_game permission; "
                "operators grant it by adding the account to the Studio group."
            )
            return False
        return True

    def has_object_permission(self, request, view, game):
        if request.method in SAFE_METHODS or game.owner_id == request.user.pk:
            return True
        permission = OBJECT_PERMISSIONS.get(view.action, "games.change_game")
        if request.user.has_perm(permission):
            return True
        self.message = (
            f"Only the game's owner, or an operator with the {permission} permission, "
            f"may {VERBS.get(view.action, 'change')} this game."
        )
        return False
