"""The moderators' queue: pending and flagged comments, resource suggestions,
decisions (one or many at a time), undo, and reusable reasons."""

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

from playbook.moderation import routes  # noqa: E402,F401
