"""Respond: the public pages where teachers and students answer a survey round with a
printed code or their group's shared link, without an account, in English or Spanish."""

from playbook.respond.routes import bp

__all__ = ["bp"]
