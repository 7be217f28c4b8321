"""Response codes and shared survey links: how they are made, typed and stored.

A code is short enough for a child to type from a paper slip: eight characters from
an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B), shown as two groups
of four ("K7QX-M4HD"). Typing is forgiving: case, spaces and dashes are ignored.
Only a keyed hash of a code is stored (HMAC-SHA256 with the site's secret key): a
plain hash of so short a code could be reversed by trying every code, the keyed one
only by someone who also holds the key."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 8
LINK_TOKEN_BYTES = 18


def new_code() -> str:
    """A fresh random code, as it is printed (with its dash)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize(typed: str) -> str | None:
    """A code as typed, reduced to its characters; None when it cannot be a code
    (wrong length or a character no code has), so nothing is looked up for it."""
    cleaned = "".join(ch for ch in typed.upper() if ch not in " -\t")
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def _keyed_hash(purpose: str, value: str) -> str:
    key = f"{current_app.config['SECRET_KEY']}:survey-{purpose}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def hash_code(code: str) -> str | None:
    """The stored form of a typed or printed code (None when it cannot be a code)."""
    cleaned = normalize(code)
    return None if cleaned is None else _keyed_hash("code", cleaned)


def new_link_token() -> str:
    """A fresh secret for a group's shared link (teachers' surveys)."""
    return secrets.token_urlsafe(LINK_TOKEN_BYTES)


def hash_link_token(token: str) -> str:
    return _keyed_hash("link", token)
