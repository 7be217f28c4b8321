"""The gallery of public playbooks."""

from playbook.gallery.routes import bp

__all__ = ["bp"]
