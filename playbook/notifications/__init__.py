"""In-app notifications, their e-mail copies and each person's e-mail choices."""

from playbook.notifications.routes import bp

__all__ = ["bp"]
