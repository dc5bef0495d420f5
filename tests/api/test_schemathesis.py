"""The OpenAPI gate: schemathesis drives every operation of the published
schema against a live server, as the desk staff, a Bawaslu officer, a
logistics officer (each with a token) and anonymously, with valid and with
invalid input. Any 5xx, any status the schema does not document, and any
response body or content type that breaks the schema fails the build.

Examples are few per operation and derandomized (the same cases every run,
so CI is stable); shrinking is off, since the failing case is printed as is.
The step takes 52 s on the project's 2-core machine when it is quiet, and
161 s with seven other suites running beside it.
"""

import pytest
import requests
import schemathesis
from django.core.cache import cache
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from desk.models import Role, RoleAssignment
from tests.api.conftest import seed_demo_world, token_header

pytestmark = pytest.mark.schemathesis

EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PERSONAS = {
    "desk staff": ("kaltim.desk", Role.DESK_STAFF),
    "Bawaslu officer": ("pamekasan.bawaslu", Role.BAWASLU_OFFICER),
    "logistics officer": ("kaltim.logistik", Role.LOGISTICS_OFFICER),
}


@pytest.fixture
def _rate_limits_forgotten():
    """The public endpoints count requests per address in the cache; the
    fuzzing spends that budget, which must not throttle later tests."""
    cache.clear()
    yield
    cache.clear()


def _personas() -> dict[str, dict]:
    headers = {"anonymous": {}}
    for label, (username, role) in PERSONAS.items():
        assignment = RoleAssignment.objects.select_related("user").get(
            user__username=username, role=role
        )
        headers[label] = token_header(assignment.user)
    return headers


def _visible_id(base_url, path, headers):
    """The id of the first object the persona sees in the collection above
    ``path``, so that detail operations also meet real objects."""
    if "{id}" not in path or not headers:
        return None
    collection = base_url + path.split("{id}")[0]
    response = requests.get(collection, headers=headers, timeout=30)
    if response.status_code != 200:
        return None
    rows = response.json()
    rows = rows.get("results", []) if isinstance(rows, dict) else rows
    return rows[0].get("id") if rows else None


def _run(operation, mode, base_url, headers, **fixed) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def fuzz(case):
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    fuzz()


def test_every_operation_keeps_to_the_schema(live_server, live_db, _rate_limits_forgotten):
    seed_demo_world()
    personas = _personas()
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    operations = [result.ok() for result in schema.get_all_operations()]
    failures, real_ids = [], 0
    for operation in operations:
        for persona, headers in personas.items():
            raw = operation.definition.raw
            # Invalid input needs some input to spoil.
            modes = [GenerationMode.POSITIVE]
            # Anonymous is refused before any input is read, except by the
            # public endpoints, which every mode still reaches as anonymous.
            if (raw.get("parameters") or raw.get("requestBody")) and (
                headers or not raw.get("security") or {} in raw["security"]
            ):
                modes.append(GenerationMode.NEGATIVE)
            runs = [(mode, {}) for mode in modes]
            real = _visible_id(live_server.url, operation.path, headers)
            if real is not None:
                runs.append((GenerationMode.POSITIVE, {"path_parameters": {"id": real}}))
                real_ids += 1
            for mode, fixed in runs:
                try:
                    _run(operation, mode, live_server.url, headers, **fixed)
                except (Exception, BaseExceptionGroup) as exc:  # collected, then reported
                    failures.append(f"--- {operation.label} as {persona} ({mode} {fixed}):\n{exc}")
    assert not failures, f"{len(failures)} failures\n" + "\n".join(failures)
    assert len(operations) >= 37
    assert real_ids >= 10  # detail operations met real objects, not only 404s
