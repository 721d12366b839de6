"""Tokens an attacker could send: each must be refused with 401 by every protected endpoint."""

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from auth_service.tokens import SigningKey
from testkit.tokens import TEST_AUDIENCE, TEST_ISSUER


def claims_with(issuer: str = TEST_ISSUER, audience: str = TEST_AUDIENCE, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": "user-1", "roles": ["user"], "iat": now, "exp": now + 600}
    claims |= {"iss": issuer, "aud": audience, "jti": "j1"}
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(key: SigningKey, claims: dict[str, Any], kid: str | None = None) -> str:
    return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": kid or key.kid})


def hs256(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """An HMAC token keyed with the public key: the classic algorithm-confusion forgery."""

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    return signing_input + "." + b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


def forged_tokens(
    key: SigningKey, issuer: str = TEST_ISSUER, audience: str = TEST_AUDIENCE
) -> dict[str, str]:
    """Bad tokens against the service trusting ``key``: name of the attack -> token."""
    kid, now = key.kid, int(time.time())
    public_pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    other_key = SigningKey.generate()

    def claims(**overrides: Any) -> dict[str, Any]:
        return claims_with(issuer, audience, **overrides)

    genuine = sign(key, claims())
    header, _, signature = genuine.split(".")
    elevated = base64.urlsafe_b64encode(json.dumps(claims(roles=["admin"])).encode()).rstrip(b"=").decode()
    return {
        "payload changed after signing": f"{header}.{elevated}.{signature}",
        "alg none": jwt.encode(claims(), key="", algorithm="none", headers={"kid": kid}),
        "HS256 signed with the public key": hs256(claims(), public_pem, kid),
        "another key claiming our kid": sign(other_key, claims(), kid=kid),
        "unknown kid": sign(other_key, claims()),
        "expired": sign(key, claims(iat=now - 8000, exp=now - 600)),
        "not yet valid": sign(key, claims(nbf=now + 600)),
        "wrong issuer": sign(key, claims(iss="someone-else")),
        "wrong audience": sign(key, claims(aud="another-product")),
        "no subject": sign(key, claims(sub=None)),
        "no roles": sign(key, claims(roles=None)),
        "no expiry": sign(key, claims(exp=None)),
        "no token id": sign(key, claims(jti=None)),
        "roles not a list": sign(key, claims(roles="admin")),
        "garbage": "not.a.token",
    }
