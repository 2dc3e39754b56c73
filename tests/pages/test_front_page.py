"""The HTML side a newcomer meets first: the front page at `/` (where the
admin's "View site" goes), styled 404 and 500 pages with a way back, and a
favicon (issue 11, items 2 and 6)."""

import re

import pytest
from django.test import Client, override_settings

from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_front_page_says_what_podium_is_and_links_to_everything(client):
    GameFactory(slug="space-race", name="Space Race")

    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Game leaderboards and live presence" in html
    for link in ("/games/", "/api/docs/", "/api/v1/", "/admin/", "/healthz"):
        assert f'href="{link}"' in html
    assert 'href="/games/space-race/live/"' in html
    assert "script-src" not in response["Content-Security-Policy"]  # no script on it at all
    assert "<script" not in html


def test_the_admins_view_site_link_leads_to_the_front_page(client):
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)

    admin_index = client.get("/admin/").content.decode()

    assert re.search(r'<a href="/">View site</a>', admin_index)
    assert client.get("/").status_code == 200


def test_the_front_page_escapes_game_names(client):
    GameFactory(slug="xss", name="<script>alert(1)</script>")

    html = client.get("/").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("path", ["/games/nope/live/", "/no-such-page/"])
def test_a_missing_page_is_a_styled_404_with_a_way_back(client, path):
    response = client.get(path)

    html = response.content.decode()
    assert response.status_code == 404
    assert "Nothing here" in html
    assert 'href="/"' in html
    assert 'href="/games/"' in html
    assert "/static/realtime/live." in html  # our styles, not Django's bare page


def test_an_archived_games_live_page_is_the_styled_404(client):
    GameFactory(slug="gone", archived_at="2026-01-01T00:00:00Z")

    response = client.get("/games/gone/live/")

    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()


@override_settings(ROOT_URLCONF="tests.api.crash_urls")
def test_a_crashed_page_is_a_styled_500_with_a_way_back():
    response = Client(raise_request_exception=False).get("/crash/page/")

    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert 'href="/"' in html
    assert "DATABASE_PASSWORD" not in html


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")  # an ICO


@pytest.mark.parametrize("path", ["/", "/games/"])
def test_every_page_names_its_icon(client, path):
    assert 'rel="icon"' in client.get(path).content.decode()
