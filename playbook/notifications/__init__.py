"""In-app notifications, their e-mail copies and each person's e-mail choices."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from playbook.notifications import routes  # noqa: E402,F401
