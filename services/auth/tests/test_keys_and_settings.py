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
