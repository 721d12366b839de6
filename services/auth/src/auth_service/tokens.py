"""Signing keys (Ed25519) and the 2-hour access tokens signed with them, plus the JWKS that publishes them."""

import base64
import hashlib
import json
import math
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from spendscore_common.tokens import MUST_CHANGE_PASSWORD_CLAIM, JwksKeyStore, TokenVerifier

ACCESS_TOKEN_TTL_SECONDS = 2 * 60 * 60
ALGORITHM = "EdDSA"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The JWK of a public key, its ``kid`` derived from the key itself (RFC 7638 thumbprint)."""
    x = _b64url(public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    thumbprint = hashlib.sha256(
        json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":")).encode()
    )
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": x,
        "kid": _b64url(thumbprint.digest())[:16],
        "alg": ALGORITHM,
        "use": "sig",
    }


@dataclass(frozen=True)
class SigningKey:
    """The private key that signs tokens; its public half is published in the JWKS."""

    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> "SigningKey":
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> "SigningKey":
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the signing key must be an Ed25519 private key (PEM, PKCS#8)")
        return cls(key)

    def to_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def public_jwk(self) -> dict[str, str]:
        return public_jwk(self.private_key.public_key())

    @property
    def kid(self) -> str:
        return self.public_jwk["kid"]


def issued_at_now() -> float:
    """Now as Unix time, cut to milliseconds: the resolution of ``iat`` and of revocations."""
    return math.floor(time.time() * 1000) / 1000


class TokenIssuer:
    """Issues access tokens with the current key; publishes it and any retired keys still trusted."""

    def __init__(
        self,
        signing_key: SigningKey,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int = ACCESS_TOKEN_TTL_SECONDS,
        retired_public_jwks: Iterable[dict[str, Any]] = (),
    ):
        self.signing_key = signing_key
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds
        self._kid = signing_key.kid
        self._jwks = {
            "keys": [signing_key.public_jwk, *(k for k in retired_public_jwks if k.get("kid") != self._kid)]
        }

    def issue(
        self,
        *,
        subject: str,
        roles: Iterable[str],
        email: str | None = None,
        name: str | None = None,
        ttl_seconds: int | None = None,
        must_change_password: bool = False,
    ) -> str:
        """A signed token. ``iat`` keeps milliseconds, so that a token issued right after a revocation
        (the fresh one of a password change) is told apart from those issued before it."""
        now = issued_at_now()
        claims: dict[str, Any] = {
            "sub": subject,
            "email": email,
            "name": name,
            "roles": sorted(roles),
            "iat": now,
            "nbf": int(now),
            "exp": int(now) + (self.ttl_seconds if ttl_seconds is None else ttl_seconds),
            "iss": self.issuer,
            "aud": self.audience,
            "jti": uuid.uuid4().hex,
        }
        if must_change_password:
            claims[MUST_CHANGE_PASSWORD_CLAIM] = True
        return jwt.encode(
            claims, self.signing_key.private_key, algorithm=ALGORITHM, headers={"kid": self._kid}
        )

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return self._jwks


def local_token_verifier(issuer: TokenIssuer) -> TokenVerifier:
    """A verifier of the tokens this issuer signs (and of its retired keys' tokens)."""
    return TokenVerifier(JwksKeyStore.fixed(issuer.jwks()), issuer=issuer.issuer, audience=issuer.audience)
