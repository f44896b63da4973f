"""Branded error pages, including a 500 page that renders when the database is what failed."""

from django.db import OperationalError
from django.test import RequestFactory

from cogest.views import error_500


class _BrokenUser:
    @property
    def is_authenticated(self):
        raise OperationalError("database is down")


def test_500_page_renders_without_touching_the_database():
    request = RequestFactory().get("/")
    request.user = _BrokenUser()
    response = error_500(request)
    assert response.status_code == 500
    assert b"500" in response.content and b"<html" in response.content


def test_404_page_is_branded_when_debug_is_off(client, db, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"brand-mark" in response.content
