"""My work: every item assigned to a person across their playbooks, and the
reminders of items due soon and overdue."""

from playbook.work.routes import bp

__all__ = ["bp"]
