from rest_framework.permissions import SAFE_METHODS, BasePermission

# Who may change a game besides its owner: operators granted these in admin.
OBJECT_PERMISSIONS = {"partial_update": "games.change_game", "destroy": "games.delete_game"}


class GamePermission(BasePermission):
    """Anyone reads; `games.add_game` creates; the owner, or an operator with
    the model permission, changes and archives."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        if not request.user.is_authenticated:
            return False
        if view.action == "create":
            return request.user.has_perm("games.add_game")
        return True

    def has_object_permission(self, request, view, game):
        if request.method in SAFE_METHODS:
            return True
        if game.owner_id == request.user.pk:
            return True
        return request.user.has_perm(OBJECT_PERMISSIONS.get(view.action, "games.change_game"))
