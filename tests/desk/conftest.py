"""The demo desks, loaded once for a module, and a nationwide superuser."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="module")
def _demo_data(django_db_setup, django_db_blocker):
    """The demo desks once for the module (it takes half a minute), in a
    transaction rolled back at the end: each test's own transaction nests in
    it, and no other module sees the demo."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(_demo_data, db):
    return None


@pytest.fixture
def root(demo):
    return get_user_model().objects.create_superuser(
        "nasional.root", "root@example.id", "uji-coba-desk-2024"
    )
