"""Site administration: people and their site roles."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from playbook.admin import routes  # noqa: E402,F401
