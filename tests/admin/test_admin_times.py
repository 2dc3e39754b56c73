"""No admin form owns a stored time: a save from any change page leaves every
timestamp exactly as it was, to the microsecond (the leaderboards' tie-break
orders by time), and scores and bests are never rewritten by a form."""

import datetime as dt

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import models

from accounts.models import User
from games.models import Game
from scores.models import Score
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

AN_ODD_MOMENT = dt.datetime(2026, 3, 14, 21, 23, 53, 59078, tzinfo=dt.UTC)


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


def stored_times(obj) -> dict:
    fields = [field.name for field in type(obj)._meta.concrete_fields if isinstance(field, models.DateTimeField)]
    return {name: getattr(type(obj).objects.get(pk=obj.pk), name) for name in fields}


def form_as_posted(response) -> dict:
    """What a browser sends back when the operator saves a change page
    untouched: every editable field with the value it was rendered with."""
    form = response.context["adminform"].form
    data = {}
    for name, bound in form.fields.items():
        value = form[name].value()
        if isinstance(bound, forms.BooleanField):
            if value:
                data[name] = "on"
        elif isinstance(value, (list, tuple)):
            data[name] = [str(item.pk if hasattr(item, "pk") else item) for item in value]
        elif value is not None:
            data[name] = str(value.pk if hasattr(value, "pk") else value)
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(key): value for key, value in management.initial.items()})
    return data


def test_no_admin_change_form_edits_a_stored_time(admin_client):
    """Every model in the admin, every timestamp it stores: shown, never an input."""
    for model, model_admin in admin.site._registry.items():
        times = [field.name for field in model._meta.concrete_fields if isinstance(field, models.DateTimeField)]
        request = admin_client.get("/admin/").wsgi_request
        form = model_admin.get_form(request, obj=model())
        editable = set(form.base_fields) - set(model_admin.get_readonly_fields(request, obj=model()))
        assert not editable & set(times), f"{model._meta.label} lets a form rewrite {editable & set(times)}"


def test_saving_a_user_keeps_their_times_to_the_microsecond(admin_client):
    player = UserFactory()
    User.objects.filter(pk=player.pk).update(date_joined=AN_ODD_MOMENT, last_login=AN_ODD_MOMENT)
    before = stored_times(player)
    page = admin_client.get(f"/admin/accounts/user/{player.pk}/change/")
    data = form_as_posted(page)
    data["groups"] = [str(Group.objects.get(name="Studio").pk)]

    response = admin_client.post(f"/admin/accounts/user/{player.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert User.objects.get(pk=player.pk).groups.filter(name="Studio").exists()
    assert stored_times(player) == before
    assert before["date_joined"].microsecond == 59078
    assert "2026-03-14" in page.content.decode() or "March 14, 2026" in page.content.decode()


def test_saving_a_game_keeps_its_creation_time_to_the_microsecond(admin_client):
    game = GameFactory()
    Game.objects.filter(pk=game.pk).update(created_at=AN_ODD_MOMENT)
    before = stored_times(game)
    data = form_as_posted(admin_client.get(f"/admin/games/game/{game.pk}/change/"))
    data["name"] = "Renamed in the admin"

    response = admin_client.post(f"/admin/games/game/{game.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    after = stored_times(game)
    assert Game.objects.get(pk=game.pk).name == "Renamed in the admin"
    assert after["created_at"] == before["created_at"] == AN_ODD_MOMENT
    assert after["archived_at"] == before["archived_at"]


def test_a_score_is_shown_but_no_form_can_rewrite_it(admin_client):
    game = GameFactory()
    player = UserFactory()
    assert bearer_client(player).post(f"/api/v1/games/{game.slug}/scores/", {"value": 10}).status_code == 201
    score = Score.objects.get()
    before = (stored_times(score), score.value)

    page = admin_client.get(f"/admin/scores/score/{score.pk}/change/")
    response = admin_client.post(
        f"/admin/scores/score/{score.pk}/change/", {"value": 99, "created_at_0": "2020-01-01", "created_at_1": "0:00"}
    )

    assert page.status_code == 200
    assert 'name="value"' not in page.content.decode()
    assert 'name="created_at' not in page.content.decode()
    assert response.status_code == 403
    score.refresh_from_db()
    assert (stored_times(score), score.value) == before


def test_bests_have_no_admin_page_at_all(admin_client):
    assert admin_client.get("/admin/scores/best/").status_code == 404
