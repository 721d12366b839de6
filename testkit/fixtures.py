"""Session fixtures every suite can ask for: ``test_postgres``, ``model_path``, ``stack``."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from auth_service.tokens import TokenIssuer
from testkit.postgres import TestPostgres
from testkit.processes import BackgroundTraining
from testkit.stack import LocalStack

_TRAINING = pytest.StashKey["BackgroundTraining"]()


@pytest.fixture(scope="session")
def test_postgres() -> Iterator[TestPostgres]:
    postgres = TestPostgres()
    yield postgres
    postgres.close()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start training the session's model as soon as the tests are known, if any of them needs it: it
    then trains while the first suites (auth, common), which need no model, run."""
    if any("model_path" in getattr(item, "fixturenames", ()) for item in session.items):
        session.config.stash[_TRAINING] = BackgroundTraining.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    training = session.config.stash.get(_TRAINING, None)
    if training is not None:
        training.discard()


@pytest.fixture(scope="session")
def model_path(request: pytest.FixtureRequest) -> Path:
    """A model artifact trained once per session by the real training code."""
    training = request.config.stash.get(_TRAINING, None)
    if training is None:  # collected without it (a plugin added the fixture later): train now
        training = request.config.stash[_TRAINING] = BackgroundTraining.start()
    # Training takes seconds alone, minutes on a machine shared by many test runs.
    return training.wait(timeout=900)


@pytest.fixture(scope="session")
def stack(
    test_postgres: TestPostgres, model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    """The real services as processes; a test starts what it needs with ``stack.start(name)``."""
    local_stack = LocalStack(test_postgres, tmp_path_factory.mktemp("stack"), model_path)
    yield local_stack
    local_stack.close()


@pytest.fixture(scope="session")
def token_issuer() -> TokenIssuer:
    """A TokenIssuer with a key made for this session (see testkit.tokens.trust_issuer)."""
    from testkit.tokens import make_test_issuer

    return make_test_issuer()
