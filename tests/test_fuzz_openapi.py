"""Schemathesis against each service's OpenAPI schema, with a valid token: no 5xx, schema-true responses."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
)

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
)


def load_schema(running_stack, service: str):
    return schemathesis.openapi.from_url(running_stack.urls[service] + "/openapi.json")


@pytest.fixture(scope="session")
def auth_schema(running_stack):
    # Deleting oneself would end the run's session: the other endpoints are fuzzed with a live account.
    return load_schema(running_stack, "auth").exclude(path="/users/me", method="DELETE")


@pytest.fixture(scope="session")
def customers_schema(running_stack):
    return load_schema(running_stack, "customers")


@pytest.fixture(scope="session")
def inference_schema(running_stack):
    return load_schema(running_stack, "inference")


@pytest.fixture(scope="session")
def fuzz_owner(running_stack):
    return running_stack.create_user()


auth_api = schemathesis.pytest.from_fixture("auth_schema")
customers_api = schemathesis.pytest.from_fixture("customers_schema")
inference_api = schemathesis.pytest.from_fixture("inference_schema")


@auth_api.parametrize()
@FUZZ_SETTINGS
def test_auth_api(case, fuzz_owner):
    case.call_and_validate(headers=fuzz_owner.headers, checks=CHECKS)


@customers_api.parametrize()
@FUZZ_SETTINGS
def test_customers_api(case, fuzz_owner):
    case.call_and_validate(headers=fuzz_owner.headers, checks=CHECKS)


@inference_api.parametrize()
@FUZZ_SETTINGS
def test_inference_api(case, fuzz_owner):
    case.call_and_validate(headers=fuzz_owner.headers, checks=CHECKS)
