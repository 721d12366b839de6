"""Session fixtures every suite can ask for: ``test_postgres``, ``model_path``, ``stack``."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from auth_service.tokens import TokenIssuer
from testkit.postgres import TestPostgres
from testkit.processes import run_module
from testkit.stack import LocalStack


@pytest.fixture(scope="session")
def test_postgres() -> Iterator[TestPostgres]:
    postgres = TestPostgres()
    yield postgres
    postgres.close()


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model artifact trained once per session by the real training code."""
    path = tmp_path_factory.mktemp("model") / "spendscore-model.joblib"
    # Training takes seconds alone, minutes on a machine shared by many test runs.
    run_module(["-m", "inference_service.training", "--output", str(path), "--no-card"], {}, timeout=900)
    return path


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
