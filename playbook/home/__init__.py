"""The home page."""

from flask import Blueprint

bp = Blueprint("home", __name__)

from playbook.home import routes  # noqa: E402,F401
