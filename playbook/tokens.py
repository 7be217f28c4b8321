"""Random tokens from the OS CSPRNG, stored only as SHA-256 hashes; and signed tokens
for links that must work without a stored row."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer


def new_token() -> str:
    """A URL-safe token carrying 256 bits of randomness."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- signed tokens ---------------------------------------------------------------------
# For links that must work without signing in and without a stored row (the digest's
# unsubscribe link): the value is signed with the app's SECRET_KEY, under a salt that
# names the purpose, so a token made for one purpose is refused for any other.


def _signer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"playbook:{purpose}")


def signed_token(purpose: str, user_id: int) -> str:
    """A URL-safe token naming `user_id` and `purpose`, signed with the app's secret."""
    return str(_signer(purpose).dumps({"user": user_id, "purpose": purpose}))


def read_signed_token(purpose: str, token: str) -> int | None:
    """The user id in a token signed_token(purpose, ...) made; None when the token was
    changed, made with another secret or for another purpose, or is not a token."""
    if not token or len(token) > 500:
        return None
    try:
        value = _signer(purpose).loads(token)
    except BadData:
        return None
    if not isinstance(value, dict) or value.get("purpose") != purpose:
        return None
    user_id = value.get("user")
    return user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None
