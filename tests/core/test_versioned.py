"""Configuration kept per process and rebuilt when any process changes it (cogest.versioned)."""

import pytest
from django.core.cache import cache

from cogest import versioned
from cogest.models import Organization
from cogest.versioned import VersionedValue


@pytest.fixture
def counted():
    builds = []

    def build():
        builds.append(1)
        return {"names": sorted(Organization.objects.values_list("slug", flat=True))}

    value = VersionedValue("test-orgs", build, [Organization])
    value.connect()
    yield value, builds
    from django.db.models.signals import post_delete, post_save

    for signal in (post_save, post_delete):
        signal.disconnect(dispatch_uid=f"{value.key}:cogest.Organization:save", sender=Organization)
        signal.disconnect(
            dispatch_uid=f"{value.key}:cogest.Organization:delete", sender=Organization
        )


@pytest.mark.django_db(transaction=True)
def test_built_once_then_rebuilt_after_a_committed_change(counted):
    value, builds = counted
    assert value.get() == value.get() == {"names": []}
    assert len(builds) == 1
    version = cache.get(value.key)
    Organization.objects.create(name="Acme", slug="acme", kind="provider")  # commits
    assert cache.get(value.key) != version  # every process will rebuild
    assert value.get() == {"names": ["acme"]}
    assert len(builds) == 2


@pytest.mark.django_db
def test_another_process_changing_the_version_makes_this_one_rebuild(counted, monkeypatch):
    value, builds = counted
    value.get()
    cache.set(value.key, "set by another process")
    value.get()
    assert len(builds) == 1  # within CHECK_SECONDS the version is not read again
    monkeypatch.setattr(versioned, "CHECK_SECONDS", 0)
    value.get()
    assert len(builds) == 2


@pytest.mark.django_db
def test_without_a_reachable_cache_every_read_rebuilds(counted, monkeypatch):
    value, builds = counted

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", down)
    value.get()
    value.get()
    assert len(builds) == 2
