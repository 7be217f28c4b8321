"""Calendar feeds (iCalendar) at secret addresses: a person's own items, and a
playbook's dated items and huddles, for a calendar program to subscribe to."""

from playbook.calendars.routes import bp

__all__ = ["bp"]
