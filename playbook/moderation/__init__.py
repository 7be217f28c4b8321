"""The moderators' queue: pending and flagged comments, resource suggestions,
decisions (one or many at a time), undo, and reusable reasons."""

from playbook.moderation.routes import bp

__all__ = ["bp"]
