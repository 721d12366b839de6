"""The bootstrap admin made at startup and the create-admin command."""

import subprocess
import sys

from testkit.processes import REPO_ROOT, run_module


async def test_bootstrap_admin_is_created_at_startup(api):
    response = await api.login(api.admin_email, api.admin_password)

    assert response.status_code == 200
    me = await api.client.get(
        "/users/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["roles"] == ["admin", "user"]


async def test_bootstrap_leaves_an_existing_admin_alone(open_api, make_settings):
    settings = make_settings()
    async with open_api(settings) as api:
        await api.client.put(
            "/users/me/password",
            json={"current_password": api.admin_password, "new_password": "changed-by-admin-1"},
            headers=await api.admin_headers(),
        )
    async with open_api(settings) as restarted:
        assert (await restarted.login(restarted.admin_email, "changed-by-admin-1")).status_code == 200
        token = await restarted.token(restarted.admin_email, "changed-by-admin-1")
        listing = await restarted.client.get("/admin/users", headers={"Authorization": f"Bearer {token}"})
    assert listing.json()["total"] == 1


async def test_without_bootstrap_variables_nothing_is_created(open_api, make_settings):
    async with open_api(make_settings(bootstrap_admin_email=None, bootstrap_admin_password=None)) as api:
        assert (await api.login(api.admin_email, api.admin_password)).status_code == 401


def cli_env(auth_database_url: str) -> dict[str, str]:
    return {"AUTH_DATABASE_URL": auth_database_url, "AUTH_BCRYPT_ROUNDS": "4", "APP_ENV": "test"}


async def test_cli_creates_then_resets_an_admin(api, auth_database_url):
    account = await api.create_user()
    await api.client.patch(
        f"/admin/users/{account.id}", json={"is_active": False}, headers=await api.admin_headers()
    )

    created = run_module(
        [
            "-m",
            "auth_service.cli",
            "create-admin",
            "--email",
            "Ops@SpendScore.test",
            "--password",
            "ops-password-1",
        ],
        cli_env(auth_database_url),
    )
    reset = run_module(
        [
            "-m",
            "auth_service.cli",
            "create-admin",
            "--email",
            account.email,
            "--password",
            "reset-password-1",
        ],
        cli_env(auth_database_url),
    )

    assert created.startswith("admin ops@spendscore.test created")
    assert reset.startswith(f"admin {account.email} reset")
    assert (await api.login("ops@spendscore.test", "ops-password-1")).status_code == 200
    token = await api.token(account.email, "reset-password-1")
    me = await api.client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["roles"] == ["admin", "user"] and me.json()["is_active"] is True


def test_cli_refuses_a_bad_password_with_one_line(auth_database_url):
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "auth_service.cli",
            "create-admin",
            "--email",
            "a@spendscore.test",
            "--password",
            "123",
        ],
        env={**cli_env(auth_database_url), "PATH": ""},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == 1
    assert completed.stderr.strip() == "auth cli: invalid password: password must be at least 8 characters"


def test_cli_reads_the_password_from_stdin(auth_database_url):
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "auth_service.cli",
            "create-admin",
            "--email",
            "stdin@spendscore.test",
            "--password-stdin",
        ],
        input="password-from-stdin\n",
        env={**cli_env(auth_database_url), "PATH": ""},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("admin stdin@spendscore.test")
