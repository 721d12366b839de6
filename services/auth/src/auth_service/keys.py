"""Where the signing key comes from: PEM from the environment or a file, or (dev/test) generated once.

Rotating the key without logging anyone out:
1. publish the current public key as retired: save ``GET /.well-known/jwks.json`` to a file and point
   AUTH_RETIRED_PUBLIC_KEYS_FILE at it;
2. set the new private key (AUTH_PRIVATE_KEY / AUTH_PRIVATE_KEY_FILE) and restart every auth replica:
   new tokens carry the new ``kid``, old tokens still verify (verifiers refetch the JWKS on an unknown kid);
3. after 2 hours (the token lifetime) remove the retired file and restart: the old key is no longer trusted.
"""

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from auth_service.config import AuthSettings
from auth_service.tokens import SigningKey

logger = logging.getLogger(__name__)


class SigningKeyError(Exception):
    """The configured key cannot be used; the message says which setting is wrong."""


def load_signing_key(settings: AuthSettings) -> SigningKey:
    """The configured key; in development and test, without one, a key generated once under DATA_DIR."""
    if settings.private_key is not None:
        return _from_pem(settings.private_key.get_secret_value().encode(), "AUTH_PRIVATE_KEY")
    if settings.private_key_file is not None:
        try:
            pem = settings.private_key_file.read_bytes()
        except OSError as exc:
            raise SigningKeyError(
                f"AUTH_PRIVATE_KEY_FILE {settings.private_key_file}: {exc.strerror}"
            ) from exc
        return _from_pem(pem, "AUTH_PRIVATE_KEY_FILE")
    if settings.is_production:
        raise SigningKeyError("AUTH_PRIVATE_KEY or AUTH_PRIVATE_KEY_FILE must be set in production")
    return _generated_key(settings.generated_key_path)


def load_retired_public_jwks(settings: AuthSettings) -> list[dict[str, Any]]:
    """Public keys of former signing keys, still published so that their tokens stay valid."""
    path = settings.retired_public_keys_file
    if path is None:
        return []
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SigningKeyError(f"AUTH_RETIRED_PUBLIC_KEYS_FILE {path}: not a readable JWKS ({exc})") from exc
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not all(isinstance(key, dict) and key.get("kid") for key in keys):
        raise SigningKeyError(f'AUTH_RETIRED_PUBLIC_KEYS_FILE {path}: expected {{"keys": [{{"kid": ...}}]}}')
    return keys


def _from_pem(pem: bytes, source: str) -> SigningKey:
    try:
        return SigningKey.from_pem(pem)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{source}: not an unencrypted Ed25519 private key in PEM (PKCS#8)") from exc


def _generated_key(path: Path) -> SigningKey:
    if path.exists():
        return _from_pem(path.read_bytes(), str(path))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = SigningKey.generate()
    # Write to a private temporary file, then link it into place: a replica starting at the same
    # moment either wins the link or reads the complete key written by the other one.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".jwt-key-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key.to_pem())
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _from_pem(path.read_bytes(), str(path))
    finally:
        os.unlink(temporary)
    logger.warning("generated a new development signing key", extra={"path": str(path), "kid": key.kid})
    return key
