"""Site administration: people and their site roles."""

from playbook.admin.routes import bp

__all__ = ["bp"]
