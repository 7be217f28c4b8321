"""Surveys: the instruments (teacher and student questionnaires) that measure a
framework; admins curate them, anyone signed in reads them."""

from playbook.surveys.routes import bp

__all__ = ["bp"]
