"""A member's own profile and password."""

from playbook.accounts.routes import bp

__all__ = ["bp"]
