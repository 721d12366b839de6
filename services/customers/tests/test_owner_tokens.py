"""The in-memory token store the completer borrows: latest token per owner, never past its expiry."""

import uuid

from customers_service.pending_predictions import OwnerTokens


def test_keeps_the_latest_token_until_it_nearly_expires(token_issuer):
    tokens = OwnerTokens()
    owner_id = uuid.uuid4()
    short = token_issuer.issue(subject=str(owner_id), roles=["user"], ttl_seconds=10)
    long = token_issuer.issue(subject=str(owner_id), roles=["user"], ttl_seconds=3600)

    assert tokens.remember(owner_id, short) is True
    assert tokens.usable(owner_id) is None, "10 s left is too close to expiry to be used"
    assert tokens.remember(owner_id, long) is True
    assert tokens.usable(owner_id) == long
    assert tokens.remember(owner_id, short) is False, "an older-expiring token does not replace it"
    assert tokens.usable(owner_id) == long
    tokens.forget(owner_id)
    assert tokens.usable(owner_id) is None


def test_expired_tokens_are_dropped(token_issuer):
    tokens = OwnerTokens()
    owner_id = uuid.uuid4()
    tokens.remember(owner_id, token_issuer.issue(subject=str(owner_id), roles=["user"], ttl_seconds=-1))
    tokens.drop_expired()
    assert tokens.usable(owner_id) is None
