"""Tokens for unit-level API tests, signed by the real auth signing code with a key made for the test."""

from typing import Any

from auth_service.tokens import SigningKey, TokenIssuer
from spendscore_common.tokens import TokenVerifier

TEST_ISSUER = "spendscore-auth"
TEST_AUDIENCE = "spendscore"


def make_test_issuer() -> TokenIssuer:
    return TokenIssuer(SigningKey.generate(), issuer=TEST_ISSUER, audience=TEST_AUDIENCE)


def trust_issuer(app: Any, issuer: TokenIssuer) -> None:
    """Give a running app's verifier the issuer's keys, as if fetched from the auth service's JWKS
    (with an empty revocation list, as if fetched from its feed)."""
    verifier: TokenVerifier = app.state.token_verifier
    verifier.key_store.set_keys(issuer.jwks())
    if verifier.revocations is not None and not verifier.revocations.loaded:
        verifier.revocations.set_entries({})
