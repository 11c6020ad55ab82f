"""Secrets and tokens: Argon2id for application secrets, SHA-256 for random access tokens.

Application secrets may be chosen or leaked by people, so they get a slow, salted hash; the
hash runs in a worker thread so a token request never stalls the event loop. Access tokens
are 256 random bits, where a fast hash is enough and keeps bearer checks cheap.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class SecretHasher:
    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65_536) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        # Verifying against this when the application does not exist keeps timing uniform.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, secret: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, secret)

    async def verify(self, stored_hash: str | None, secret: str) -> bool:
        return await asyncio.to_thread(self._verify, stored_hash, secret)

    def _verify(self, stored_hash: str | None, secret: str) -> bool:
        try:
            self._hasher.verify(stored_hash or self._decoy, secret)
        except (VerificationError, InvalidHashError):
            return False
        return stored_hash is not None


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
