"""Shared fixtures of the infrastructure checks: the repository root and the parsed templates."""

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = REPO_ROOT / "infra" / "cloudformation"


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
def templates() -> dict[str, dict[str, Any]]:
    """Every template by file stem: main, network, database, services."""
    return {path.stem: load_template(path) for path in sorted(TEMPLATE_DIR.glob("*.yaml"))}


@pytest.fixture(scope="session")
def all_resources(templates: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every resource of every template by logical id (ids are unique across the templates)."""
    resources: dict[str, dict[str, Any]] = {}
    for template in templates.values():
        for logical_id, resource in template.get("Resources", {}).items():
            assert logical_id not in resources, f"duplicate logical id {logical_id}"
            resources[logical_id] = resource
    return resources
