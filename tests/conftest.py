"""Cross-service suites (faults, security probes, fuzzing): the whole stack as real processes."""

import httpx
import pytest


@pytest.fixture(scope="session")
def running_stack(stack):
    """Auth, inference and customers running; a test that stops one starts it again before it ends."""
    return stack.start_all()


@pytest.fixture
def owner(running_stack):
    return running_stack.create_user()


@pytest.fixture
def http():
    with httpx.Client(timeout=10) as client:
        yield client
