"""The shared library: browse and search frameworks, plays and resources; admins edit it."""

from flask import Blueprint

bp = Blueprint("library", __name__, url_prefix="/library")

from playbook.library import routes, routes_edit  # noqa: E402,F401
