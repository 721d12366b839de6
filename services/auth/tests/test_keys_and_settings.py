"""Where the signing key comes from, and what production refuses."""

import stat

import pytest
from pydantic import ValidationError

from auth_service.config import AuthSettings
from auth_service.keys import SigningKeyError, load_signing_key
from auth_service.tokens import SigningKey


def test_development_key_is_generated_once_private_and_reused(make_settings):
    settings = make_settings(app_env="development")

    first = load_signing_key(settings)
    second = load_signing_key(settings)

    assert first.kid == second.kid
    path = settings.data_dir / "auth" / "jwt-signing-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


async def test_tokens_survive_a_restart_with_the_generated_key(open_api, make_settings):
    settings = make_settings()
    async with open_api(settings) as api:
        token = await api.token(api.admin_email, api.admin_password)
    async with open_api(settings) as restarted:
        response = await restarted.client.get("/users/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


def test_configured_key_from_env_text_or_file(make_settings, tmp_path):
    key = SigningKey.generate()
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(key.to_pem())

    assert load_signing_key(make_settings(private_key=key.to_pem().decode())).kid == key.kid
    assert load_signing_key(make_settings(private_key_file=key_file)).kid == key.kid
    assert not (tmp_path / "data" / "auth").exists()


def test_unusable_keys_are_reported_clearly(make_settings, tmp_path):
    with pytest.raises(SigningKeyError, match="AUTH_PRIVATE_KEY: not an unencrypted Ed25519"):
        load_signing_key(make_settings(private_key="not a pem"))
    with pytest.raises(SigningKeyError, match="AUTH_PRIVATE_KEY_FILE"):
        load_signing_key(make_settings(private_key_file=tmp_path / "missing.pem"))


def test_production_refuses_generated_keys_and_dev_defaults(make_settings):
    with pytest.raises(ValidationError) as refused:
        make_settings(app_env="production", bcrypt_rounds=4, cors_origins=["*"])

    message = str(refused.value)
    assert "AUTH_PRIVATE_KEY or AUTH_PRIVATE_KEY_FILE must be set" in message
    assert "AUTH_BCRYPT_ROUNDS" in message
    assert "CORS_ORIGINS" in message


def test_production_starts_with_a_configured_key(make_settings):
    settings = make_settings(
        app_env="production", bcrypt_rounds=12, private_key=SigningKey.generate().to_pem().decode()
    )

    assert settings.is_production


def test_settings_read_the_documented_variables(monkeypatch):
    monkeypatch.setenv("AUTH_DATABASE_URL", "postgresql://u:p@db:5432/auth")
    monkeypatch.setenv("AUTH_PORT", "9101")
    monkeypatch.setenv("AUTH_BCRYPT_ROUNDS", "11")
    monkeypatch.setenv("BOOTSTRAP_ADMIN_EMAIL", "boss@spendscore.test")
    monkeypatch.setenv("CUSTOMERS_URL", "http://customers:8002")
    monkeypatch.setenv("DATA_DIR", "/srv/data")

    settings = AuthSettings()

    assert (settings.port, settings.bcrypt_rounds, settings.customers_url) == (
        9101,
        11,
        "http://customers:8002",
    )
    assert settings.bootstrap_admin_email == "boss@spendscore.test"
    assert str(settings.generated_key_path) == "/srv/data/auth/jwt-signing-key.pem"


def test_bootstrap_admin_is_checked_like_any_account(make_settings):
    with pytest.raises(ValidationError, match="password must be at least 8 characters"):
        make_settings(bootstrap_admin_password="123")
    with pytest.raises(ValidationError, match="at most 72 bytes"):
        make_settings(bootstrap_admin_password="é" * 37)
    with pytest.raises(ValidationError, match="bootstrap_admin_email"):
        make_settings(bootstrap_admin_email="not an address")

    assert make_settings(bootstrap_admin_email="  Boss@SpendScore.TEST ").bootstrap_admin_email == (
        "boss@spendscore.test"
    )
    unset = make_settings(bootstrap_admin_email="", bootstrap_admin_password="")
    assert unset.bootstrap_admin_email is None and unset.bootstrap_admin_password is None


def test_production_needs_a_long_customers_service_secret(make_settings):
    production = {
        "app_env": "production",
        "bcrypt_rounds": 12,
        "private_key": SigningKey.generate().to_pem().decode(),
    }

    with pytest.raises(ValidationError, match="CUSTOMERS_SERVICE_SECRET must be at least 32 characters"):
        make_settings(**production, customers_service_secret="x" * 31)

    assert make_settings(**production, customers_service_secret="x" * 32).customers_service_secret
    assert make_settings(**production).customers_service_secret is None  # optional
    assert make_settings(customers_service_secret="short").customers_service_secret  # development: any length


def test_the_customers_service_secret_is_read_without_the_auth_prefix(monkeypatch):
    monkeypatch.setenv("AUTH_DATABASE_URL", "postgresql://u:p@db:5432/auth")
    monkeypatch.setenv("CUSTOMERS_SERVICE_SECRET", "shared-secret-value")

    settings = AuthSettings()

    assert settings.customers_service_secret is not None
    assert settings.customers_service_secret.get_secret_value() == "shared-secret-value"
    assert "shared-secret-value" not in repr(settings)
