"""The home page."""

from playbook.home.routes import bp

__all__ = ["bp"]
