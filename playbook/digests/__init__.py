"""The weekly digest: what it tells each person, sending it once a week, and the
unsubscribe link that works without signing in."""

from playbook.digests.routes import bp

__all__ = ["bp"]
