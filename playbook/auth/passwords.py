"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 8
MAX_LENGTH = 256  # long passphrases are welcome; the cap only stops abuse
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["PLAYBOOK_ARGON2_TIME_COST"],
        memory_cost=config["PLAYBOOK_ARGON2_MEMORY_KIB"],
        parallelism=1,
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH: dict[str, str] = {}


def burn_verification_time(password: str) -> None:
    """Spend the time of a real verification, so an unknown e-mail answers as slowly
    as a wrong password does."""
    key = f"{current_app.config['PLAYBOOK_ARGON2_TIME_COST']}:{current_app.config['PLAYBOOK_ARGON2_MEMORY_KIB']}"
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hash_password("not-a-real-password")
    verify_password(_DUMMY_HASH[key], password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, *, email: str = "", display_name: str = "") -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.strip().lower()
    if lowered in common_passwords():
        return "That password is one of the most common ones. Please choose another."
    if len(set(lowered)) < 3:
        return "That password is too easy to guess. Please choose another."
    personal = {
        email.strip().lower(),
        email.split("@")[0].strip().lower(),
        display_name.strip().lower(),
    }
    if lowered in personal - {""}:
        return "Your password should not be your e-mail address or name."
    return None
