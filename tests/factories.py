import factory
from django.contrib.auth.models import Group, Permission

from accounts.models import User
from games.models import Game

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"player{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def permissions(self, create, codenames, **kwargs):
        """UserFactory(permissions=["games.add_game"]) grants model permissions."""
        for dotted in codenames or ():
            app_label, codename = dotted.split(".")
            self.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))

    @factory.post_generation
    def studio(self, create, extracted, **kwargs):
        """UserFactory(studio=True) puts the user in the Studio group (may create games)."""
        if extracted:
            self.groups.add(Group.objects.get_or_create(name="Studio")[0])
            if not Group.objects.get(name="Studio").permissions.exists():
                Group.objects.get(name="Studio").permissions.add(
                    Permission.objects.get(content_type__app_label="games", codename="add_game")
                )


class GameFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Game

    name = factory.Sequence(lambda n: f"Game {n}")
    slug = factory.Sequence(lambda n: f"game-{n}")
    owner = factory.SubFactory(UserFactory)
    score_order = "desc"
