"""Registering, signing in and out, and resetting a forgotten password."""

from playbook.auth.routes import bp

__all__ = ["bp"]
