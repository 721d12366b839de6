"""Shared fixtures of the infrastructure checks: the repository root and the parsed templates."""

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

# The only place the infrastructure checks locate the repository (test modules take the fixture).
REPO_ROOT = Path(__file__).resolve().parents[2]


def load_template(path: Path) -> dict[str, Any]:
    """A template parsed by cfn-lint's own decoder (it understands !Ref, !Sub, !GetAtt...)."""
    template, problems = decode(str(path))
    assert not problems, f"{path.name}: {problems}"
    assert template is not None
    return template


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def template_dir(repo_root: Path) -> Path:
    return repo_root / "infra" / "cloudformation"


@pytest.fixture(scope="session")
def templates(template_dir: Path) -> dict[str, dict[str, Any]]:
    """Every template by file stem: main, network, database, services."""
    return {path.stem: load_template(path) for path in sorted(template_dir.glob("*.yaml"))}
