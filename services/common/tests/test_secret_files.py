"""``NAME_FILE`` for any setting: Docker and Compose secrets mounted as files instead of plain environment."""

import pytest
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from spendscore_common.settings import ServiceSettings


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_", extra="ignore", case_sensitive=False)

    database_url: str = "postgresql://localhost/example"
    service_secret: SecretStr | None = Field(None, validation_alias=AliasChoices("EXAMPLE_SERVICE_SECRET"))
    key: str | None = None
    key_file: str | None = None  # a setting of its own: EXAMPLE_KEY_FILE is not read as EXAMPLE_KEY


def test_a_file_gives_the_value_without_its_last_newline(tmp_path, monkeypatch):
    (tmp_path / "url").write_text("postgresql://user:pw@db:5432/example\n")
    (tmp_path / "secret").write_text("s3cret\n")
    monkeypatch.setenv("EXAMPLE_DATABASE_URL_FILE", str(tmp_path / "url"))
    monkeypatch.setenv("EXAMPLE_SERVICE_SECRET_FILE", str(tmp_path / "secret"))
    settings = ExampleSettings()
    assert settings.database_url == "postgresql://user:pw@db:5432/example"
    assert settings.service_secret is not None and settings.service_secret.get_secret_value() == "s3cret"


def test_the_variable_itself_wins_and_a_file_setting_stays_a_path(tmp_path, monkeypatch):
    (tmp_path / "url").write_text("postgresql://from-file/example")
    monkeypatch.setenv("EXAMPLE_DATABASE_URL", "postgresql://from-env/example")
    monkeypatch.setenv("EXAMPLE_DATABASE_URL_FILE", str(tmp_path / "url"))
    monkeypatch.setenv("EXAMPLE_KEY_FILE", str(tmp_path / "url"))
    settings = ExampleSettings()
    assert settings.database_url == "postgresql://from-env/example"
    assert (settings.key, settings.key_file) == (None, str(tmp_path / "url"))


def test_an_unreadable_or_huge_file_is_refused_naming_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("EXAMPLE_SERVICE_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(ValueError, match="EXAMPLE_SERVICE_SECRET_FILE: cannot read"):
        ExampleSettings()
    (tmp_path / "huge").write_text("x" * 70_000)
    monkeypatch.setenv("EXAMPLE_SERVICE_SECRET_FILE", str(tmp_path / "huge"))
    with pytest.raises(ValueError, match="EXAMPLE_SERVICE_SECRET_FILE: .* larger than"):
        ExampleSettings()
