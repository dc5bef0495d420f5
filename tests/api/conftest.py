"""API fixtures: the demo world (every demo desk, its meetings, reports and
problems, as `make run` loads it) and token-authenticated personas."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from desk.demo import seed_organisation, seed_simulation_round
from logistics.demo import seed as seed_logistics
from meetings.demo import seed as seed_meetings
from meetings.demo import seed_links
from neutrality.demo import seed as seed_neutrality
from neutrality.models import Category, ReferralTarget
from neutrality.reference import ensure_reference_data


def seed_demo_world() -> dict:
    """What `manage.py seed_demo` loads, on the test regions."""
    ensure_reference_data(Category, ReferralTarget)
    desks = seed_organisation()
    election_round = seed_simulation_round()
    for seed in (seed_meetings, seed_neutrality, seed_logistics):
        seed(desks=desks, election_round=election_round)
    seed_links(desks=desks)
    return desks


@pytest.fixture
def demo_world(db):
    return seed_demo_world()


def token_header(user) -> dict:
    token, _created = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=token_header(user)["Authorization"])
    return client
