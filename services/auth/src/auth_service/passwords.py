"""Password rules and bcrypt hashing, run in a thread so that the event loop never waits on it."""

import asyncio
import secrets
from importlib import resources

import bcrypt

MIN_PASSWORD_LENGTH = 8
# bcrypt only reads the first 72 bytes; longer passwords are refused rather than silently cut.
MAX_PASSWORD_BYTES = 72


def _common_passwords() -> frozenset[str]:
    text = resources.files("auth_service").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


COMMON_PASSWORDS = _common_passwords()


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        return f"password must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt's limit)"
    if password.lower() in COMMON_PASSWORDS:
        return "password is one of the 1,000 most common passwords: choose another"
    return None


def temporary_password() -> str:
    """A random password for an admin's reset: 16 characters from 96 bits, readable aloud."""
    return secrets.token_urlsafe(12)


class PasswordHasher:
    """bcrypt at a configured cost; ``verify_dummy`` spends the same time for an unknown account."""

    def __init__(self, rounds: int):
        self.rounds = rounds
        # A real hash of a random secret: checking against it costs what a real check costs.
        self._dummy_hash = bcrypt.hashpw(secrets.token_bytes(32), bcrypt.gensalt(rounds))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash, password)

    async def verify(self, password: str, password_hash: str) -> bool:
        return await asyncio.to_thread(self._verify, password, password_hash.encode())

    async def verify_dummy(self, password: str) -> None:
        await asyncio.to_thread(self._verify, password, self._dummy_hash)

    def _hash(self, password: str) -> str:
        problem = password_problem(password)
        if problem is not None:
            raise ValueError(problem)
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(self.rounds)).decode()

    def _verify(self, password: str, password_hash: bytes) -> bool:
        candidate = password.encode()
        if len(candidate) > MAX_PASSWORD_BYTES:
            # Never a valid password here; still spend the hashing time so the answer reveals nothing.
            bcrypt.checkpw(candidate[:MAX_PASSWORD_BYTES], password_hash)
            return False
        return bcrypt.checkpw(candidate, password_hash)
