"""The load benchmark's bare view: no database, and not routed unless the
benchmark turns it on."""

import pytest
from django.test import RequestFactory
from django.urls import Resolver404, resolve

from desk.benchviews import bare


@pytest.mark.parametrize("path", ["/bench/bare/", "/bench/session/"])
def test_bench_views_are_not_routed_by_default(path):
    with pytest.raises(Resolver404):
        resolve(path)


@pytest.mark.django_db
def test_bare_view_touches_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = bare(RequestFactory().get("/bench/bare/"))
    assert response.status_code == 200 and response.content == b"ok"


@pytest.mark.django_db
def test_sessions_are_read_from_the_cache_with_redis(client, kaltim_desk, settings):
    """One query less on every page; written through, so nothing is lost
    when the cache is emptied."""
    from django.core.cache import cache

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    client.force_login(kaltim_desk)
    client.get("/")  # the session is cached now
    cache.clear()
    assert client.get("/").status_code == 200  # still logged in: read from the database
